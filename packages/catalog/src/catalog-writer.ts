/**
 * Who wrote a catalog structure: the grant token of the holder of the pool's cluster lock, its
 * node id and the id of the lock space that granted it (docs/catalog-format.md, "Writers"). A
 * standalone pool writes token 0 and empty ids. Every journal frame carries its writer; a
 * checkpoint carries the newest token folded into it and that token's cluster id.
 */

/** The longest node id a frame can carry, in UTF-8 bytes (the coordinator's node ids are at most 64 characters of ASCII). */
export const MAX_WRITER_NODE_ID_BYTES = 64;

/** The writer of a catalog frame. */
export interface CatalogWriter {
  /** The grant token (the etcd revision of the grant; docs/lock.md); 0 for a standalone pool. */
  readonly token: bigint;
  /** The writer's node id, 0..{@link MAX_WRITER_NODE_ID_BYTES} UTF-8 bytes, no NUL; empty when unknown. */
  readonly nodeId: string;
  /**
   * The id of the lock space the token was granted in (the coordinator's Welcome.cluster_id;
   * docs/lock.md), 0..{@link MAX_WRITER_CLUSTER_ID_BYTES} UTF-8 bytes, no NUL. Tokens compare only
   * between writers of the same cluster id. Absent or empty: a standalone pool, or a cluster whose
   * coordinator sends none.
   */
  readonly clusterId?: string;
}

/** The longest cluster id a frame or checkpoint can carry, in UTF-8 bytes (the lock's cluster ids are at most 64 ASCII characters). */
export const MAX_WRITER_CLUSTER_ID_BYTES = 64;

/** The cluster id of `writer` ('' when absent). Pure. */
export function writerClusterId(writer: CatalogWriter): string {
  return writer.clusterId ?? '';
}

/** What a standalone pool (no cluster lock) writes, and what frames in format version 1 read as. */
export const STANDALONE_WRITER: CatalogWriter = Object.freeze({ token: 0n, nodeId: '' });

/** Largest value of the u64 token field. */
const MAX_TOKEN = (1n << 64n) - 1n;

/**
 * Checks a writer before it is used. Pure.
 * @throws RangeError when the token is not a bigint in 0..2^64-1, or the node id (cluster id) is
 *   not a string of at most {@link MAX_WRITER_NODE_ID_BYTES} ({@link MAX_WRITER_CLUSTER_ID_BYTES})
 *   UTF-8 bytes without NUL.
 */
export function checkCatalogWriter(writer: CatalogWriter): void {
  if (typeof writer.token !== 'bigint' || writer.token < 0n || writer.token > MAX_TOKEN) throw new RangeError('catalog writer token must be a bigint in 0..2^64-1');
  checkWriterText(writer.nodeId, 'node id', MAX_WRITER_NODE_ID_BYTES);
  if (writer.clusterId !== undefined) checkWriterText(writer.clusterId, 'cluster id', MAX_WRITER_CLUSTER_ID_BYTES);
}

function checkWriterText(text: unknown, what: string, maxBytes: number): void {
  if (typeof text !== 'string') throw new RangeError(`catalog writer ${what} must be a string`);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) throw new RangeError(`catalog writer ${what} is ${bytes} bytes; at most ${maxBytes}`);
  if (text.includes('\0')) throw new RangeError(`catalog writer ${what} contains a NUL`);
}
