/**
 * What the agent knows about one background job, as it is kept on disk and handed to callers.
 * A record is a plain JSON value: the job store writes it whole, the manager hands out frozen
 * copies and keeps its own mutable one.
 */
import { isJobArgs } from '@thinfleet/engine';
import { customAlphabet } from 'nanoid';

/** Where a job is. `succeeded`, `failed` and `cancelled` are terminal: nothing changes after them. */
export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** Every state, in the order of the proto enum. */
export const JOB_STATES: readonly JobState[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

/**
 * The kinds a record may name when the reader is not told (`JobStore`'s default): the chunked
 * delete, the only kind the agent has run. The job runner passes its registry's kinds instead.
 */
export const DEFAULT_JOB_KINDS: readonly string[] = ['delete'];

/** One job as saved and as reported (`JobService`'s `Job`, before its mapping to the proto). */
export interface JobRecord {
  /** Unique on this host; safe as a file name (letters, digits, `-`, `_`). */
  readonly id: string;
  /** The name of the job's kind (job-kind.ts): `delete`. */
  readonly kind: string;
  readonly pool: string;
  /** The volume's name as last seen (it follows renames: the job works on `volumeUuid`). */
  readonly volume: string;
  /**
   * The catalog uuid of the volume: what the job resolves the volume by when it (re)starts; ''
   * while a job that makes its volume (an import) has not made it yet.
   */
  readonly volumeUuid: string;
  readonly state: JobState;
  /** Bytes of the volume done (for a delete: discarded), from offset 0; the checkpoint a resumed job starts from. */
  readonly doneBytes: number;
  /** The volume's size in bytes. */
  readonly totalBytes: number;
  /** Bytes per step (for a delete: per discard), a multiple of the pool's data block size. */
  readonly chunkBytes: number;
  /** Milliseconds since the epoch when the job was made. */
  readonly createdMs: number;
  /** Milliseconds since the epoch of the record's last change. */
  readonly updatedMs: number;
  /** Why the job failed, or what a cancelled job left behind; null otherwise. */
  readonly error: string | null;
  /** For a failed job: the engine's or agent's error code (`VOLUME_BUSY`), or the errno name (`EIO`). */
  readonly errorCode: string | null;
  /**
   * True when the volume was active before the job began on this host, so a job that ends
   * without deleting it leaves it active; false when the job activated it, so the job's end
   * deactivates it. Records written before this field existed read as true (left as they are).
   */
  readonly volumeWasActive: boolean;
  /**
   * The grant token (decimal) under which this host last owned the job: the pool's writer token
   * when it started, adopted or last marked the job ("0" on a standalone pool, and in records
   * written before this field). A record whose token is older than the job's owner token in the
   * pool's catalog is stale: another holder adopted the job since (delete-job.ts).
   */
  readonly ownerToken: string;
  /**
   * The kind's phase (`copy`, `detach`, `merge`...): 0 to 32 lower-case letters, digits or '-';
   * '' for a kind with one phase (delete) and in records written before this field.
   */
  readonly phase: string;
  /**
   * The kind's own arguments, saved with the record so that a resumed job has them (an import's
   * file and format): at most 16 entries of printable text, each value at most 4096 bytes.
   * Absent for a kind that needs none (delete) and in records written before this field.
   */
  readonly args?: Readonly<Record<string, string>>;
}

/** A record the manager may change. */
export type MutableJobRecord = { -readonly [K in keyof JobRecord]: JobRecord[K] };

/** True for the states a job never leaves. */
export function isTerminalState(state: JobState): boolean {
  return state === 'succeeded' || state === 'failed' || state === 'cancelled';
}

/** Job ids become file names: letters, digits, `-` and `_`, at most 64 characters. */
export const JOB_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Makes a new job id: 12 characters of lower-case letters and digits (nanoid, 36^12 ids), short
 * enough to type, never starting with `-` (which a command line would take for a flag), and a
 * valid file name for the job's record.
 */
export const newJobId: () => string = customAlphabet('0123456789abcdefghijklmnopqrstuvwxyz', 12);

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isTextOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';

/**
 * Checks a parsed JSON value and returns it as a record (a fresh object with only the record's
 * fields); its `kind` must be one of `kinds`. Pure.
 * @throws Error naming the first field at fault.
 */
export function parseJobRecord(value: unknown, kinds: readonly string[] = DEFAULT_JOB_KINDS): JobRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('a job record must be a JSON object');
  const v = value as Record<string, unknown>;
  const fail = (field: string): never => {
    throw new Error(`job record field "${field}" is missing or malformed`);
  };
  if (typeof v.id !== 'string' || !JOB_ID_PATTERN.test(v.id)) fail('id');
  if (typeof v.kind !== 'string' || !kinds.includes(v.kind)) fail('kind');
  if (!isText(v.pool)) fail('pool');
  if (!isText(v.volume)) fail('volume');
  if (typeof v.volumeUuid !== 'string') fail('volumeUuid');
  if (typeof v.state !== 'string' || !(JOB_STATES as readonly string[]).includes(v.state)) fail('state');
  if (!isCount(v.totalBytes)) fail('totalBytes');
  if (!isCount(v.doneBytes) || v.doneBytes > (v.totalBytes as number)) fail('doneBytes');
  if (!isCount(v.chunkBytes) || v.chunkBytes === 0 || v.chunkBytes % 512 !== 0) fail('chunkBytes');
  if (!isCount(v.createdMs)) fail('createdMs');
  if (!isCount(v.updatedMs)) fail('updatedMs');
  if (!isTextOrNull(v.error)) fail('error');
  if (!isTextOrNull(v.errorCode)) fail('errorCode');
  if (v.volumeWasActive !== undefined && typeof v.volumeWasActive !== 'boolean') fail('volumeWasActive');
  if (v.ownerToken !== undefined && (typeof v.ownerToken !== 'string' || !/^[0-9]{1,20}$/.test(v.ownerToken))) fail('ownerToken');
  if (v.phase !== undefined && (typeof v.phase !== 'string' || !/^[a-z0-9-]{0,32}$/.test(v.phase))) fail('phase');
  if (v.args !== undefined && !isArgs(v.args)) fail('args');
  return {
    id: v.id as string,
    kind: v.kind as string,
    pool: v.pool as string,
    volume: v.volume as string,
    volumeUuid: v.volumeUuid as string,
    state: v.state as JobState,
    doneBytes: v.doneBytes as number,
    totalBytes: v.totalBytes as number,
    chunkBytes: v.chunkBytes as number,
    createdMs: v.createdMs as number,
    updatedMs: v.updatedMs as number,
    error: v.error as string | null,
    errorCode: v.errorCode as string | null,
    volumeWasActive: (v.volumeWasActive as boolean | undefined) ?? true,
    ownerToken: (v.ownerToken as string | undefined) ?? '0',
    phase: (v.phase as string | undefined) ?? '',
    ...(v.args === undefined ? {} : { args: { ...(v.args as Record<string, string>) } }),
  };
}

/** Most entries of a record's `args`. */
export const MAX_JOB_ARGS = 16;
/** Longest value of a record's `args`, in UTF-8 bytes (a path: Linux's PATH_MAX). */
export const MAX_JOB_ARG_BYTES = 4096;

/** True for a valid `args` value: a plain object of at most 16 short keys to bounded text without NUL (the engine's rule for job marks' args, the same). Pure. */
export const isArgs: (value: unknown) => value is Readonly<Record<string, string>> = isJobArgs;
