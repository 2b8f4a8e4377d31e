/**
 * Typed device-mapper targets. Each target type has a params type that round-trips its table
 * string: `formatTarget(parseTarget(x))` is `x` (modulo spacing) and
 * `parseTarget(formatTarget(t))` equals `t`.
 */
import { isThinId, type ThinId } from '../thin-id.js';
import type { DmTargetLine } from '../dm-client.js';

/** `linear <device> <offset sectors>`: maps onto a range of another block device. */
export interface LinearTarget {
  readonly type: 'linear';
  /** A block device path or `major:minor`. */
  readonly device: string;
  /** Where the range starts on `device`, in 512-byte sectors. */
  readonly offsetSectors: number;
}

/** The thin-pool feature arguments; every flag defaults to false (the kernel's defaults). */
export interface ThinPoolFeatures {
  /** Do not zero newly provisioned blocks. */
  readonly skipBlockZeroing: boolean;
  /** Do not process discards at all. */
  readonly ignoreDiscard: boolean;
  /** Process discards in the pool but do not pass them down to the data device. */
  readonly noDiscardPassdown: boolean;
  /** Open the pool read-only: no allocation, no messages. */
  readonly readOnly: boolean;
  /** Fail writes at once when the data device is full, instead of queueing them. */
  readonly errorIfNoSpace: boolean;
}

/** `thin-pool <metadata dev> <data dev> <block sectors> <low water blocks> [<#features> <feature>...]` */
export interface ThinPoolTarget {
  readonly type: 'thin-pool';
  readonly metadataDevice: string;
  readonly dataDevice: string;
  /** Data block size in 512-byte sectors: a multiple of 128 (64 KiB), at most 2097152 (1 GiB). */
  readonly dataBlockSectors: number;
  /** Raise an event when free data blocks fall to this many; in data blocks. */
  readonly lowWaterMarkBlocks: number;
  readonly features: ThinPoolFeatures;
}

/** `thin <pool dev> <thin id> [<external origin dev>]` */
export interface ThinTarget {
  readonly type: 'thin';
  readonly poolDevice: string;
  readonly thinId: ThinId;
  /** A read-only block device whose content unprovisioned blocks show. */
  readonly externalOrigin?: string;
}

/** `error`: every I/O fails. */
export interface ErrorTarget {
  readonly type: 'error';
}

/** `zero`: reads return zeroes, writes are dropped. */
export interface ZeroTarget {
  readonly type: 'zero';
}

/**
 * A classic snapshot's exception store, as its table word: `P` persistent (the exceptions live on
 * the COW device and survive a reboot), `PO` persistent where userspace understands the
 * `Overflow` status (a write to the snapshot that finds the COW device full fails, the snapshot
 * stays readable), `N` transient (the exceptions live in kernel memory only).
 */
export type SnapshotStore = 'P' | 'PO' | 'N';

/** `snapshot-origin <origin dev>`: the origin device; each write first copies the old chunk into every snapshot of it. */
export interface SnapshotOriginTarget {
  readonly type: 'snapshot-origin';
  /** The real origin device (the one the snapshots name), a path or `major:minor`. */
  readonly device: string;
}

/** `snapshot <origin dev> <COW dev> <P|PO|N> <chunk sectors>`: a writable point-in-time view of the origin. */
export interface SnapshotTarget {
  readonly type: 'snapshot';
  /** The real origin device (not the snapshot-origin device over it). */
  readonly originDevice: string;
  /** Where the exceptions (copied chunks) are kept. */
  readonly cowDevice: string;
  readonly store: SnapshotStore;
  /**
   * Exception granularity in 512-byte sectors: a power of two, or 0 (a persistent store then takes
   * its header's, 32 for a new one; the kernel prints 0 for a table waiting to take a store over).
   */
  readonly chunkSectors: number;
}

/** `snapshot-merge <origin dev> <COW dev> <P|PO> <chunk sectors>`: replaces snapshot-origin and copies a snapshot's exceptions back. */
export interface SnapshotMergeTarget {
  readonly type: 'snapshot-merge';
  readonly originDevice: string;
  readonly cowDevice: string;
  /** Only persistent stores merge. */
  readonly store: Exclude<SnapshotStore, 'N'>;
  /** In 512-byte sectors: a power of two, or 0 as for SnapshotTarget. */
  readonly chunkSectors: number;
}

