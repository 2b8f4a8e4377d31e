/**
 * VolumeService's ImportVolume and ExportVolume: a volume from and to an image file on the
 * agent's host, through background jobs (jobs/import-job.ts, jobs/export-job.ts). The request is
 * checked field by field first (the path also against the agent's `imageDirectories`), then
 * the job's own checks run (the name is free, the file exists or does not, qemu-img runs); a
 * refused request creates nothing.
 */
import type { ExportVolumeRequest__Output, ExportVolumeResponse, ImportVolumeRequest__Output, ImportVolumeResponse } from '@thinfleet/proto';
import { quoted } from '@thinfleet/engine';
import { badRequest } from './agent-error.js';
import { checkDevicePath } from './device-attachments.js';
import { namingFields } from './engine-fields.js';
import type { HostPools } from './host-pools.js';
import type { AgentConfig } from './agent-config.js';
import { requireAllowedPath } from './jobs/image-files.js';
import type { ImageFormat, JobManager } from './jobs/index.js';
import { jobMessage } from './proto-messages.js';
import { optionalBytesField, poolNameField, volumeNameField } from './request-checks.js';
import { unary, type RpcContext } from './rpc.js';

/** The proto's ImageFormat names, as the jobs name the formats. */
const FORMATS: ReadonlyMap<unknown, ImageFormat> = new Map<unknown, ImageFormat>([
  ['IMAGE_FORMAT_RAW', 'raw'],
  ['IMAGE_FORMAT_QCOW2', 'qcow2'],
  ['IMAGE_FORMAT_VMDK', 'vmdk'],
  ['IMAGE_FORMAT_VHDX', 'vhdx'],
  ['IMAGE_FORMAT_VDI', 'vdi'],
  ['IMAGE_FORMAT_DIFF_STREAM', 'stream'],
]);

/**
 * The format of a request that may name a volume the stream is about (`since`, `onto`): the
 * stream format then, RAW (the default) taken as it; another format is refused.
 * @throws AgentError BAD_REQUEST naming `format`
 */
function streamFormat(format: ImageFormat, withVolume: string, field: string): ImageFormat {
  if (withVolume === '' || format === 'stream') return format;
  if (format === 'raw') return 'stream';
  throw badRequest('format', `with ${field} the file is an incremental stream (IMAGE_FORMAT_DIFF_STREAM), not ${format}`);
}

/** The format in `field`. @throws AgentError BAD_REQUEST for a value ImageFormat does not declare */
function formatField(field: string, value: unknown): ImageFormat {
  const format = FORMATS.get(value);
  if (format === undefined) throw badRequest(field, `unknown ImageFormat ${quoted(value)}`);
  return format;
}

/** The ImportVolume and ExportVolume handlers. */
export function volumeImageHandlers(ctx: RpcContext, deps: { readonly pools: HostPools; readonly jobs: JobManager; readonly config: Pick<AgentConfig, 'imageDirectories'> }) {
  const target = (r: { pool: string; name: string }): { pool: string; name: string } => {
    const pool = deps.pools.activePool(poolNameField('pool', r.pool));
    return { pool: pool.name, name: volumeNameField('name', pool.name, r.name) };
  };
  return {
    ImportVolume: unary(ctx, 'ImportVolume', async (r: ImportVolumeRequest__Output): Promise<ImportVolumeResponse> => {
      const { pool, name } = target(r);
      const path = checkDevicePath('path', r.path);
      const onto = r.onto === '' ? '' : volumeNameField('onto', pool, r.onto);
      const format = streamFormat(formatField('format', r.format), onto, 'onto');
      const sizeBytes = optionalBytesField('size_bytes', r.sizeBytes);
      await requireAllowedPath('path', path, deps.config.imageDirectories, 'import');
      const job = await namingFields({ volume: 'name' }, () =>
        deps.jobs.startImport({ pool, volume: name, path, format, ...(sizeBytes === undefined ? {} : { sizeBytes }), ...(onto === '' ? {} : { onto }) }),
      );
      return { job: jobMessage(job) };
    }),

    ExportVolume: unary(ctx, 'ExportVolume', async (r: ExportVolumeRequest__Output): Promise<ExportVolumeResponse> => {
      const { pool, name } = target(r);
      const path = checkDevicePath('path', r.path);
      const since = r.since === '' ? '' : volumeNameField('since', pool, r.since);
      const format = streamFormat(formatField('format', r.format), since, 'since');
      await requireAllowedPath('path', path, deps.config.imageDirectories, 'export');
      const job = await deps.jobs.startExport({ pool, volume: name, path, format, ...(since === '' ? {} : { since }) });
      return { job: jobMessage(job) };
    }),
  };
}
