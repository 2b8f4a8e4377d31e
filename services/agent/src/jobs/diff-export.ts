/**
 * The export job's stream format (export-job.ts, format `stream`): the ranges where volume B
 * differs from an older volume A of its lineage (`since`; Pool.diffVolumes, from the thin
 * metadata), or every range B maps (a full stream), written as records of docs/diff-stream.md
 * (diff-stream.ts) into the export's temporary file. B's content is read through its device
 * for each range, one step (`chunkBytes`) at a time: blocks of the pool's data block size that
 * read all zeros become zero records, the rest data records. A `left_only` range (A maps it, B
 * does not) reads zeros on B, or B's external origin when it has one: without an origin it is
 * written as a zero record without reading, so applying the stream onto A gives B exactly.
 *
 * Checkpoint: the job's `doneBytes` is the byte of B up to which records are written; it is
 * saved after each step, once the step's records are synced, so it always falls at a record
 * boundary of the file. Crash story: a resumed job re-reads the temporary file's header (a
 * missing file or another header restarts the stream from 0), keeps the records that end by the
 * checkpoint (their checksums checked), cuts the file after the last one, recomputes the running
 * digest over what it kept, reads the diff again from the checkpoint and goes on. A crash after
 * the end record was written rewrites it. The diff is read again at each resume: a B written
 * meanwhile is exported as it is then, like a raw export of a volume in use.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createHash, type Hash } from 'node:crypto';
import type { BlockClient } from '@thinfleet/devmapper';
import type { Pool, VolumeDiffRange } from '@thinfleet/engine';
import { dataRuns } from './image-files.js';
import type { JobRun, RunResult } from './job-kind.js';
import { DiffStreamReader, decodeHeader, encodeEnd, encodeHeader, encodeRecord, feedDigest, HEADER_BYTES, RECORD_END, type DiffStreamHeader } from './diff-stream.js';
import { yieldToEventLoop } from './volume-job.js';

/** What a stream export reads and writes. */
export interface StreamExport {
  readonly pool: Pool;
  readonly block: BlockClient;
  /** B's device path (active). */
  readonly device: string;
  /** B's name now, and A's (null for a full stream). */
  readonly right: string;
  readonly left: string | null;
  /** True when B reads an external origin where it maps nothing. */
  readonly rightHasOrigin: boolean;
  /** The temporary file. */
  readonly partial: string;
  readonly header: DiffStreamHeader;
  readonly blockBytes: number;
  /** Bytes of the volume whose diff is read at once (whole blocks). */
  readonly windowBytes: number;
}

/** Where the stream stands in its temporary file. */
interface Position {
  at: number;
  records: number;
  dataBytes: number;
  readonly digest: Hash;
}

const FILE_MODE = 0o600;

/**
 * The stream's prefix kept from an earlier run: its header, if it is the one expected, and
 * every record ending by `doneBytes` (checksums checked); the file is cut after them. A missing
 * or foreign header restarts the stream (`null`: start from 0).
 */
async function keptPrefix(file: FileHandle, s: StreamExport, doneBytes: number): Promise<Position | null> {
  const expected = encodeHeader(s.header);
  const size = (await file.stat()).size;
  if (doneBytes === 0 || size < HEADER_BYTES) return null;
  const head = Buffer.alloc(HEADER_BYTES);
  await file.read(head, 0, HEADER_BYTES, 0);
  if (!head.equals(expected)) return null;
  const reader = new DiffStreamReader(s.partial, file, size, decodeHeader(s.partial, head), HEADER_BYTES);
  const pos: Position = { at: HEADER_BYTES, records: 0, dataBytes: 0, digest: createHash('sha256') };
  for (;;) {
    const r = await reader.next().catch(() => null);
    if (r === null || r.type === RECORD_END || r.offsetBytes + r.lengthBytes > doneBytes) break;
    pos.at = r.endAt;
    pos.records += 1;
    if (r.data.length > 0) pos.dataBytes += r.lengthBytes;
  }
  await file.truncate(pos.at);
  await feedDigest(file, 0, pos.at, pos.digest);
  return pos;
}

