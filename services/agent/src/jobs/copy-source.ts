/**
 * The source side of a sparse copy (copy-job.ts): a stateless reader that, for a window
 * `[fromBytes, fromBytes + lengthBytes)` of the source volume, yields the runs of bytes the
 * destination must write and a digest of the whole window, so the destination can check each
 * run on receipt and the window after writing it (by reading it back).
 *
 * What travels, by the source's external origin and the copy's `keepOrigin`:
 * - no external origin: the mapped ranges of the source's thin id (from the pool's live thin
 *   metadata), their all-zero granules left out (a new thin volume reads zeros there);
 * - an external origin, `keepOrigin` false: the window as the source's device shows it (the
 *   origin's bytes under unmapped blocks), all-zero granules left out: the destination gets no
 *   origin and holds every byte itself;
 * - an external origin, `keepOrigin` true: the mapped ranges only, zeros included (the
 *   destination names the same origin, which would show through a granule left out).
 * A granule is the destination's data block (`zeroGranuleBytes`), aligned to the volume's
 * offset 0, so the destination allocates only blocks that hold data.
 *
 * Checksums: SHA-256 from node:crypto (OpenSSL, hardware-accelerated where the CPU has it; no
 * native module to build). The devmapper package's crc32c is a table-driven JavaScript routine
 * for 4 KiB metadata blocks, far slower over data, and a CRC does not guard against anything
 * but accidents; SHA-256 guards the window digest against both. A run's digest covers its
 * bytes; the window's covers all `lengthBytes` of the window, zeros included, as the
 * destination must read them back (windowDigest).
 *
 * The source is read as it is at each window (a volume in use may change between windows:
 * copy a snapshot of it for a copy of one instant). Every read is done by the source pool's
 * holder: in this process (localCopySource) or, between hosts, by the agent that holds it,
 * through the coordinator (a `CopySource` over the transfer stream).
 */
import { createHash } from 'node:crypto';
import type { Pool } from '@thinfleet/engine';
import { dataRuns } from './image-files.js';

/** One run of a window: bytes to write at `offsetBytes` of the volume, and their SHA-256 (hex). */
export interface CopyRun {
  readonly offsetBytes: number;
  readonly data: Buffer;
  readonly sha256: string;
}

/** One window of the source, as the destination receives it. */
export interface CopyWindow {
  readonly offsetBytes: number;
  readonly lengthBytes: number;
  /** Ascending, not overlapping, inside the window. */
  readonly runs: readonly CopyRun[];
  /** SHA-256 (hex) of the window's `lengthBytes` as the destination must read them back after writing the runs. */
  readonly windowSha256: string;
}

/** What the destination asks of the source (saved in the job's record and mark). */
export interface CopySourceSpec {
  /** The source's pool. */
  readonly pool: string;
  /** The source volume's catalog uuid (it is followed by uuid, whatever its name becomes). */
  readonly uuid: string;
  /** The source's external origin at the start, or '' (then nothing of an origin travels). */
  readonly origin: string;
  /** The destination names the same external origin: only the source's own mappings travel. */
  readonly keepOrigin: boolean;
  /** Granule of the zero skip: the destination's data block size, bytes. */
  readonly zeroGranuleBytes: number;
}

/** Reads windows of one source volume (see the module comment). */
export interface CopySource {
  /**
   * The window `[fromBytes, fromBytes + lengthBytes)` of the source (clipped to its size).
   * Reads only; may be called again for the same window (a retry), with the same answer while
   * the source is unchanged.
   * @throws EngineError NO_SUCH_VOLUME when the source is gone, NO_SUCH_POOL or POOL_INACTIVE
   *   when its pool is not held here; the kernel's and the block device's errors
   */
  readWindow(fromBytes: number, lengthBytes: number): Promise<CopyWindow>;
}

