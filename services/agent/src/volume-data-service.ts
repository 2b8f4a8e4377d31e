/**
 * VolumeService's ReadVolume and WriteVolume: a volume's content through the agent, for tools,
 * tests and the simulated device-mapper (whose devices exist only in the agent's process). The
 * engine checks the range against the volume and does the I/O (Pool.readVolume/writeVolume);
 * here the request is checked field by field first, so a bad request changes nothing.
 */
import { MAX_VOLUME_IO_BYTES, type Pool } from '@thinfleet/engine';
import type { ReadVolumeRequest__Output, ReadVolumeResponse, WriteVolumeRequest__Output, WriteVolumeResponse } from '@thinfleet/proto';
import { formatBytes } from '@thinfleet/units';
import { AgentError, badRequest } from './agent-error.js';
import { namingFields } from './engine-fields.js';
import type { HostPools } from './host-pools.js';
import type { JobManager } from './jobs/index.js';
import { poolNameField, volumeNameField } from './request-checks.js';
import { unary, type RpcContext } from './rpc.js';

const SECTOR = 512;

/** A sector-aligned offset in `field`. */
function offsetField(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value % SECTOR !== 0) {
    throw badRequest(field, `must be a multiple of ${SECTOR} bytes`);
  }
  return value;
}

/** A sector-aligned I/O length in `field`: 512 B to MAX_VOLUME_IO_BYTES. */
function ioLengthField(field: string, lengthBytes: unknown): number {
  if (typeof lengthBytes !== 'number' || !Number.isSafeInteger(lengthBytes) || lengthBytes <= 0 || lengthBytes % SECTOR !== 0 || lengthBytes > MAX_VOLUME_IO_BYTES) {
    throw badRequest(field, `must be a multiple of ${SECTOR} bytes from ${SECTOR} B to ${formatBytes(MAX_VOLUME_IO_BYTES)}`);
  }
  return lengthBytes;
}

/** The ReadVolume and WriteVolume handlers. */
export function volumeDataHandlers(ctx: RpcContext, deps: { readonly pools: HostPools; readonly jobs: JobManager }) {
  const target = (r: { pool: string; name: string }): { pool: Pool; name: string } => {
    const pool = deps.pools.activePool(poolNameField('pool', r.pool));
    return { pool, name: volumeNameField('name', pool.name, r.name) };
  };
  return {
    ReadVolume: unary(ctx, 'ReadVolume', async (r: ReadVolumeRequest__Output): Promise<ReadVolumeResponse> => {
      const offsetBytes = offsetField('offset_bytes', r.offsetBytes);
      const lengthBytes = ioLengthField('length_bytes', r.lengthBytes);
      const { pool, name } = target(r);
      return { data: await namingFields({ offsetBytes: 'offset_bytes', lengthBytes: 'length_bytes' }, () => pool.readVolume(name, offsetBytes, lengthBytes)) };
    }),

    WriteVolume: unary(ctx, 'WriteVolume', async (r: WriteVolumeRequest__Output): Promise<WriteVolumeResponse> => {
      const offsetBytes = offsetField('offset_bytes', r.offsetBytes);
      ioLengthField('data', r.data.length);
      const { pool, name } = target(r);
      const job = deps.jobs.jobOnVolume(pool.name, name);
      if (job !== null) throw new AgentError('JOB_RUNNING', `volume ${pool.name}/${name} is being worked on by job ${job.id} (${job.kind}); wait for it or cancel it`);
      await namingFields({ offsetBytes: 'offset_bytes', lengthBytes: 'data' }, () => pool.writeVolume(name, offsetBytes, r.data));
      return { writtenBytes: r.data.length };
    }),
  };
}
