/**
 * Reading and formatting a catalog area: what {@link CatalogStore.create} writes and what
 * {@link CatalogStore.open} reads back (the two checkpoint slots, then the journal replayed
 * from the newest valid one). The on-disk format is docs/catalog-format.md.
 */
import { SECTOR_BYTES, type CatalogDevice } from './catalog-device.js';
import { CatalogError, isCatalogError } from './catalog-error.js';
import { checkCatalogWriter, STANDALONE_WRITER, writerClusterId } from './catalog-writer.js';
import {
  CHECKPOINT_FORMAT_VERSION,
  CHECKPOINT_HEADER_BYTES,
  checkpointClusterId,
  decodeCheckpoint,
  decodeCheckpointHeader,
  decodeCheckpointPayload,
  encodeCheckpoint,
  type CheckpointHeader,
} from './checkpoint-slot.js';
import type { CatalogLoadReport, CatalogStoreOptions } from './catalog-store.js';
import { JournalReader, replayJournal, scanJournal } from './journal-reader.js';
import { decodeJournalFrameHeader, verifyJournalFrame, type JournalFrameHeader } from './journal-record.js';
import type { CatalogLayout } from './label.js';
import { checkWriterTokens, WriterEvidence } from './writer-evidence.js';

/** Largest write {@link formatCatalog} issues while zeroing the journal. */
const ZERO_CHUNK_BYTES = 1024 * 1024;

type SlotRead = { readonly kind: 'empty' } | { readonly kind: 'damaged'; readonly error: CatalogError } | { readonly kind: 'header'; readonly header: CheckpointHeader };

/** What a {@link CatalogStore} starts from: the state and where its checkpoint and journal tail lie. */
export interface StoreInit<S> {
  readonly state: S;
  readonly slot: 0 | 1;
  readonly generation: number;
  readonly checkpointSeq: number;
  readonly checkpointBytes: number;
  readonly seq: number;
  readonly tailBytes: number;
  readonly generationFloor: number;
  readonly checkpointBeforeAppend: boolean;
  /** The newest writer token the state has seen (checkpoint and replayed frames) in the last epoch. */
  readonly newestToken: bigint;
  /** The cluster id of that epoch (writer-evidence.ts). */
  readonly newestClusterId: string;
  readonly loadReport: CatalogLoadReport;
}

/**
 * Formats the catalog area with `initial` as checkpoint generation 1 in slot 0; the write order
 * and crash behaviour are those of {@link CatalogStore.create}, which calls it after checking
 * its options. Not atomic; running it again is always safe.
 * @throws CatalogError FULL when `initial` does not fit in a slot (before writing anything); the device's write errors.
 */
export async function formatCatalog<S, R>(options: CatalogStoreOptions<S, R>, initial: S): Promise<StoreInit<S>> {
  const { device, layout } = options;
  const newestToken = (options.writer ?? STANDALONE_WRITER).token;
  const newestClusterId = writerClusterId(options.writer ?? STANDALONE_WRITER);
  const frame = encodeCheckpoint({ generation: 1, seq: 0, state: initial, newestToken, newestClusterId });
  checkFitsSlot(frame.length, layout);
  const checkpoint = decodeCheckpoint<S>(frame);
  if (checkpoint === null) throw new Error('unreachable: an encoded checkpoint has its magic');

  const header = Buffer.alloc(4096);
  await device.write(slotOffset(layout, 0), header);
  await device.write(slotOffset(layout, 1), header);
  const zeros = Buffer.alloc(Math.min(ZERO_CHUNK_BYTES, layout.journalBytes));
  for (let done = 0; done < layout.journalBytes; done += zeros.length) {
    const length = Math.min(zeros.length, layout.journalBytes - done);
    await device.write(journalOffset(layout) + done, length === zeros.length ? zeros : zeros.subarray(0, length));
  }
  await device.write(slotOffset(layout, 0), frame);

  return {
    state: checkpoint.state,
    slot: 0,
    generation: 1,
    checkpointSeq: 0,
    checkpointBytes: frame.length,
    seq: 0,
    tailBytes: 0,
    generationFloor: 1,
    checkpointBeforeAppend: false,
    newestToken,
    newestClusterId,
    loadReport: {
      checkpointSlot: 0,
      generation: 1,
      checkpointSeq: 0,
      recordsReplayed: 0,
      tornTail: false,
      usedOlderSlot: false,
      lostNewerRecords: false,
      writers: {
        checkpointToken: newestToken,
        checkpointClusterId: newestClusterId,
        newestToken,
        clusterId: newestClusterId,
        writers: [],
        regression: null,
        earlierClusterIds: [],
        moves: [],
      },
    },
  };
}