/** The SHA-256 (hex) of `data`. */
export function sha256Of(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

const ZERO_STRIDE = 1024 * 1024;
const zeros = Buffer.alloc(ZERO_STRIDE);

/**
 * The SHA-256 (hex) of a window of `lengthBytes` from `offsetBytes` that holds `runs` (ascending,
 * not overlapping, inside the window) and zeros elsewhere. Pure.
 */
export function windowDigest(offsetBytes: number, lengthBytes: number, runs: ReadonlyArray<{ readonly offsetBytes: number; readonly data: Uint8Array }>): string {
  const hash = createHash('sha256');
  const zeroFill = (n: number): void => {
    for (let left = n; left > 0; left -= ZERO_STRIDE) hash.update(zeros.subarray(0, Math.min(ZERO_STRIDE, left)));
  };
  let at = offsetBytes;
  for (const r of runs) {
    zeroFill(r.offsetBytes - at);
    hash.update(r.data);
    at = r.offsetBytes + r.data.length;
  }
  zeroFill(offsetBytes + lengthBytes - at);
  return hash.digest('hex');
}

/**
 * The parts of `data` (at `offsetBytes` of the volume) that are not all zeros, in granules of
 * `granuleBytes` aligned to the volume's offset 0, adjacent ones joined. Pure.
 */
export function nonZeroParts(offsetBytes: number, data: Buffer, granuleBytes: number): Array<{ offsetBytes: number; data: Buffer }> {
  const head = Math.min(data.length, (granuleBytes - (offsetBytes % granuleBytes)) % granuleBytes);
  const parts: Array<[number, number]> = [];
  if (head > 0 && !data.subarray(0, head).equals(zeros.subarray(0, head))) parts.push([0, head]);
  for (const [start, end] of dataRuns(data.subarray(head), granuleBytes)) {
    const last = parts.at(-1);
    if (last !== undefined && last[1] === start + head) last[1] = end + head;
    else parts.push([start + head, end + head]);
  }
  return parts.map(([start, end]) => ({ offsetBytes: offsetBytes + start, data: data.subarray(start, end) }));
}

/**
 * The window of the source from what its pool read (Pool.readCopyWindow), as `spec` says what
 * travels (module comment). Pure.
 */
export function windowFromRead(spec: CopySourceSpec, fromBytes: number, lengthBytes: number, read: Awaited<ReturnType<Pool['readCopyWindow']>>): CopyWindow {
  const withRun = (p: { offsetBytes: number; data: Buffer }): CopyRun => ({ ...p, sha256: sha256Of(p.data) });
  if (spec.origin === '') {
    const runs = read.runs.flatMap((r) => nonZeroParts(r.offsetBytes, r.data, spec.zeroGranuleBytes)).map(withRun);
    return { offsetBytes: fromBytes, lengthBytes, runs, windowSha256: windowDigest(fromBytes, lengthBytes, runs) };
  }
  const whole = read.runs[0] ?? { offsetBytes: fromBytes, data: Buffer.alloc(lengthBytes) };
  const windowSha256 = windowDigest(fromBytes, lengthBytes, [whole]);
  if (!spec.keepOrigin) return { offsetBytes: fromBytes, lengthBytes, runs: nonZeroParts(whole.offsetBytes, whole.data, spec.zeroGranuleBytes).map(withRun), windowSha256 };
  const runs = read.mapped.map((m) =>
    withRun({ offsetBytes: m.offsetBytes, data: whole.data.subarray(m.offsetBytes - whole.offsetBytes, m.offsetBytes - whole.offsetBytes + m.lengthBytes) }),
  );
  return { offsetBytes: fromBytes, lengthBytes, runs, windowSha256 };
}

/**
 * The source read in this process: `spec.pool` is active on this agent's engine. No gRPC, no
 * state between calls.
 */
export function localCopySource(spec: CopySourceSpec, engine: { pool(name: string): Pool }): CopySource {
  return {
    async readWindow(fromBytes, lengthBytes) {
      const pool = engine.pool(spec.pool);
      const read = await pool.readCopyWindow(spec.uuid, fromBytes, lengthBytes, spec.origin !== '');
      return windowFromRead(spec, fromBytes, lengthBytes, read);
    },
  };
}
