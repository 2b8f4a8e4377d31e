/**
 * Split-brain evidence in a catalog's journal (docs/catalog-format.md, "Writers"): every frame
 * names the grant token of the holder that wrote it and the lock space (cluster id) that granted
 * it, so two holders writing one pool leave frames whose tokens go backwards within one lock
 * space, tokens newer than the grant of the host now reading them, or a lock space that comes
 * back after another one wrote. Tokens compare only within one cluster id: a frame of another
 * cluster id than the one before it starts a new epoch (the pool moved to a new lock space).
 * Pure bookkeeping over the frames a load replays; {@link checkWriterTokens} turns it into a refusal.
 */
import { CatalogError } from './catalog-error.js';
import { writerClusterId, type CatalogWriter } from './catalog-writer.js';

/** Most writers a split-brain message lists (the rest are counted). */
const MAX_LISTED_WRITERS = 8;
/** Most epoch moves a report keeps (a journal can name a new cluster id in every frame). */
const MAX_MOVES = 8;

/** One writer as seen in the replayed journal. */
export interface SeenWriter {
  readonly writer: CatalogWriter;
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** Journal byte offset of its first replayed frame. */
  readonly firstPositionBytes: number;
  readonly frames: number;
}

/** Where a writer was seen: a frame (positionBytes >= 0) or the checkpoint (positionBytes -1, seq 0). */
export interface WriterSighting {
  readonly writer: CatalogWriter;
  readonly seq: number;
  readonly positionBytes: number;
}

/**
 * Two holders' frames in the wrong order: `later` has a (non-zero) token older than `earlier`'s
 * of the same cluster id (`kind: 'token'`), or `later`'s cluster id is one whose epoch `earlier`'s
 * cluster id had already followed (`kind: 'cluster'`: two lock spaces writing the pool alternately).
 */
export interface TokenRegression {
  readonly kind: 'token' | 'cluster';
  readonly earlier: WriterSighting;
  readonly later: WriterSighting;
}

/** The pool's frames moved from one lock space to another (a new epoch of token comparison). */
export interface ClusterMove {
  readonly from: WriterSighting;
  readonly to: WriterSighting;
}

/** What a load learned about the pool's writers. */
export interface WriterReport {
  /** The newest token the checkpoint in force recorded (0 for a version 1 checkpoint). */
  readonly checkpointToken: bigint;
  /** The cluster id of {@link checkpointToken} ('' when none). */
  readonly checkpointClusterId: string;
  /** The newest token of the last epoch (the checkpoint and the replayed frames of {@link clusterId}): what the catalog state has seen. */
  readonly newestToken: bigint;
  /** The cluster id of the last epoch: the lock space whose tokens {@link newestToken} compares with. */
  readonly clusterId: string;
  /** Writers of the replayed frames, in the order they first appear. */
  readonly writers: readonly SeenWriter[];
  /** The first pair of frames in the wrong order, if any. */
  readonly regression: TokenRegression | null;
  /** Cluster ids of the epochs before the last one, each once, oldest first (not for messages: a hostile journal can hold many). */
  readonly earlierClusterIds: readonly string[];
  /** Where the frames moved to another lock space, in journal order (at most 8). */
  readonly moves: readonly ClusterMove[];
}

const sameWriter = (a: CatalogWriter, b: CatalogWriter): boolean => a.token === b.token && a.nodeId === b.nodeId && writerClusterId(a) === writerClusterId(b);

/** Collects a {@link WriterReport} from the frames a replay applies, in journal order. */
export class WriterEvidence {
  #cluster: string;
  #newest: bigint;
  #newestAt: WriterSighting;
  #regression: TokenRegression | null = null;
  /** Cluster ids of every earlier epoch of this walk (a set: a hostile journal may name a new one in every frame). */
  readonly #earlier = new Set<string>();
  readonly #moves: ClusterMove[] = [];
  readonly #writers: Array<{ -readonly [K in keyof SeenWriter]: SeenWriter[K] }> = [];

  constructor(
    private readonly checkpointToken: bigint,
    private readonly checkpointClusterId = '',
  ) {
    this.#cluster = checkpointClusterId;
    this.#newest = checkpointToken;
    this.#newestAt = { writer: { token: checkpointToken, nodeId: '', clusterId: checkpointClusterId }, seq: 0, positionBytes: -1 };
  }