/**
 * Loads the newest valid checkpoint and replays its generation's journal records, as
 * {@link CatalogStore.open} documents (which calls it after checking its options). Read-only
 * and idempotent.
 * @throws CatalogError NO_CATALOG, UNSUPPORTED_VERSION, CORRUPT, SPLIT_BRAIN as CatalogStore.open says; whatever `reduce` or the device throws.
 */
export async function loadCatalog<S, R>(options: CatalogStoreOptions<S, R>): Promise<StoreInit<S>> {
  const { device, layout, reduce } = options;
  if (options.writer !== undefined) checkCatalogWriter(options.writer);
  const slots: [SlotRead, SlotRead] = [await readSlotHeader(device, layout, 0), await readSlotHeader(device, layout, 1)];

  const candidates = ([0, 1] as const)
    .flatMap((slot) => {
      const read = slots[slot];
      return read.kind === 'header' ? [{ slot, header: read.header }] : [];
    })
    .sort((a, b) => b.header.generation - a.header.generation);
  const [first, second] = candidates;
  if (first !== undefined && second !== undefined && first.header.generation === second.header.generation) {
    throw new CatalogError('CORRUPT', `both checkpoint slots claim generation ${first.header.generation}`);
  }

  const failures: CatalogError[] = [];
  let loaded: { slot: 0 | 1; header: CheckpointHeader; state: S; clusterId: string } | undefined;
  for (const candidate of candidates) {
    try {
      if (candidate.header.frameBytes > layout.slotBytes) {
        throw new CatalogError('CORRUPT', `checkpoint in slot ${candidate.slot} claims ${candidate.header.payloadBytes} bytes, more than the slot holds`);
      }
      const frame = await device.read(slotOffset(layout, candidate.slot), candidate.header.frameBytes);
      loaded = { ...candidate, state: decodeCheckpointPayload<S>(candidate.header, frame), clusterId: checkpointClusterId(candidate.header, frame) };
      break;
    } catch (err) {
      if (!isCatalogError(err, 'CORRUPT')) throw err;
      failures.push(err);
    }
  }
  for (const read of slots) if (read.kind === 'damaged') failures.push(read.error);
  if (loaded === undefined) {
    throw new CatalogError('NO_CATALOG', `no valid checkpoint in either catalog slot${failures.length > 0 ? ` (${failures.map((f) => f.message).join('; ')})` : ''}`, {
      cause: failures[0],
    });
  }

  const other = slots[loaded.slot === 0 ? 1 : 0];
  const generation = loaded.header.generation;
  const usedOlderSlot = other.kind === 'damaged' || (other.kind === 'header' && other.header.generation > generation);
  let generationFloor = Math.max(generation, other.kind === 'header' ? other.header.generation : 0);

  let state = loaded.state;
  const reader = new JournalReader(device, journalOffset(layout), layout.journalBytes);
  const evidence = new WriterEvidence(loaded.header.newestToken, loaded.clusterId);
  const replay = await replayJournal(reader, generation, loaded.header.seq, (record, writer, seq, positionBytes) => {
    evidence.observe(writer, seq, positionBytes);
    state = reduce(state, record as R);
  });

  let newestFrameGeneration = 0;
  if (replay.stop === 'torn' || replay.stop === 'newer') {
    let beyondDamage: { seq: number; position: number } | undefined;
    await scanJournal(reader, replay.tailBytes, (header, position) => {
      newestFrameGeneration = Math.max(newestFrameGeneration, header.generation);
      if (header.generation === generation && header.seq > replay.lastSeq && position > replay.tailBytes && beyondDamage === undefined) {
        beyondDamage = { seq: header.seq, position };
      }
    });
    if (replay.stop === 'torn' && beyondDamage !== undefined) {
      throw new CatalogError(
        'CORRUPT',
        `journal record after seq ${replay.lastSeq} (at journal byte ${replay.tailBytes}) is damaged, but record seq ${beyondDamage.seq} of the same generation ${generation} follows at byte ${beyondDamage.position}: committed records would be lost`,
      );
    }
    generationFloor = Math.max(generationFloor, newestFrameGeneration);
  }
  const writers = evidence.report();
  checkWriterTokens(writers, options.writer);

  return {
    state,
    slot: loaded.slot,
    generation,
    checkpointSeq: loaded.header.seq,
    checkpointBytes: loaded.header.frameBytes,
    seq: replay.lastSeq,
    tailBytes: replay.tailBytes,
    generationFloor,
    // A checkpoint in an older format is rewritten in this one before the first append, so
    // frames of this format follow only a checkpoint of this format (docs/catalog-format.md, Versioning).
    checkpointBeforeAppend: newestFrameGeneration > generation || loaded.header.formatVersion < CHECKPOINT_FORMAT_VERSION,
    newestToken: writers.newestToken,
    newestClusterId: writers.clusterId,
    loadReport: {
      checkpointSlot: loaded.slot,
      generation,
      checkpointSeq: loaded.header.seq,
      recordsReplayed: replay.recordsReplayed,
      tornTail: replay.stop === 'torn',
      usedOlderSlot,
      lostNewerRecords: newestFrameGeneration > generation,
      writers,
    },
  };
}

