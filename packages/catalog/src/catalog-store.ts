import type { CatalogDevice } from './catalog-device.js';
import { CatalogError } from './catalog-error.js';
import { encodeCheckpoint } from './checkpoint-slot.js';
import { checkFitsSlot, findNewerWriter, formatCatalog, journalOffset, loadCatalog, slotOffset, type StoreInit } from './catalog-load.js';
import { checkCatalogWriter, STANDALONE_WRITER, writerClusterId, type CatalogWriter } from './catalog-writer.js';
import { decodeJournalRecord, encodeJournalRecord } from './journal-record.js';
import { validateCatalogLayout, type CatalogLayout } from './label.js';
import type { WriterReport } from './writer-evidence.js';

/** Checkpoint when this many records follow the last checkpoint, unless told otherwise. */
export const DEFAULT_CHECKPOINT_EVERY_RECORDS = 512;

/** How a {@link CatalogStore} reaches its device and folds records into its state. */
export interface CatalogStoreOptions<S, R> {
  readonly device: CatalogDevice;
  readonly layout: CatalogLayout;
  /**
   * Applies one record to the state and returns the new state. May mutate and return `state`.
   * Must be deterministic; must not throw for records the caller built. It receives the record
   * as decoded from its JSON frame (what a reload sees), not the object given to `append`.
   */
  readonly reduce: (state: S, record: R) => S;
  /** Checkpoint when this many records follow the last checkpoint (default 512) and the journal since it is at least as large as the checkpoint. */
  readonly checkpointEveryRecords?: number;
  /**
   * Who appends (default {@link STANDALONE_WRITER}): every frame carries it. When its token is
   * above 0 (the holder of the pool's cluster lock), open also refuses a journal holding a token
   * newer than it (SPLIT_BRAIN); see writer-evidence.ts.
   */
  readonly writer?: CatalogWriter;
}

/** What {@link CatalogStore.open} found on the device. */
export interface CatalogLoadReport {
  readonly checkpointSlot: 0 | 1;
  readonly generation: number;
  readonly checkpointSeq: number;
  readonly recordsReplayed: number;
  /** A record frame after the last valid one failed its checksum or sequence check (a torn write): ignored. */
  readonly tornTail: boolean;
  /** The newest checkpoint slot was unreadable and the older one was used. */
  readonly usedOlderSlot: boolean;
  /**
   * Frames of a generation newer than the loaded checkpoint lie in the journal: a newer
   * checkpoint was written and is lost (damaged, or zeroed so that it looks never written), and
   * the records committed after it with it. The state is older than what was committed; the
   * store's next write makes that permanent, so a caller that cannot rebuild them refuses first.
   */
  readonly lostNewerRecords: boolean;
  /** The writers of the checkpoint and the replayed frames (split-brain evidence; writer-evidence.ts). */
  readonly writers: WriterReport;
}

/** Space use of a {@link CatalogStore}, for status reports. */
export interface CatalogSizeInfo {
  readonly journalBytes: number;
  /** Journal bytes holding the current generation's records. */
  readonly journalUsedBytes: number;
  readonly journalFreeBytes: number;
  readonly recordsSinceCheckpoint: number;
  readonly checkpointEveryRecords: number;
  readonly slotBytes: number;
  /** Bytes of the checkpoint in force (header + JSON state, rounded up to 512). */
  readonly checkpointBytes: number;
}

/**
 * A pool's catalog: a state of type `S` kept on a {@link CatalogDevice} as a checkpoint in one
 * of two alternating slots plus a journal of records of type `R` appended since. Generic over
 * both; the engine supplies the pure `reduce`. `S` and `R` must be JSON-serialisable (plain
 * objects, arrays, strings, finite numbers, booleans, null): both are stored as JSON and come
 * back from `JSON.parse`, so `Map`, `Date`, `undefined` fields and the like do not survive.
 *
 * Guarantees: a torn or corrupt record is never applied; the newest valid state wins; a record
 * whose `append` returned is applied on every later load. One store per catalog at a time
 * (the pool's lock ensures it); operations on one store run one at a time, in call order.
 *
 * @example
 * ```ts
 * const options = { device, layout, reduce: (s: Counter, r: Add) => ({ total: s.total + r.n }) };
 * const store = await CatalogStore.create(options, { total: 0 });
 * await store.append({ n: 2 });
 * const again = await CatalogStore.open(options); // again.state.total === 2
 * ```
 */
