/**
 * VolumeTransferService (proto/thinfleet/agent/v1/volume_transfer.proto): the source side of a
 * copy between hosts. The holder of the source's pool reads one window of the volume
 * (jobs/copy-source.ts: the same reader a local copy uses, in this process) and streams its runs
 * in pieces of at most 1 MiB (each with its own SHA-256, so a message stays far below gRPC's
 * limits), then the window's digest. Called by the coordinator, which routes the destination's
 * calls here; reads only. Every request field is checked first and named when refused; nothing
 * the caller sent is echoed beyond a short prefix.
 */
import type { ReadVolumeRunsRequest__Output, ReadVolumeRunsResponse } from '@thinfleet/proto';
import { badRequest } from './agent-error.js';
import type { HostPools } from './host-pools.js';
import { localCopySource, sha256Of, type CopyWindow } from './jobs/copy-source.js';
import { countField, poolNameField, textField } from './request-checks.js';
import { serverStream, type RpcContext } from './rpc.js';

/** Largest window one call reads (the copy job's largest window). */
export const MAX_TRANSFER_WINDOW_BYTES = 4 * 1024 * 1024;
/** Largest piece of data in one message. */
export const MAX_TRANSFER_PIECE_BYTES = 1024 * 1024;

/** The messages that carry `window`: its runs in pieces of at most MAX_TRANSFER_PIECE_BYTES, then its digest. Pure. */
export function transferMessages(window: CopyWindow): ReadVolumeRunsResponse[] {
  const out: ReadVolumeRunsResponse[] = [];
  for (const run of window.runs) {
    for (let at = 0; at < run.data.length; at += MAX_TRANSFER_PIECE_BYTES) {
      const data = run.data.subarray(at, Math.min(run.data.length, at + MAX_TRANSFER_PIECE_BYTES));
      out.push({ offsetBytes: run.offsetBytes + at, data, sha256: Buffer.from(sha256Of(data), 'hex') });
    }
  }
  out.push({ offsetBytes: window.offsetBytes + window.lengthBytes, windowSha256: Buffer.from(window.windowSha256, 'hex') });
  return out;
}

/** A multiple of 512 in `field`, from `min` to `max`. @throws AgentError BAD_REQUEST naming the field */
function sectorsField(field: string, value: unknown, min: number, max: number): number {
  const n = countField(field, value, min, max);
  if (n % 512 !== 0) throw badRequest(field, 'must be a multiple of 512');
  return n;
}

/** The ReadVolumeRuns handler. */
export function volumeTransferHandlers(ctx: RpcContext, deps: { readonly pools: HostPools }) {
  return {
    ReadVolumeRuns: serverStream(ctx, 'ReadVolumeRuns', async (r: ReadVolumeRunsRequest__Output, call) => {
      const pool = deps.pools.activePool(poolNameField('pool', r.pool));
      const uuid = textField('uuid', r.uuid, 64);
      const fromBytes = sectorsField('from_bytes', r.fromBytes, 0, Number.MAX_SAFE_INTEGER - MAX_TRANSFER_WINDOW_BYTES);
      const lengthBytes = sectorsField('length_bytes', r.lengthBytes, 512, MAX_TRANSFER_WINDOW_BYTES);
      const granule = countField('zero_granule_bytes', r.zeroGranuleBytes, 512, MAX_TRANSFER_WINDOW_BYTES);
      if ((granule & (granule - 1)) !== 0) throw badRequest('zero_granule_bytes', 'must be a power of two');
      if (r.keepOrigin && !r.withOrigin) throw badRequest('keep_origin', 'needs with_origin');
      const spec = { pool: pool.name, uuid, origin: r.withOrigin ? 'origin' : '', keepOrigin: r.keepOrigin, zeroGranuleBytes: granule };
      const window = await localCopySource(spec, deps.pools.engine).readWindow(fromBytes, lengthBytes);
      for (const message of transferMessages(window)) {
        if (call.cancelled) return;
        if (!call.write(message)) await new Promise((resolve) => call.once('drain', resolve));
      }
    }),
  };
}
