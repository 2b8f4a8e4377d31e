/**
 * The import job's stream format (import-job.ts, format `stream`): a volume made from a stream
 * of docs/diff-stream.md (diff-stream.ts). An incremental stream (with `onto`) is applied to a
 * new snapshot of the volume it was made against (that volume stays untouched); a full stream
 * to a new, empty volume. Either way the new volume records the stream's target uuid as its
 * `contentOf`, so the next incremental stream of the chain is accepted onto it.
 *
 * Order of work, each step in the job's record before the next begins:
 * 1. at start (writes nothing): the header is read and checked, `onto`'s identity against the
 *    stream's base uuid (its uuid, or the uuid whose content an earlier stream import restored
 *    it as), the sizes against the pool's limit;
 * 2. phase `verify`: the whole stream is read and checked (every record's checksum, the order of
 *    the records, the end record's count and digest, nothing after it) before any volume is
 *    made: a truncated or corrupt stream fails the job with BAD_STREAM and leaves no volume;
 * 3. phase `create`: the volume is made with the job's mark in one transaction (import-job.ts);
 * 4. phase `copy`: the records are applied through the volume's device, data records as
 *    written, zero records as zeros written (not discarded: a pool that ignores discards would
 *    keep the old data); each record's checksum is checked again as it is read, and the file
 *    must be unchanged (size and modification time, FILE_CHANGED). The checkpoint (`doneBytes`,
 *    bytes of the file) is saved at a record boundary after at least a step's bytes were applied.
 * Crash story: before the volume exists the resumed job verifies again; after it, it applies
 * from the checkpoint, and a record applied twice writes the same bytes again; the rest is the
 * import's (its mark, its end, its cleanup of a volume it leaves unfinished).
 */
import { open } from 'node:fs/promises';
import type { BlockClient } from '@thinfleet/devmapper';
import { quoted, type VolumeInfo } from '@thinfleet/engine';
import { badRequest } from '../agent-error.js';
import { DiffStreamReader, HEADER_BYTES, readHeader, RECORD_END, verifyDiffStream, type DiffStreamHeader } from './diff-stream.js';
import type { JobRun, RunResult } from './job-kind.js';
import { yieldToEventLoop } from './volume-job.js';

/** The largest zero write at once. */
const ZERO_WRITE_BYTES = 4 * 1024 * 1024;

/**
 * The stream at `path` checked against the import's request: its header is a stream's, an
 * incremental one has `onto` (whose identity matches its base) and a full one has not.
 * Reads only.
 * @throws AgentError BAD_REQUEST naming `path` (not a stream, or its header is corrupt) or `onto`
 */
export async function streamHeaderFor(path: string, onto: VolumeInfo | null): Promise<DiffStreamHeader> {
  const file = await open(path, 'r');
  let header: DiffStreamHeader;
  try {
    header = await readHeader(path, file).catch((err: unknown) => {
      throw badRequest('path', err instanceof Error ? err.message : String(err));
    });
  } finally {
    await file.close();
  }
  if (onto === null) {
    if (header.baseUuid !== '') throw badRequest('onto', `the stream ${quoted(path)} is incremental: name the volume it applies onto (onto)`);
    return header;
  }
  if (header.baseUuid === '') throw badRequest('onto', `the stream ${quoted(path)} is a full stream: import it without onto`);
  if (header.baseUuid !== onto.uuid && header.baseUuid !== onto.contentOf) {
    throw badRequest('onto', `volume ${quoted(onto.name)} is not the volume the stream was made against (its base uuid is ${quoted(header.baseUuid)}; the volume's is ${quoted(onto.uuid)})`);
  }
  if (header.volumeBytes < onto.sizeBytes) throw badRequest('onto', `volume ${quoted(onto.name)} is larger than the volume the stream rebuilds`);
  return header;
}

/**
 * Step 2 of the module comment: reads and checks the whole stream. Resolves null when it is
 * sound, `'stopped'` when the run's signal stopped it.
 * @throws AgentError BAD_STREAM saying what is wrong
 */
export async function verifyStream(run: JobRun, path: string, fileBytes: number): Promise<RunResult | null> {
  const file = await open(path, 'r');
  try {
    const summary = await verifyDiffStream(path, file, fileBytes, run.signal);
    if (summary === 'stopped') return 'stopped';
    run.logger.info({ volume: run.record.volume, records: summary.records, dataBytes: summary.dataBytes }, 'import: the stream is sound');
    return null;
  } finally {
    await file.close();
  }
}

/**
 * Step 4 of the module comment: applies the records from the checkpoint through `device`.
 * Resolves null once the end record is reached (the checkpoint then says every byte), or
 * `'stopped'` between records when the run's signal stopped it.
 * @throws AgentError BAD_STREAM; the block device's errors
 */
export async function applyStream(run: JobRun, path: string, fileBytes: number, device: string, block: BlockClient): Promise<RunResult | null> {
  const r = run.record;
  const file = await open(path, 'r');
  try {
    const header = await readHeader(path, file);
    const reader = new DiffStreamReader(path, file, fileBytes, header, Math.max(r.doneBytes, HEADER_BYTES));
    let unsaved = 0;
    for (;;) {
      if (run.signal.aborted) return 'stopped';
      const rec = await reader.next();
      if (rec.type === RECORD_END) break;
      run.mayReach(rec.endAt);
      if (rec.data.length > 0) await block.write(device, rec.offsetBytes, rec.data);
      else {
        for (let at = 0; at < rec.lengthBytes; at += ZERO_WRITE_BYTES) {
          await block.write(device, rec.offsetBytes + at, Buffer.alloc(Math.min(ZERO_WRITE_BYTES, rec.lengthBytes - at)));
        }
      }
      unsaved += rec.lengthBytes;
      if (unsaved >= r.chunkBytes) {
        await run.update({ doneBytes: rec.endAt });
        unsaved = 0;
        await yieldToEventLoop();
      }
    }
    await run.update({ doneBytes: r.totalBytes });
    return null;
  } finally {
    await file.close();
  }
}