export class CatalogStore<S, R> {
  /** What open found (for a created store: slot 0, generation 1, nothing replayed). */
  readonly loadReport: CatalogLoadReport;
  readonly #device: CatalogDevice;
  readonly #layout: CatalogLayout;
  readonly #reduce: (state: S, record: R) => S;
  readonly #checkpointEveryRecords: number;
  #state: S;
  #slot: 0 | 1;
  #generation: number;
  #checkpointSeq: number;
  #checkpointBytes: number;
  #seq: number;
  #tailBytes: number;
  /** Highest generation any checkpoint or journal frame on the device may carry. */
  #generationFloor: number;
  /** Set when frames of a newer, lost generation lie in the journal: appending at the tail could line up with them. */
  #checkpointBeforeAppend: boolean;
  #queue: Promise<unknown> = Promise.resolve();
  #failure: { readonly error: unknown } | undefined;
  /** Frames applied in memory by stage() and not yet written; they go out with the next write. */
  #staged: Buffer[] = [];
  #writer: CatalogWriter;
  /** The newest writer token the state has seen in its last epoch, this store's own included. */
  #newestToken: bigint;
  /** The cluster id of that epoch: tokens compare only within one lock space (writer-evidence.ts). */
  #newestClusterId: string;

  private constructor(options: CatalogStoreOptions<S, R>, init: StoreInit<S>) {
    this.#device = options.device;
    this.#layout = options.layout;
    this.#reduce = options.reduce;
    this.#checkpointEveryRecords = options.checkpointEveryRecords ?? DEFAULT_CHECKPOINT_EVERY_RECORDS;
    this.#state = init.state;
    this.#slot = init.slot;
    this.#generation = init.generation;
    this.#checkpointSeq = init.checkpointSeq;
    this.#checkpointBytes = init.checkpointBytes;
    this.#seq = init.seq;
    this.#tailBytes = init.tailBytes;
    this.#generationFloor = init.generationFloor;
    this.#checkpointBeforeAppend = init.checkpointBeforeAppend;
    this.loadReport = init.loadReport;
    this.#writer = options.writer ?? STANDALONE_WRITER;
    this.#newestToken = init.newestToken;
    this.#newestClusterId = init.newestClusterId;
    this.#noteWriter(this.#writer);
  }

  /**
   * Takes `writer` into the newest token: a writer under a grant of another cluster id than the
   * last epoch's starts a new epoch (the load refused the cases where that is split-brain);
   * token 0 is never counted.
   */
  #noteWriter(writer: CatalogWriter): void {
    if (writer.token === 0n) return;
    const cluster = writerClusterId(writer);
    if (this.#newestToken === 0n || cluster !== this.#newestClusterId) {
      this.#newestToken = writer.token;
      this.#newestClusterId = cluster;
    } else if (writer.token > this.#newestToken) this.#newestToken = writer.token;
  }