/** The records of one step: `[from, from + length)` of a range of kind `kind`. */
async function stepRecords(s: StreamExport, kind: VolumeDiffRange['kind'], from: number, length: number): Promise<Array<{ data: Buffer | null; offset: number; length: number }>> {
  if (kind === 'left_only' && !s.rightHasOrigin) return [{ data: null, offset: from, length }];
  const data = await s.block.read(s.device, from, length);
  const out: Array<{ data: Buffer | null; offset: number; length: number }> = [];
  let at = 0;
  for (const [start, end] of dataRuns(data, s.blockBytes)) {
    if (start > at) out.push({ data: null, offset: from + at, length: start - at });
    out.push({ data: data.subarray(start, end), offset: from + start, length: end - start });
    at = end;
  }
  if (at < length) out.push({ data: null, offset: from + at, length: length - at });
  return out;
}

/** The ranges of the stream in `[fromBytes, toBytes)`: the diff, or for a full stream of a volume over an origin everything. */
async function rangesIn(s: StreamExport, fromBytes: number, toBytes: number): Promise<readonly VolumeDiffRange[]> {
  if (s.left === null && s.rightHasOrigin) return [{ offsetBytes: fromBytes, lengthBytes: toBytes - fromBytes, kind: 'different' }];
  return (await s.pool.diffVolumes(s.left, s.right, fromBytes, toBytes - fromBytes)).ranges;
}

/**
 * Writes the stream into `s.partial` from the run's checkpoint to its end record, synced.
 * Resolves null when done, `'stopped'` when the run's signal stopped it between steps.
 * @throws the block device's, the file system's and the engine's errors
 */
export async function writeStream(run: JobRun, s: StreamExport): Promise<RunResult | null> {
  const r = run.record;
  const file = await open(s.partial, constants.O_RDWR | constants.O_CREAT, FILE_MODE);
  try {
    let pos = await keptPrefix(file, s, r.doneBytes);
    if (pos === null) {
      if (r.doneBytes > 0) run.logger.info({ volume: r.volume }, 'export: the stream restarts from 0 (its temporary file is missing or not this stream)');
      await file.truncate(0);
      const header = encodeHeader(s.header);
      await file.write(header, 0, header.length, 0);
      pos = { at: header.length, records: 0, dataBytes: 0, digest: createHash('sha256').update(header) };
      if (r.doneBytes > 0) await run.update({ doneBytes: 0 });
    }
    const endBytes = s.header.volumeBytes;
    while (r.doneBytes < endBytes) {
      if (run.signal.aborted) return 'stopped';
      const windowEnd = Math.min(endBytes, r.doneBytes + s.windowBytes);
      await writeWindow(run, s, file, pos, windowEnd);
      if (run.signal.aborted) return 'stopped';
      // A window's last ranges may end before it does: the checkpoint moves to its end.
      if (r.doneBytes < windowEnd) await run.update({ doneBytes: windowEnd });
    }
    const end = encodeEnd(pos.records, pos.dataBytes, pos.digest.digest());
    await file.write(end, 0, end.length, pos.at);
    await file.truncate(pos.at + end.length);
    await file.sync();
  } finally {
    await file.close();
  }
  return null;
}

/** The records of the window from the checkpoint to `windowEnd`, step by step, each step synced and checkpointed; returns early once the run's signal is aborted. */
async function writeWindow(run: JobRun, s: StreamExport, file: FileHandle, pos: Position, windowEnd: number): Promise<void> {
  const r = run.record;
  for (const range of await rangesIn(s, r.doneBytes, windowEnd)) {
    const rangeEnd = Math.min(range.offsetBytes + range.lengthBytes, windowEnd);
    for (let from = Math.max(range.offsetBytes, r.doneBytes); from < rangeEnd;) {
      if (run.signal.aborted) return;
      const length = Math.min(r.chunkBytes, rangeEnd - from);
      run.mayReach(from + length);
      for (const rec of await stepRecords(s, range.kind, from, length)) {
        const bytes = encodeRecord(rec.offset, rec.length, rec.data);
        await file.write(bytes, 0, bytes.length, pos.at);
        pos.digest.update(bytes);
        pos.at += bytes.length;
        pos.records += 1;
        if (rec.data !== null) pos.dataBytes += rec.length;
      }
      await file.datasync();
      from += length;
      await run.update({ doneBytes: from });
      await yieldToEventLoop();
    }
  }
}
