/**
 * The stand-in writer's data pattern: each acknowledged write is one 4 KiB block that names
 * itself (writer tag, sequence number, byte offset) in a text header and is filled after it from
 * a hash of those, so a read-back tells an intact block from zeros, from another write's block
 * and from a torn one. `sum` (the first 16 hex digits of the block's SHA-256) goes into the
 * pattern log with the offset and sequence number.
 */
import { createHash } from 'node:crypto';
import { blockRead } from '@thinfleet/dm-native';

/** Bytes per write: one page, the O_DIRECT unit. */
export const WRITE_BYTES = 4096;

/** The block that write `seq` of writer `tag` puts at `offset`. */
export function patternBlock(tag, seq, offset) {
  const block = Buffer.alloc(WRITE_BYTES);
  const header = `tf-pattern tag=${tag} seq=${seq} offset=${offset}\n`;
  block.write(header, 0, 'latin1');
  let fill = createHash('sha256').update(header).digest();
  for (let at = 128; at < WRITE_BYTES; at += fill.length) {
    fill.copy(block, at);
    fill = createHash('sha256').update(fill).digest();
  }
  return block;
}

/** The pattern log's checksum of a block. */
export const blockSum = (block) => createHash('sha256').update(block).digest('hex').slice(0, 16);

/**
 * Reads record `{tag, seq, offset, sum}`'s block from `device` with O_DIRECT and returns null when
 * it is intact, else a short description of what is there instead.
 */
export async function checkBlock(device, { tag, seq, offset, sum }) {
  const block = await blockRead(device, offset, WRITE_BYTES);
  if (blockSum(block) === sum) return null;
  if (block.every((b) => b === 0)) return 'zeros';
  const header = block.subarray(0, 96).toString('latin1').split('\n')[0];
  return header.startsWith('tf-pattern') ? `holds "${header}" (expected ${tag} seq ${seq})` : 'other bytes';
}