/**
 * The dirty region log of a `mirror` target: `core <#args> <region sectors> [[no]sync]` (kept in
 * kernel memory: a new table starts with every region out of sync unless `nosync`) or `disk
 * <#args> <log dev> <region sectors> [[no]sync]` (the clean-region bitset lives on the log
 * device and is read at each resume: mirror-disk-log.ts has its format).
 */
export interface MirrorLog {
  readonly type: 'core' | 'disk';
  /** The log device (`disk` only): a path or `major:minor`. */
  readonly device?: string;
  /** Region size in 512-byte sectors: a power of two, at least 2, at most the target's length. */
  readonly regionSectors: number;
  /** `sync`: resync every region; `nosync`: take every region as in sync; absent: the log decides (a disk log's bitset). */
  readonly sync?: 'sync' | 'nosync';
}

/** One leg of a mirror: a device and where on it the mirrored range starts. */
export interface MirrorLeg {
  readonly device: string;
  /** In 512-byte sectors. */
  readonly offsetSectors: number;
}

/**
 * `mirror <log type> <#log args> <log args...> <#legs> <dev> <offset>... [<#features> <feature>...]`
 * (dm-raid1): writes go to every leg (to the first alone in a region not yet in sync), reads to
 * the first leg where a region is not in sync, and the kernel copies out-of-sync regions from
 * the first leg to the others in the background.
 */
export interface MirrorTarget {
  readonly type: 'mirror';
  readonly log: MirrorLog;
  /** 2 to 8 legs in practice (the kernel's MAX_NR_MIRRORS is 9 with the log's); the first is the default leg. */
  readonly legs: readonly MirrorLeg[];
  /** `handle_errors`: a failed leg is ejected (needs dmeventd to act); off by default. */
  readonly handleErrors: boolean;
  /** `keep_log` (needs handle_errors). */
  readonly keepLog: boolean;
}

export type DmTarget = LinearTarget | ThinPoolTarget | ThinTarget | ErrorTarget | ZeroTarget | SnapshotOriginTarget | SnapshotTarget | SnapshotMergeTarget | MirrorTarget;

/** One typed table line: a target covering a sector range of the device. */
export interface DmTableEntry {
  /** In 512-byte sectors. */
  readonly startSector: number;
  /** In 512-byte sectors. */
  readonly lengthSectors: number;
  readonly target: DmTarget;
}

export const DATA_BLOCK_MIN_SECTORS = 128;
export const DATA_BLOCK_MAX_SECTORS = 2_097_152;

export const NO_THIN_POOL_FEATURES: ThinPoolFeatures = Object.freeze({
  skipBlockZeroing: false,
  ignoreDiscard: false,
  noDiscardPassdown: false,
  readOnly: false,
  errorIfNoSpace: false,
});

/** Feature flags in the order the kernel prints them, with their table keywords. */
const FEATURE_KEYWORDS: ReadonlyArray<readonly [keyof ThinPoolFeatures, string]> = [
  ['skipBlockZeroing', 'skip_block_zeroing'],
  ['ignoreDiscard', 'ignore_discard'],
  ['noDiscardPassdown', 'no_discard_passdown'],
  ['readOnly', 'read_only'],
  ['errorIfNoSpace', 'error_if_no_space'],
];

/** True when `sectors` is a data block size dm-thin accepts. */
export function isValidDataBlockSectors(sectors: number): boolean {
  return Number.isInteger(sectors) && sectors >= DATA_BLOCK_MIN_SECTORS && sectors <= DATA_BLOCK_MAX_SECTORS && sectors % DATA_BLOCK_MIN_SECTORS === 0;
}

/** Formats a target's table parameters, exactly as the kernel expects them. */
export function formatTargetParams(target: DmTarget): string {
  switch (target.type) {
    case 'linear':
      return `${target.device} ${target.offsetSectors}`;
    case 'thin-pool': {
      const features = FEATURE_KEYWORDS.filter(([key]) => target.features[key]).map(([, word]) => word);
      const head = `${target.metadataDevice} ${target.dataDevice} ${target.dataBlockSectors} ${target.lowWaterMarkBlocks}`;
      return features.length === 0 ? `${head} 0` : `${head} ${features.length} ${features.join(' ')}`;
    }
    case 'thin':
      return target.externalOrigin === undefined ? `${target.poolDevice} ${target.thinId}` : `${target.poolDevice} ${target.thinId} ${target.externalOrigin}`;
    case 'error':
    case 'zero':
      return '';
    case 'snapshot-origin':
      return target.device;
    case 'snapshot':
    case 'snapshot-merge':
      return `${target.originDevice} ${target.cowDevice} ${target.store} ${target.chunkSectors}`;
    case 'mirror':
      return formatMirrorParams(target);
  }
}

