/**
 * The status line of the `mirror` target (dm-raid1), as the kernel prints it:
 * `<#legs> <dev>... <in-sync regions>/<total regions> 1 <health char per leg> <log status>`,
 * where the log status is `1 core` or `3 disk <log dev> <A|D|F>`. Leg health: `A` alive, `D` a
 * write failed, `S` a resync failed, `R` a read failed, `F` a flush failed, `U` unknown; the disk
 * log's: `A` alive, `D` failed, `F` a flush failed.
 */
import { parseCount, TableParseError } from './target.js';

export type MirrorHealth = 'A' | 'D' | 'S' | 'R' | 'F' | 'U';

export interface MirrorStatus {
  /** The legs as `major:minor`, in table order. */
  readonly legs: readonly string[];
  /** One health character per leg. */
  readonly health: readonly MirrorHealth[];
  /** Regions the log holds in sync (every leg equal there). */
  readonly inSyncRegions: number;
  readonly totalRegions: number;
  readonly log: { readonly type: 'core' } | { readonly type: 'disk'; readonly device: string; readonly health: 'A' | 'D' | 'F' };
  /** True when every region is in sync and every leg and the log are alive. */
  readonly inSync: boolean;
}

/**
 * Parses a mirror status line.
 * @throws TableParseError naming the field that has another shape
 */
export function parseMirrorStatus(text: string): MirrorStatus {
  const fail = (why: string): never => {
    throw new TableParseError('mirror status', text.slice(0, 96), why);
  };
  const words = text.trim().split(/\s+/);
  let at = 0;
  const next = (what: string): string => words[at++] ?? fail(`missing ${what}`);
  const legCount = parseCount(next('leg count'), 'leg count', fail);
  const legs: string[] = [];
  for (let i = 0; i < legCount; i++) legs.push(next('leg device'));
  const ratio = next('sync ratio').split('/');
  if (ratio.length !== 2) fail('sync ratio is not in-sync/total');
  const inSyncRegions = parseCount(ratio[0]!, 'in-sync regions', fail);
  const totalRegions = parseCount(ratio[1]!, 'total regions', fail);
  if (next('health word count') !== '1') fail('expected 1 health word');
  const chars = next('leg health');
  if (chars.length !== legCount || !/^[ADSRFU]+$/.test(chars)) fail(`leg health "${chars.slice(0, 16)}" is not one of ADSRFU per leg`);
  const logWords = parseCount(next('log word count'), 'log word count', fail);
  const logType = next('log type');
  let log: MirrorStatus['log'];
  if (logType === 'core' && logWords === 1) log = { type: 'core' };
  else if (logType === 'disk' && logWords === 3) {
    const device = next('log device');
    const h = next('log health');
    if (h !== 'A' && h !== 'D' && h !== 'F') return fail(`log health "${h.slice(0, 8)}" is not A, D or F`);
    log = { type: 'disk', device, health: h };
  } else return fail(`log status "${logType.slice(0, 16)}" with ${logWords} words is not core (1) or disk (3)`);
  if (at !== words.length) fail('unexpected words after the log status');
  const health = [...chars] as MirrorHealth[];
  const inSync = inSyncRegions === totalRegions && health.every((c) => c === 'A') && (log.type === 'core' || log.health === 'A');
  return { legs, health, inSyncRegions, totalRegions, log, inSync };
}

/** Formats a status as the kernel prints it. Pure. */
export function formatMirrorStatus(s: Omit<MirrorStatus, 'inSync'>): string {
  const log = s.log.type === 'core' ? '1 core' : `3 disk ${s.log.device} ${s.log.health}`;
  return `${s.legs.length} ${s.legs.join(' ')} ${s.inSyncRegions}/${s.totalRegions} 1 ${s.health.join('')} ${log}`;
}