/**
 * @throws CatalogError FULL, naming the layout's `slotBytes`, when a checkpoint frame of
 *   `frameBytes` does not fit in a slot. Pure.
 */
export function checkFitsSlot(frameBytes: number, layout: CatalogLayout): void {
  if (frameBytes > layout.slotBytes) {
    throw new CatalogError('FULL', `catalog state needs a ${frameBytes}-byte checkpoint (deflated); the catalog layout's slotBytes ${layout.slotBytes} holds less`);
  }
}

/** Device byte offset of checkpoint slot `slot`. Pure. */
export function slotOffset(layout: CatalogLayout, slot: 0 | 1): number {
  return layout.offsetBytes + slot * layout.slotBytes;
}

/** Device byte offset of the journal. Pure. */
export function journalOffset(layout: CatalogLayout): number {
  return layout.offsetBytes + 2 * layout.slotBytes;
}

async function readSlotHeader(device: CatalogDevice, layout: CatalogLayout, slot: 0 | 1): Promise<SlotRead> {
  const bytes = await device.read(slotOffset(layout, slot), 512);
  try {
    const header = decodeCheckpointHeader(bytes.subarray(0, CHECKPOINT_HEADER_BYTES));
    return header === null ? { kind: 'empty' } : { kind: 'header', header };
  } catch (err) {
    if (isCatalogError(err, 'CORRUPT')) {
      return { kind: 'damaged', error: new CatalogError('CORRUPT', `checkpoint slot ${slot}: ${err.message}`, { cause: err }) };
    }
    throw err;
  }
}

/**
 * Looks on the device for signs that another writer used the catalog after a store whose view
 * is `view`: a checkpoint (valid header) of a generation above `generationFloor` in either slot,
 * or a valid frame of the store's own generation at its journal tail (the store never wrote
 * there; stale frames of its generation never lie beyond its tail). Read-only: two sector reads
 * and the frame at the tail, if any.
 * @throws the device's read errors.
 * @returns what was found, for a message, or null.
 */
export async function findNewerWriter(
  device: CatalogDevice,
  layout: CatalogLayout,
  view: { readonly generation: number; readonly generationFloor: number; readonly tailBytes: number },
): Promise<string | null> {
  for (const slot of [0, 1] as const) {
    const read = await readSlotHeader(device, layout, slot);
    if (read.kind === 'header' && read.header.generation > view.generationFloor) {
      return `a checkpoint of generation ${read.header.generation} (newest token ${read.header.newestToken}) in slot ${slot}, newer than this host's generation ${view.generation}`;
    }
  }
  if (view.tailBytes + SECTOR_BYTES > layout.journalBytes) return null;
  const at = journalOffset(layout) + view.tailBytes;
  let header: JournalFrameHeader | null;
  try {
    header = decodeJournalFrameHeader(await device.read(at, SECTOR_BYTES));
  } catch (err) {
    if (isCatalogError(err, 'CORRUPT')) return null;
    throw err;
  }
  if (header === null || header.generation !== view.generation || view.tailBytes + header.frameBytes > layout.journalBytes) return null;
  try {
    verifyJournalFrame(await device.read(at, header.frameBytes));
  } catch (err) {
    if (isCatalogError(err)) return null;
    throw err;
  }
  return `a frame seq ${header.seq} with token ${header.writerToken} at journal byte ${view.tailBytes}, where this host would append next`;
}
