/**
 * The thin target's status line: `<mapped sectors> <highest mapped sector|->`, `-` alone when
 * the thin device is not open in its pool, or `Fail`.
 */
import { parseCount, TableParseError } from './target.js';

export interface ThinStatus {
  readonly failed: false;
  /** Provisioned space of the thin device, in 512-byte sectors (whole data blocks). */
  readonly mappedSectors: number;
  /** Last sector of the highest provisioned block, or null when nothing is provisioned. */
  readonly highestMappedSector: number | null;
}

export interface FailedThinStatus {
  readonly failed: true;
}

/**
 * Parses a thin status line.
 * @throws TableParseError when the text has another shape.
 */
export function parseThinStatus(text: string): ThinStatus | FailedThinStatus {
  const words = text.trim().split(/\s+/);
  const fail = (why: string): never => {
    throw new TableParseError('thin status', text, why);
  };
  if (words[0] === 'Fail' || (words.length === 1 && words[0] === '-')) return { failed: true };
  if (words.length !== 2) fail('expected <mapped sectors> <highest mapped sector>');
  return {
    failed: false,
    mappedSectors: parseCount(words[0]!, 'mapped sectors', fail),
    highestMappedSector: words[1] === '-' ? null : parseCount(words[1]!, 'highest mapped sector', fail),
  };
}