function formatMirrorParams(t: MirrorTarget): string {
  const logArgs = [...(t.log.type === 'disk' ? [t.log.device ?? ''] : []), String(t.log.regionSectors), ...(t.log.sync === undefined ? [] : [t.log.sync])];
  const legs = t.legs.map((l) => `${l.device} ${l.offsetSectors}`).join(' ');
  const features = [...(t.handleErrors ? ['handle_errors'] : []), ...(t.keepLog ? ['keep_log'] : [])];
  const tail = features.length === 0 ? '' : ` ${features.length} ${features.join(' ')}`;
  return `${t.log.type} ${logArgs.length} ${logArgs.join(' ')} ${t.legs.length} ${legs}${tail}`;
}

/** The most legs the kernel's mirror takes (MAX_NR_MIRRORS: 9 with the log's slot taken off). */
export const MIRROR_MAX_LEGS = 8;

function parseMirror(words: readonly string[], fail: (why: string) => never): MirrorTarget {
  let at = 0;
  const next = (what: string): string => {
    const w = words[at++];
    return w === undefined ? fail(`missing ${what}`) : w;
  };
  const logType = next('log type');
  if (logType !== 'core' && logType !== 'disk') return fail(`log type "${logType.slice(0, 16)}" is not core or disk`);
  const logArgCount = parseCount(next('log argument count'), 'log argument count', fail);
  const want = logType === 'disk' ? [2, 3] : [1, 2];
  if (!want.includes(logArgCount)) fail(`a ${logType} log takes ${want.join(' or ')} arguments, not ${logArgCount}`);
  const device = logType === 'disk' ? next('log device') : undefined;
  const regionSectors = parseCount(next('region size'), 'region size', fail);
  if (regionSectors < 2 || (regionSectors & (regionSectors - 1)) !== 0) fail(`region size ${regionSectors} is not a power of two of at least 2`);
  let sync: 'sync' | 'nosync' | undefined;
  if (logArgCount === want[1]) {
    const w = next('sync argument');
    if (w !== 'sync' && w !== 'nosync') return fail(`sync argument "${w.slice(0, 16)}" is not sync or nosync`);
    sync = w;
  }
  const legCount = parseCount(next('leg count'), 'leg count', fail);
  if (legCount < 2 || legCount > MIRROR_MAX_LEGS) fail(`leg count ${legCount} is not 2 to ${MIRROR_MAX_LEGS}`);
  const legs: MirrorLeg[] = [];
  for (let i = 0; i < legCount; i++) legs.push({ device: next('leg device'), offsetSectors: parseCount(next('leg offset'), 'leg offset', fail) });
  let handleErrors = false;
  let keepLog = false;
  if (at < words.length) {
    const count = parseCount(next('feature count'), 'feature count', fail);
    if (words.length - at !== count) fail(`feature count ${count} but ${words.length - at} features`);
    for (const f of words.slice(at)) {
      if (f === 'handle_errors') handleErrors = true;
      else if (f === 'keep_log') keepLog = true;
      else fail(`unknown feature ${f.slice(0, 16)}`);
    }
    if (keepLog && !handleErrors) fail('keep_log needs handle_errors');
  }
  const log: MirrorLog = { type: logType, ...(device === undefined ? {} : { device }), regionSectors, ...(sync === undefined ? {} : { sync }) };
  return { type: 'mirror', log, legs, handleErrors, keepLog };
}

/** True when `sectors` is a chunk size the snapshot targets accept: a power of two up to 2^22 sectors, or 0 (see SnapshotTarget). */
export function isValidSnapshotChunkSectors(sectors: number): boolean {
  return Number.isInteger(sectors) && sectors >= 0 && sectors <= SNAPSHOT_CHUNK_MAX_SECTORS && (sectors & (sectors - 1)) === 0;
}

/** The largest chunk the kernel takes: INT_MAX >> 9 sectors, rounded down to a power of two. */
export const SNAPSHOT_CHUNK_MAX_SECTORS = 4_194_304;

/** Turns typed entries into the lines DmClient.load takes. */
export function toTargetLines(entries: readonly DmTableEntry[]): DmTargetLine[] {
  return entries.map((e) => ({
    startSector: e.startSector,
    lengthSectors: e.lengthSectors,
    type: e.target.type,
    params: formatTargetParams(e.target),
  }));
}

