/**
 * Who wrote a catalog structure: the grant token of the holder of the pool's cluster lock and its
 * node id (docs/catalog-format.md, "Writers"). A standalone pool writes token 0 and an empty node
 * id. Every journal frame carries its writer; a checkpoint carries the newest token folded into it.
 */

/** The longest node id a frame can carry, in UTF-8 bytes (the coordinator's node ids are at most 64 characters of ASCII). */
export const MAX_WRITER_NODE_ID_BYTES = 64;

/** The writer of a catalog frame. */
export interface CatalogWriter {
  /** The grant token (the etcd revision of the grant; docs/lock.md); 0 for a standalone pool. */
  readonly token: bigint;
  /** The writer's node id, 0..{@link MAX_WRITER_NODE_ID_BYTES} UTF-8 bytes, no NUL; empty when unknown. */
  readonly nodeId: string;
}

/** What a standalone pool (no cluster lock) writes, and what frames in format version 1 read as. */
export const STANDALONE_WRITER: CatalogWriter = Object.freeze({ token: 0n, nodeId: '' });

/** Largest value of the u64 token field. */
const MAX_TOKEN = (1n << 64n) - 1n;

/**
 * Checks a writer before it is used. Pure.
 * @throws RangeError when the token is not a bigint in 0..2^64-1, or the node id is not a string
 *   of at most {@link MAX_WRITER_NODE_ID_BYTES} UTF-8 bytes without NUL.
 */
export function checkCatalogWriter(writer: CatalogWriter): void {
  if (typeof writer.token !== 'bigint' || writer.token < 0n || writer.token > MAX_TOKEN) throw new RangeError('catalog writer token must be a bigint in 0..2^64-1');
  if (typeof writer.nodeId !== 'string') throw new RangeError('catalog writer node id must be a string');
  const bytes = Buffer.byteLength(writer.nodeId, 'utf8');
  if (bytes > MAX_WRITER_NODE_ID_BYTES) throw new RangeError(`catalog writer node id is ${bytes} bytes; at most ${MAX_WRITER_NODE_ID_BYTES}`);
  if (writer.nodeId.includes('\0')) throw new RangeError('catalog writer node id contains a NUL');
}
