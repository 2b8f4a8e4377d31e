import { SECTOR_BYTES, type CatalogDevice } from './catalog-device.js';
import { isCatalogError } from './catalog-error.js';
import type { CatalogWriter } from './catalog-writer.js';
import { decodeJournalFrameHeader, JOURNAL_RECORD_MAGIC, journalFrameWriter, parseJournalPayload, verifyJournalFrame, type JournalFrameHeader } from './journal-record.js';

/** How much of the journal one device read fetches while replaying or scanning. */
const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * Sequential reads of the journal area through a window, so replaying many small frames costs
 * one device read per MiB. Positions are relative to the journal start. Read-only.
 */
export class JournalReader {
  readonly #device: CatalogDevice;
  readonly #offsetBytes: number;
  /** Size of the journal area. */
  readonly journalBytes: number;
  #window: Buffer = Buffer.alloc(0);
  #windowStart = 0;

  /**
   * @param device - the catalog device.
   * @param offsetBytes - absolute offset of the journal; a multiple of 512.
   * @param journalBytes - journal size; a multiple of 512.
   */
  constructor(device: CatalogDevice, offsetBytes: number, journalBytes: number) {
    this.#device = device;
    this.#offsetBytes = offsetBytes;
    this.journalBytes = journalBytes;
  }

  /**
   * `lengthBytes` of the journal at `positionBytes` (both multiples of 512, within the journal).
   * The returned buffer may share memory with the window; callers do not keep it across calls.
   */
  async bytes(positionBytes: number, lengthBytes: number): Promise<Buffer> {
    const from = positionBytes - this.#windowStart;
    if (from >= 0 && from + lengthBytes <= this.#window.length) {
      return this.#window.subarray(from, from + lengthBytes);
    }
    const readBytes = Math.min(this.journalBytes - positionBytes, Math.max(lengthBytes, READ_CHUNK_BYTES));
    this.#window = await this.#device.read(this.#offsetBytes + positionBytes, readBytes);
    this.#windowStart = positionBytes;
    return this.#window.subarray(0, lengthBytes);
  }
}

/**
 * Why a replay stopped at its tail:
 * - `end`: the journal is full up to its last sector;
 * - `empty`: no frame magic (never-written or zeroed space);
 * - `older`: a frame of an older generation (stale, left from before the last checkpoint);
 * - `newer`: a valid frame of a NEWER generation (the checkpoint that wrote it is lost);
 * - `torn`: a frame of this generation failed its checksum or sequence check.
 */
export type ReplayStop = 'end' | 'empty' | 'older' | 'newer' | 'torn';

/** The outcome of {@link replayJournal}. */
export interface ReplayResult {
  /** Journal bytes holding the replayed records: where the next record goes. */
  readonly tailBytes: number;
  readonly recordsReplayed: number;
  /** Seq of the last replayed record (`afterSeq` when none). */
  readonly lastSeq: number;
  readonly stop: ReplayStop;
}

/**
 * Replays the records of `generation` from the journal start: frame after frame while each
 * one verifies, belongs to `generation` and carries the next seq (`afterSeq + 1`, ...),
 * handing each parsed record to `apply` with its writer, seq and journal byte offset. Read-only on the device.
 * @throws CatalogError UNSUPPORTED_VERSION for a verified frame of this or a newer generation
 *   in a newer format; CORRUPT for a verified frame whose payload is not JSON; whatever
 *   `apply` throws.
 */
export async function replayJournal(
  reader: JournalReader,
  generation: number,
  afterSeq: number,
  apply: (record: unknown, writer: CatalogWriter, seq: number, positionBytes: number) => void,
): Promise<ReplayResult> {
  let position = 0;
  let seq = afterSeq;
  let records = 0;
  const stopped = (stop: ReplayStop): ReplayResult => ({ tailBytes: position, recordsReplayed: records, lastSeq: seq, stop });

  for (;;) {
    if (position + SECTOR_BYTES > reader.journalBytes) return stopped('end');
    let header: JournalFrameHeader | null;
    try {
      header = decodeJournalFrameHeader(await reader.bytes(position, SECTOR_BYTES));
    } catch (err) {
      if (isCatalogError(err, 'CORRUPT')) return stopped('torn');
      throw err;
    }
    if (header === null) return stopped('empty');
    // A failed frame of an older generation is stale garbage; of this one, a torn write.
    const failed: ReplayStop = header.generation < generation ? 'older' : 'torn';
    if (position + header.frameBytes > reader.journalBytes) return stopped(failed);
    const frame = await reader.bytes(position, header.frameBytes);
    try {
      verifyJournalFrame(frame);
    } catch (err) {
      if (isCatalogError(err, 'CORRUPT')) return stopped(failed);
      if (isCatalogError(err, 'UNSUPPORTED_VERSION') && header.generation < generation) return stopped('older');
      throw err;
    }
    if (header.generation < generation) return stopped('older');
    if (header.generation > generation) return stopped('newer');
    if (header.seq !== seq + 1) return stopped('torn');
    apply(parseJournalPayload(header, frame), journalFrameWriter(header, frame), header.seq, position);
    seq = header.seq;
    records += 1;
    position += header.frameBytes;
  }
}

/**
 * Visits every frame with a valid checksum at or after `fromBytes`, searching sector by
 * sector (a frame can only start where its magic is, and JSON payloads never contain it).
 * Frames in a newer format are visited too (their checksum holds). Read-only; reads the rest
 * of the journal once.
 */
export async function scanJournal(reader: JournalReader, fromBytes: number, visit: (header: JournalFrameHeader, positionBytes: number) => void): Promise<void> {
  let position = fromBytes;
  while (position + SECTOR_BYTES <= reader.journalBytes) {
    const sector = await reader.bytes(position, SECTOR_BYTES);
    if (sector.compare(JOURNAL_RECORD_MAGIC, 0, JOURNAL_RECORD_MAGIC.length, 0, JOURNAL_RECORD_MAGIC.length) !== 0) {
      position += SECTOR_BYTES;
      continue;
    }
    let header: JournalFrameHeader | null = null;
    try {
      header = decodeJournalFrameHeader(sector);
    } catch (err) {
      if (!isCatalogError(err, 'CORRUPT')) throw err;
    }
    if (header !== null && position + header.frameBytes > reader.journalBytes) header = null;
    if (header !== null) {
      const frame = await reader.bytes(position, header.frameBytes);
      try {
        verifyJournalFrame(frame);
      } catch (err) {
        if (isCatalogError(err, 'CORRUPT')) header = null;
        else if (!isCatalogError(err, 'UNSUPPORTED_VERSION')) throw err;
      }
    }
    if (header === null) {
      position += SECTOR_BYTES;
      continue;
    }
    visit(header, position);
    position += header.frameBytes;
  }
}
