/**
 * Split-brain evidence in a catalog's journal (docs/catalog-format.md, "Writers"): every frame
 * names the grant token of the holder that wrote it, so two holders writing one pool leave
 * frames whose tokens go backwards, or tokens newer than the grant of the host now reading them.
 * Pure bookkeeping over the frames a load replays; {@link checkWriterTokens} turns it into a
 * refusal.
 */
import { CatalogError } from './catalog-error.js';
import type { CatalogWriter } from './catalog-writer.js';

/** Most writers a split-brain message lists (the rest are counted). */
const MAX_LISTED_WRITERS = 8;

/** One writer as seen in the replayed journal. */
export interface SeenWriter {
  readonly writer: CatalogWriter;
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** Journal byte offset of its first replayed frame. */
  readonly firstPositionBytes: number;
  readonly frames: number;
}

/** A frame whose token is older than one replayed before it. */
export interface TokenRegression {
  readonly earlier: { readonly writer: CatalogWriter; readonly seq: number; readonly positionBytes: number };
  readonly later: { readonly writer: CatalogWriter; readonly seq: number; readonly positionBytes: number };
}

/** What a load learned about the pool's writers. */
export interface WriterReport {
  /** The newest token the checkpoint in force recorded (0 for a version 1 checkpoint). */
  readonly checkpointToken: bigint;
  /** The newest token in the checkpoint and every replayed frame: what the catalog state has seen. */
  readonly newestToken: bigint;
  /** Writers of the replayed frames, in the order they first appear. */
  readonly writers: readonly SeenWriter[];
  /** The first frame whose (non-zero) token is older than the newest before it, if any. */
  readonly regression: TokenRegression | null;
}

/** Collects a {@link WriterReport} from the frames a replay applies, in journal order. */
export class WriterEvidence {
  #newest: bigint;
  #newestAt: { writer: CatalogWriter; seq: number; positionBytes: number } | null = null;
  #regression: TokenRegression | null = null;
  readonly #writers: Array<{ -readonly [K in keyof SeenWriter]: SeenWriter[K] }> = [];

  constructor(private readonly checkpointToken: bigint) {
    this.#newest = checkpointToken;
  }

  /** Notes one replayed frame. Token 0 (a standalone writer) never counts as going backwards. */
  observe(writer: CatalogWriter, seq: number, positionBytes: number): void {
    const seen = this.#writers.find((w) => w.writer.token === writer.token && w.writer.nodeId === writer.nodeId);
    if (seen === undefined) this.#writers.push({ writer, firstSeq: seq, lastSeq: seq, firstPositionBytes: positionBytes, frames: 1 });
    else {
      seen.lastSeq = seq;
      seen.frames += 1;
    }
    if (writer.token === 0n) return;
    if (writer.token < this.#newest) {
      this.#regression ??= {
        earlier: this.#newestAt ?? { writer: { token: this.#newest, nodeId: '' }, seq: 0, positionBytes: -1 },
        later: { writer, seq, positionBytes },
      };
      return;
    }
    if (writer.token > this.#newest || this.#newestAt === null) {
      this.#newest = writer.token;
      this.#newestAt = { writer, seq, positionBytes };
    }
  }

  report(): WriterReport {
    return { checkpointToken: this.checkpointToken, newestToken: this.#newest, writers: this.#writers.map((w) => ({ ...w })), regression: this.#regression };
  }
}

const nodeText = (nodeId: string): string => (nodeId === '' ? 'an unnamed node' : `node ${JSON.stringify(nodeId)}`);
const frameText = (f: { writer: CatalogWriter; seq: number; positionBytes: number }): string =>
  f.positionBytes < 0
    ? `the checkpoint (newest token ${f.writer.token})`
    : `frame seq ${f.seq} (journal byte ${f.positionBytes}) by ${nodeText(f.writer.nodeId)} with token ${f.writer.token}`;

/** The writers of `report`, bounded, for a message. Pure. */
export function describeWriters(report: WriterReport): string {
  const listed = report.writers
    .slice(0, MAX_LISTED_WRITERS)
    .map((w) => `${nodeText(w.writer.nodeId)} token ${w.writer.token} (seq ${w.firstSeq}..${w.lastSeq}, ${w.frames} frame(s) from journal byte ${w.firstPositionBytes})`);
  const more = report.writers.length - listed.length;
  return `${listed.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
}

/**
 * Refuses a catalog whose journal shows two holders writing at once: a frame whose token is
 * older than a frame (or the checkpoint) before it, or — when `own` is under a grant (token > 0)
 * — any token newer than `own`'s. Tokens 0 (standalone writers) are never evidence. Pure.
 * @throws CatalogError SPLIT_BRAIN naming the writers (node ids, tokens, frame positions; bounded).
 */
export function checkWriterTokens(report: WriterReport, own: CatalogWriter | undefined): void {
  if (report.regression !== null) {
    const { earlier, later } = report.regression;
    throw new CatalogError(
      'SPLIT_BRAIN',
      `two holders wrote this pool's catalog: ${frameText(later)} follows ${frameText(earlier)}, whose token is newer. Writers in the journal: ${describeWriters(report)}`,
    );
  }
  if (own !== undefined && own.token > 0n && report.newestToken > own.token) {
    throw new CatalogError(
      'SPLIT_BRAIN',
      `this pool's catalog holds token ${report.newestToken}, newer than this host's grant ${own.token} (${nodeText(own.nodeId)}): another holder wrote it after this grant. Writers in the journal: ${describeWriters(report) || 'none since the checkpoint'}`,
    );
  }
}