/**
 * Parses one table line into a typed target.
 * @throws TableParseError for an unknown type or malformed parameters.
 */
export function parseTarget(type: string, params: string): DmTarget {
  const words = params
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '');
  const fail = (why: string): never => {
    throw new TableParseError(type, params, why);
  };
  switch (type) {
    case 'linear': {
      if (words.length !== 2) fail('expected <device> <offset>');
      return { type, device: words[0]!, offsetSectors: parseCount(words[1]!, 'offset', fail) };
    }
    case 'thin-pool': {
      if (words.length < 4) fail('expected <metadata> <data> <block sectors> <low water mark>');
      const count = words.length === 4 ? 0 : parseCount(words[4]!, 'feature count', fail);
      const featureWords = words.slice(5);
      if (featureWords.length !== count) fail(`feature count ${count} but ${featureWords.length} features`);
      const features: Record<keyof ThinPoolFeatures, boolean> = { ...NO_THIN_POOL_FEATURES };
      for (const word of featureWords) {
        const known = FEATURE_KEYWORDS.find(([, w]) => w === word);
        if (known === undefined) fail(`unknown feature ${word}`);
        else features[known[0]] = true;
      }
      return {
        type,
        metadataDevice: words[0]!,
        dataDevice: words[1]!,
        dataBlockSectors: parseCount(words[2]!, 'data block size', fail),
        lowWaterMarkBlocks: parseCount(words[3]!, 'low water mark', fail),
        features,
      };
    }
    case 'thin': {
      if (words.length !== 2 && words.length !== 3) fail('expected <pool> <thin id> [<external origin>]');
      const id = parseCount(words[1]!, 'thin id', fail);
      if (!isThinId(id)) fail(`thin id ${id} exceeds 24 bits`);
      const base = { type, poolDevice: words[0]!, thinId: id as ThinId };
      return words.length === 3 ? { ...base, externalOrigin: words[2]! } : base;
    }
    case 'error':
    case 'zero':
      return { type };
    case 'snapshot-origin':
      if (words.length !== 1) fail('expected <origin device>');
      return { type, device: words[0]! };
    case 'snapshot':
    case 'snapshot-merge': {
      if (words.length < 4) fail('expected <origin device> <COW device> <P|PO|N> <chunk sectors>');
      if (words.length > 4) fail('feature arguments (from the 5th word) are not supported');
      // The kernel takes the store letters in either case and prints them upper case.
      const store = words[2]!.toUpperCase();
      if (store !== 'P' && store !== 'PO' && store !== 'N') return fail(`store "${words[2]!.slice(0, 8)}" is not P, PO or N`);
      const chunkSectors = parseCount(words[3]!, 'chunk size', fail);
      if (!isValidSnapshotChunkSectors(chunkSectors)) fail(`chunk size ${chunkSectors} is not 0 or a power of two up to ${SNAPSHOT_CHUNK_MAX_SECTORS} sectors`);
      const devices = { originDevice: words[0]!, cowDevice: words[1]!, chunkSectors };
      if (type === 'snapshot') return { type, ...devices, store };
      if (store === 'N') return fail('store N: snapshot-merge needs a persistent store (P or PO)');
      return { type, ...devices, store };
    }
    case 'mirror':
      return parseMirror(words, fail);
    default:
      return fail('unknown target type');
  }
}

/** Parses a table as DmClient.table returns it. */
export function parseTable(lines: readonly DmTargetLine[]): DmTableEntry[] {
  return lines.map((l) => ({
    startSector: l.startSector,
    lengthSectors: l.lengthSectors,
    target: parseTarget(l.type, l.params),
  }));
}

/** Raised when a table or status string does not have the expected shape. */
export class TableParseError extends Error {
  constructor(
    readonly targetType: string,
    readonly text: string,
    why: string,
  ) {
    super(`cannot parse ${targetType} "${text}": ${why}`);
    this.name = 'TableParseError';
  }
}

/** Parses a non-negative decimal integer that fits a JS safe integer. */
export function parseCount(word: string, what: string, fail: (why: string) => never): number {
  if (!/^\d+$/.test(word)) return fail(`${what} "${word}" is not a number`);
  const value = Number(word);
  if (!Number.isSafeInteger(value)) return fail(`${what} ${word} is too large`);
  return value;
}