  /**
   * Notes one replayed frame. Token 0 (a standalone writer) is never evidence. A frame of another
   * cluster id than the epoch before it starts a new epoch, unless that cluster id's epoch came
   * earlier (then it is a regression of kind 'cluster').
   */
  observe(writer: CatalogWriter, seq: number, positionBytes: number): void {
    const seen = this.#writers.find((w) => sameWriter(w.writer, writer));
    if (seen === undefined) this.#writers.push({ writer, firstSeq: seq, lastSeq: seq, firstPositionBytes: positionBytes, frames: 1 });
    else {
      seen.lastSeq = seq;
      seen.frames += 1;
    }
    if (writer.token === 0n) return;
    const at: WriterSighting = { writer, seq, positionBytes };
    const cluster = writerClusterId(writer);
    if (this.#newest === 0n) {
      // No grant has written yet (a standalone pool's checkpoint and frames): the first epoch.
      this.#cluster = cluster;
      this.#newest = writer.token;
      this.#newestAt = at;
      return;
    }
    if (cluster !== this.#cluster) {
      if (this.#earlier.has(cluster)) {
        this.#regression ??= { kind: 'cluster', earlier: this.#newestAt, later: at };
        return;
      }
      this.#earlier.add(this.#cluster);
      if (this.#moves.length < MAX_MOVES) this.#moves.push({ from: this.#newestAt, to: at });
      this.#cluster = cluster;
      this.#newest = writer.token;
      this.#newestAt = at;
      return;
    }
    if (writer.token < this.#newest) {
      this.#regression ??= { kind: 'token', earlier: this.#newestAt, later: at };
      return;
    }
    if (writer.token > this.#newest || this.#newestAt.positionBytes < 0) {
      this.#newest = writer.token;
      this.#newestAt = at;
    }
  }

  report(): WriterReport {
    return {
      checkpointToken: this.checkpointToken,
      checkpointClusterId: this.checkpointClusterId,
      newestToken: this.#newest,
      clusterId: this.#cluster,
      writers: this.#writers.map((w) => ({ ...w })),
      regression: this.#regression,
      earlierClusterIds: [...this.#earlier],
      moves: [...this.#moves],
    };
  }
}

/** A cluster id for a message (ids are at most 64 bytes: quoted whole). */
export const clusterText = (clusterId: string): string => (clusterId === '' ? 'no cluster id' : `cluster ${JSON.stringify(clusterId)}`);
/** ` of cluster "…"`, or nothing for no cluster id (messages read as before cluster ids). */
const ofCluster = (clusterId: string): string => (clusterId === '' ? '' : ` of ${clusterText(clusterId)}`);
const nodeText = (nodeId: string): string => (nodeId === '' ? 'an unnamed node' : `node ${JSON.stringify(nodeId)}`);
const frameText = (f: WriterSighting): string =>
  f.positionBytes < 0
    ? `the checkpoint (newest token ${f.writer.token}${ofCluster(writerClusterId(f.writer))})`
    : `frame seq ${f.seq} (journal byte ${f.positionBytes}) by ${nodeText(f.writer.nodeId)} with token ${f.writer.token}${ofCluster(writerClusterId(f.writer))}`;

/** The writers of `report`, bounded, for a message. Pure. */
export function describeWriters(report: WriterReport): string {
  const listed = report.writers
    .slice(0, MAX_LISTED_WRITERS)
    .map(
      (w) =>
        `${nodeText(w.writer.nodeId)} token ${w.writer.token}${ofCluster(writerClusterId(w.writer))} (seq ${w.firstSeq}..${w.lastSeq}, ${w.frames} frame(s) from journal byte ${w.firstPositionBytes})`,
    );
  const more = report.writers.length - listed.length;
  return `${listed.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
}

/**
 * Refuses a catalog whose journal shows two holders writing at once: a frame whose token is
 * older than a frame (or the checkpoint) of the same cluster id before it; a frame of a cluster id
 * whose epoch another cluster id's frames had followed; or — when `own` is under a grant (token >
 * 0) — a token of `own`'s cluster id newer than `own`'s, or `own`'s cluster id among the
 * earlier epochs (its frames would follow a newer epoch's). Tokens of other cluster ids are not
 * compared with `own`'s (the pool moved lock spaces; the caller logs that, see {@link clusterMoveOf}).
 * Tokens 0 (standalone writers) are never evidence. Pure.
 * @throws CatalogError SPLIT_BRAIN naming the writers (node ids, tokens, cluster ids, frame positions; bounded).
 */
export function checkWriterTokens(report: WriterReport, own: CatalogWriter | undefined): void {
  if (report.regression !== null) {
    const { kind, earlier, later } = report.regression;
    const why =
      kind === 'token'
        ? 'whose token is newer'
        : `a later lock space: ${clusterText(writerClusterId(later.writer))} wrote after ${clusterText(writerClusterId(earlier.writer))} had taken over from it`;
    throw new CatalogError(
      'SPLIT_BRAIN',
      `two holders wrote this pool's catalog: ${frameText(later)} follows ${frameText(earlier)}, ${why}. Writers in the journal: ${describeWriters(report)}`,
    );
  }
  if (own === undefined || own.token === 0n) return;
  const ownCluster = writerClusterId(own);
  const writers = describeWriters(report) || 'none since the checkpoint';
  if (report.clusterId === ownCluster && report.newestToken > own.token) {
    throw new CatalogError(
      'SPLIT_BRAIN',
      `this pool's catalog holds token ${report.newestToken}${ofCluster(ownCluster)}, newer than this host's grant ${own.token} (${nodeText(own.nodeId)}): another holder wrote it after this grant. Writers in the journal: ${writers}`,
    );
  }
  if (report.clusterId !== ownCluster && report.earlierClusterIds.includes(ownCluster)) {
    throw new CatalogError(
      'SPLIT_BRAIN',
      `this host's ${clusterText(ownCluster)} wrote this pool's catalog before ${clusterText(report.clusterId)} took over from it (newest token ${report.newestToken}): two lock spaces would write the pool alternately. Writers in the journal: ${writers}`,
    );
  }
}

/**
 * The lock-space move an open under `own` makes, if any: the catalog's last epoch has a grant
 * (token > 0) of another cluster id than `own`'s, and `own` is under a grant. For a warning at
 * activation; null otherwise. Pure.
 */
export function clusterMoveOf(
  report: WriterReport,
  own: CatalogWriter | undefined,
): { readonly fromClusterId: string; readonly fromToken: bigint; readonly toClusterId: string; readonly toToken: bigint } | null {
  if (own === undefined || own.token === 0n || report.newestToken === 0n) return null;
  const ownCluster = writerClusterId(own);
  if (report.clusterId === ownCluster) return null;
  return { fromClusterId: report.clusterId, fromToken: report.newestToken, toClusterId: ownCluster, toToken: own.token };
}