  /** True when `writer` is under a grant older than the newest of its own lock space's. */
  #isStale(writer: CatalogWriter): boolean {
    return writer.token > 0n && writerClusterId(writer) === this.#newestClusterId && writer.token < this.#newestToken;
  }

  /**
   * Formats the catalog area: checkpoint generation 1 (seq 0) with `initial` in slot 0,
   * invalidates slot 1 and the journal's first frame. Overwrites whatever was there.
   *
   * Writes, in order: zeroes over slot 0's header, over slot 1's header, over the whole journal
   * (so no frame of an earlier catalog on the device can ever pass for one of this catalog),
   * then the checkpoint into slot 0. Not atomic: a crash during the first two writes may leave
   * an earlier catalog whole and openable; after them, open throws NO_CATALOG until the last
   * write has landed whole, and then finds the new catalog. Running create again is always
   * safe; callers make the device point at the catalog (its label) only after create returns.
   * The returned store's state is `initial` as decoded from JSON.
   * @throws CatalogError BAD_LAYOUT for a bad layout; FULL when `initial` does not fit in a
   *   slot (before writing anything); RangeError for bad options; the device's write errors.
   */
  static async create<S, R>(options: CatalogStoreOptions<S, R>, initial: S): Promise<CatalogStore<S, R>> {
    checkOptions(options);
    return new CatalogStore(options, await formatCatalog(options, initial));
  }

  /**
   * Loads the newest valid checkpoint and replays the journal records of its generation in seq
   * order, stopping at the first frame that is not the next valid record. Throws CatalogError
   * NO_CATALOG when neither slot is valid. Read-only (writes nothing) and idempotent.
   *
   * When the newest slot fails its checksum the older one is used (`usedOlderSlot`); records
   * appended after the lost checkpoint are then lost too, since that checkpoint's generation
   * reused the journal. After a torn tail the rest of the journal is searched once: a valid
   * record of this generation beyond the damage means committed records were lost, and open
   * refuses (CORRUPT) rather than silently roll back.
   * The writer tokens of the checkpoint and the replayed records are checked (writer-evidence.ts):
   * a record whose token is older than one before it, or a token newer than `options.writer`'s
   * when that is above 0, means two holders wrote the pool, and open refuses (SPLIT_BRAIN) rather
   * than serve it.
   * @throws CatalogError NO_CATALOG; UNSUPPORTED_VERSION when either slot, or a record of the
   *   loaded generation, has a newer format; CORRUPT as above or when both slots claim the same
   *   generation; SPLIT_BRAIN; BAD_LAYOUT; RangeError for bad options; whatever `reduce` or the device throws.
   */
  static async open<S, R>(options: CatalogStoreOptions<S, R>): Promise<CatalogStore<S, R>> {
    checkOptions(options);
    return new CatalogStore(options, await loadCatalog(options));
  }

  /** Current state: the checkpoint plus every record whose append returned. Treat as read-only. */
  get state(): S {
    return this.#state;
  }

  /** Seq of the last applied record (the checkpoint's seq when none followed it). */
  get seq(): number {
    return this.#seq;
  }

  /** Generation of the checkpoint in force; journal records carry it. */
  get generation(): number {
    return this.#generation;
  }

  /** Who this store's appends are written by. */
  get writer(): CatalogWriter {
    return this.#writer;
  }

  /** The newest writer token the state has seen in its last epoch: the checkpoint's, every applied record's and this store's own. */
  get newestToken(): bigint {
    return this.#newestToken;
  }

  /** The cluster id of {@link newestToken}'s epoch ('' when none). */
  get newestClusterId(): string {
    return this.#newestClusterId;
  }

  /**
   * Changes who later appends are written by (a pool activated under a new grant). Records
   * already staged keep their writer. A writer of another cluster id than {@link newestClusterId}
   * starts a new epoch. Idempotent.
   * @throws RangeError for a malformed writer; CatalogError STALE_WRITER when its token is above 0
   *   and older than {@link newestToken} of the same cluster id (a newer holder has written the pool).
   */
  setWriter(writer: CatalogWriter): void {
    checkCatalogWriter(writer);
    if (this.#isStale(writer)) {
      throw new CatalogError('STALE_WRITER', `writer token ${writer.token} is older than token ${this.#newestToken}, which has written this catalog already`);
    }
    this.#writer = writer;
    this.#noteWriter(writer);
  }

  /**
   * Checks, by reading the device, that no other writer has used the catalog since this store
   * last wrote or loaded it (findNewerWriter: a newer checkpoint in either slot, or another
   * writer's frame at this store's tail), and that this store's token is not older than one
   * already seen. For writes whose owner must be current (the engine's delete marks). Read-only;
   * runs in order with the store's other operations.
   * @throws CatalogError STALE_WRITER saying what was found; the device's read errors.
   */
  checkNoNewerWriter(): Promise<void> {
    return this.#serialized(async () => {
      this.#assertUsable();
      if (this.#isStale(this.#writer)) {
        throw new CatalogError('STALE_WRITER', `writer token ${this.#writer.token} is older than token ${this.#newestToken}, which has written this catalog`);
      }
      const found = await findNewerWriter(this.#device, this.#layout, { generation: this.#generation, generationFloor: this.#generationFloor, tailBytes: this.#tailBytes });
      if (found !== null) throw new CatalogError('STALE_WRITER', `another writer has used this catalog since this host last did: ${found}`);
    });
  }

  /**
   * Durably appends `record` (one write of its frame at the journal tail), then applies it
   * with reduce. If the journal lacks room, or the record count reaches checkpointEveryRecords
   * and the journal is at least as large as the checkpoint in force, checkpoints first. A crash before the write returns leaves the record absent or torn
   * (never applied on load) — or, if every sector landed, whole and applied; after, it is
   * applied on load. Not idempotent: appending the same record twice applies it twice.
   *
   * If the device write or `reduce` throws, the record's fate on disk is unknown (as after a
   * crash) and the store refuses every later call; reopen it to learn the truth.
   * @throws CatalogError FULL when a single record exceeds the journal or the state exceeds a
   *   slot (nothing written); TypeError when `record` has no JSON form; the device's errors.
   */
  append(record: R): Promise<void> {
    return this.#serialized(() => this.#append(record));
  }

  /**
   * Applies `record` in memory now and writes it with the next append (one device write for
   * both: a group commit) or the next flush. For records whose loss a crash may cause without
   * harm because the caller can rebuild them (the engine stages a transaction's commit record:
   * recovery rolls a pending intent forward when the kernel shows the transaction done).
   * Crash story: a crash before the next write loses staged records, and only them.
   * @throws as append, except that nothing is written.
   */
  stage(record: R): Promise<void> {
    return this.#serialized(async () => {
      this.#assertUsable();
      const frame = encodeJournalRecord({ generation: this.#generation, seq: this.#seq + 1, record, writer: this.#writer });
      this.#apply(frame);
      this.#staged.push(frame);
    });
  }

  /** Durably writes the staged records, if any. Idempotent. */
  flush(): Promise<void> {
    return this.#serialized(async () => {
      this.#assertUsable();
      if (this.#staged.length === 0) return;
      const frames = Buffer.concat(this.#staged);
      if (this.#tailBytes + frames.length > this.#layout.journalBytes) {
        await this.#checkpoint();
        return;
      }
      await this.#write(journalOffset(this.#layout) + this.#tailBytes, frames);
      this.#staged = [];
      this.#tailBytes += frames.length;
    });
  }

  /** True while staged records wait for a write. */
  get hasStaged(): boolean {
    return this.#staged.length > 0;
  }

  /**
   * Writes the current state as generation+1 into the other slot, durably, and restarts the
   * journal at its start for that generation. A crash mid-checkpoint leaves the previous slot
   * + its journal in force. Idempotent in effect (the state does not change); each call
   * writes a new generation.
   * @throws CatalogError FULL when the state exceeds a slot (nothing written); the device's
   *   errors (after which the store refuses every later call).
   */
  checkpoint(): Promise<void> {
    return this.#serialized(() => this.#checkpoint());
  }

  /**
   * Releases what the device holds open for the store's writes (`CatalogDevice.close`, when the
   * device has it: the engine's block device keeps its write descriptor open across appends).
   * Runs after the operations already queued; writes nothing (staged records stay staged: flush
   * first). Idempotent; the store stays usable, and its next write opens the device again.
   * @throws the device's close error.
   */
  close(): Promise<void> {
    return this.#serialized(async () => {
      await this.#device.close?.();
    });
  }

  /** Journal and slot space use, as of the last completed operation. Pure. */
  sizeInfo(): CatalogSizeInfo {
    return {
      journalBytes: this.#layout.journalBytes,
      journalUsedBytes: this.#tailBytes,
      journalFreeBytes: this.#layout.journalBytes - this.#tailBytes,
      recordsSinceCheckpoint: this.#seq - this.#checkpointSeq,
      checkpointEveryRecords: this.#checkpointEveryRecords,
      slotBytes: this.#layout.slotBytes,
      checkpointBytes: this.#checkpointBytes,
    };
  }

  async #append(record: R): Promise<void> {
    this.#assertUsable();
    let frame = encodeJournalRecord({ generation: this.#generation, seq: this.#seq + 1, record, writer: this.#writer });
    if (frame.length > this.#layout.journalBytes) {
      throw new CatalogError('FULL', `journal record of ${frame.length} bytes exceeds the ${this.#layout.journalBytes}-byte journal`);
    }
    // A checkpoint writes the whole state, so it waits until the journal since the last one is
    // at least as large as that (besides the record count): what checkpoints cost per record then
    // does not grow with the state (a pool of 10,000 volumes is not rewritten every 512 records).
    const due = this.#seq - this.#checkpointSeq >= this.#checkpointEveryRecords && this.#tailBytes >= this.#checkpointBytes;
    if (this.#checkpointBeforeAppend || due || this.#tailBytes + this.#stagedBytes() + frame.length > this.#layout.journalBytes) {
      await this.#checkpoint();
      frame = encodeJournalRecord({ generation: this.#generation, seq: this.#seq + 1, record, writer: this.#writer });
    }
    // Staged frames precede this one in the same write (after a checkpoint there are none).
    const out = this.#staged.length === 0 ? frame : Buffer.concat([...this.#staged, frame]);
    await this.#write(journalOffset(this.#layout) + this.#tailBytes, out);
    this.#staged = [];
    this.#tailBytes += out.length;
    this.#apply(frame);
  }

  /** Applies the record of `frame` as a reload would decode it, so memory and disk agree. */
  #apply(frame: Buffer): void {
    const decoded = decodeJournalRecord<R>(frame);
    if (decoded === null) throw new Error('unreachable: an encoded frame has its magic');
    try {
      this.#state = this.#reduce(this.#state, decoded.record);
    } catch (err) {
      this.#failure = { error: err };
      throw err;
    }
    this.#seq = decoded.seq;
    this.#noteWriter(decoded.writer);
  }

  async #checkpoint(): Promise<void> {
    this.#assertUsable();
    const generation = Math.max(this.#generation, this.#generationFloor) + 1;
    const frame = encodeCheckpoint({ generation, seq: this.#seq, state: this.#state, newestToken: this.#newestToken, newestClusterId: this.#newestClusterId });
    checkFitsSlot(frame.length, this.#layout);
    const slot = this.#slot === 0 ? 1 : 0;
    await this.#write(slotOffset(this.#layout, slot), frame);
    this.#slot = slot;
    this.#generation = generation;
    this.#generationFloor = generation;
    this.#checkpointSeq = this.#seq;
    this.#checkpointBytes = frame.length;
    this.#tailBytes = 0;
    this.#checkpointBeforeAppend = false;
    // The checkpoint holds the staged records' effects.
    this.#staged = [];
  }

  #stagedBytes(): number {
    return this.#staged.reduce((sum, f) => sum + f.length, 0);
  }

  async #write(offsetBytes: number, data: Uint8Array): Promise<void> {
    try {
      await this.#device.write(offsetBytes, data);
    } catch (err) {
      this.#failure = { error: err };
      throw err;
    }
  }

  #assertUsable(): void {
    if (this.#failure !== undefined) {
      throw new Error('catalog store is unusable after a failed write or reduce; reopen it to see what is on disk', {
        cause: this.#failure.error,
      });
    }
  }

  #serialized<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(operation);
    this.#queue = result.catch(() => undefined);
    return result;
  }
}

function checkOptions<S, R>(options: CatalogStoreOptions<S, R>): void {
  validateCatalogLayout(options.layout);
  if (typeof options.reduce !== 'function') throw new TypeError('CatalogStore needs a reduce function');
  if (options.writer !== undefined) checkCatalogWriter(options.writer);
  const every = options.checkpointEveryRecords;
  if (every !== undefined && (!Number.isSafeInteger(every) || every < 1)) {
    throw new RangeError(`checkpointEveryRecords ${every} is not a positive integer`);
  }
}
