/**
 * The thin-pool target's status line, as the kernel prints it:
 * `<transaction id> <used meta>/<total meta> <used data>/<total data> <held root|->
 *  rw|ro|out_of_data_space ignore_discard|discard_passdown|no_discard_passdown
 *  error_if_no_space|queue_if_no_space needs_check|- <metadata low water mark>`
 * or `Fail` when the pool has failed.
 */
import { parseCount, TableParseError } from './target.js';

export type ThinPoolMode = 'rw' | 'ro' | 'out_of_data_space';
export type ThinPoolDiscards = 'ignore_discard' | 'discard_passdown' | 'no_discard_passdown';

export interface ThinPoolStatus {
  readonly failed: false;
  /** The pool's 64-bit transaction id (userspace's commit counter). */
  readonly transactionId: bigint;
  /** Metadata blocks are 4 KiB. */
  readonly usedMetadataBlocks: number;
  readonly totalMetadataBlocks: number;
  /** Data blocks are the pool's data block size. */
  readonly usedDataBlocks: number;
  readonly totalDataBlocks: number;
  /** Metadata block of the held metadata snapshot (reserve_metadata_snap), or null. */
  readonly heldMetadataRoot: number | null;
  readonly mode: ThinPoolMode;
  readonly discards: ThinPoolDiscards;
  /** True when writes fail at once on a full pool, false when they queue. */
  readonly errorIfNoSpace: boolean;
  /** Metadata needs thin_check / thin_repair before it may be written again. */
  readonly needsCheck: boolean;
  /** Free metadata blocks below which the pool raises an event; in 4 KiB blocks. */
  readonly metadataLowWaterMarkBlocks: number | null;
}

export interface FailedThinPoolStatus {
  readonly failed: true;
}

/** Metadata blocks of a thin pool are 4 KiB. */
export const METADATA_BLOCK_BYTES = 4096;

/**
 * Parses a thin-pool status line.
 * @throws TableParseError when the text has another shape.
 */
export function parseThinPoolStatus(text: string): ThinPoolStatus | FailedThinPoolStatus {
  const words = text.trim().split(/\s+/);
  const fail = (why: string): never => {
    throw new TableParseError('thin-pool status', text, why);
  };
  if (words[0] === 'Fail') return { failed: true };
  if (words.length < 8) fail('too few fields');
  const ratio = (word: string, what: string): [number, number] => {
    const parts = word.split('/');
    if (parts.length !== 2) fail(`${what} "${word}" is not used/total`);
    return [parseCount(parts[0]!, what, fail), parseCount(parts[1]!, what, fail)];
  };
  if (!/^\d+$/.test(words[0]!)) fail('transaction id is not a number');
  const [usedMeta, totalMeta] = ratio(words[1]!, 'metadata usage');
  const [usedData, totalData] = ratio(words[2]!, 'data usage');
  const held = words[3] === '-' ? null : parseCount(words[3]!, 'held metadata root', fail);
  const mode = words[4];
  if (mode !== 'rw' && mode !== 'ro' && mode !== 'out_of_data_space') fail(`unknown mode ${mode}`);
  const discards = words[5];
  if (discards !== 'ignore_discard' && discards !== 'discard_passdown' && discards !== 'no_discard_passdown') {
    fail(`unknown discard mode ${discards}`);
  }
  const space = words[6];
  if (space !== 'error_if_no_space' && space !== 'queue_if_no_space') fail(`unknown no-space mode ${space}`);
  const check = words[7];
  if (check !== 'needs_check' && check !== '-') fail(`unknown needs_check field ${check}`);
  return {
    failed: false,
    transactionId: BigInt(words[0]!),
    usedMetadataBlocks: usedMeta,
    totalMetadataBlocks: totalMeta,
    usedDataBlocks: usedData,
    totalDataBlocks: totalData,
    heldMetadataRoot: held,
    mode: mode as ThinPoolMode,
    discards: discards as ThinPoolDiscards,
    errorIfNoSpace: space === 'error_if_no_space',
    needsCheck: check === 'needs_check',
    metadataLowWaterMarkBlocks: words[8] === undefined ? null : parseCount(words[8], 'metadata low water mark', fail),
  };
}
