/**
 * Job records on disk: one JSON file per job, `<stateDir>/jobs/<id>.json`.
 *
 * Crash story: a record is replaced whole (write a temporary file beside it, fsync it, rename
 * it over the record, fsync the directory), so a crash leaves the old record or the new one,
 * never a torn one; the first save also makes the directory durable. A crash between writing
 * the temporary file and the rename leaves that file behind; the store's first `save` or
 * `loadAll`, whichever comes first, removes such files, once: before this store has written
 * any, so it never removes the temporary file of a save in flight (the agent's start-up once
 * lost a resumed job's save that way, ENOENT on its rename). One store per state directory, in
 * one process (the agent's). A record
 * that cannot be read (damaged by hand, from another version) is skipped and reported, so one
 * bad file never stops the agent from starting.
 */
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { sweepTemporaryFiles, syncDirectory, writeFileDurably } from '../durable-file.js';
import { DEFAULT_JOB_KINDS, JOB_ID_PATTERN, parseJobRecord, type JobRecord } from './job-record.js';

/** A file `loadAll` skipped, and why. */
export interface UnreadableJobFile {
  readonly path: string;
  readonly error: Error;
}

/** What `JobStore.loadAll` found. */
export interface LoadedJobs {
  /** Every readable record, in no particular order. */
  readonly records: JobRecord[];
  /** Record files that could not be read or parsed; they are left in place. */
  readonly unreadable: UnreadableJobFile[];
}

const RECORD_SUFFIX = '.json';

/** The job records of one state directory. Saves of one record must not overlap (the manager chains them). */
export class JobStore {
  /** `<stateDir>/jobs`. */
  readonly dir: string;
  private dirReady = false;
  /** The sweep of temporary files earlier processes left; runs once, before this store writes. */
  private swept: Promise<void> | null = null;

  /**
   * @param kinds the job kinds whose records `loadAll` reads (a record of another kind is
   *   reported unreadable and left in place); default `DEFAULT_JOB_KINDS`
   */
  constructor(
    stateDir: string,
    private readonly kinds: readonly string[] = DEFAULT_JOB_KINDS,
  ) {
    this.dir = join(stateDir, 'jobs');
  }

  /** The file of job `id`. @throws Error when `id` is not a valid job id. */
  pathOf(id: string): string {
    if (!JOB_ID_PATTERN.test(id)) throw new Error(`"${id}" is not a valid job id`);
    return join(this.dir, `${id}${RECORD_SUFFIX}`);
  }

  /** Makes the jobs directory (mode 0700) and, when it was new, makes its entry durable. Idempotent. */
  private async ensureDir(): Promise<void> {
    if (this.dirReady) return;
    const created = await mkdir(this.dir, { recursive: true, mode: 0o700 });
    if (created !== undefined) await syncDirectory(dirname(this.dir));
    this.dirReady = true;
  }

  /**
   * Writes `record` durably, replacing any earlier version of it. Idempotent. When it rejects,
   * the file holds the earlier version (or nothing) and the error keeps its errno `code`.
   */
  async save(record: JobRecord): Promise<void> {
    const path = this.pathOf(record.id);
    await this.ensureDir();
    await this.sweepOnce();
    await writeFileDurably(path, `${JSON.stringify(record)}\n`);
  }

  /**
   * Removes the temporary files earlier processes left (a crash before their rename), the first
   * time it is called; later calls wait for that sweep and do nothing. Never rejects.
   */
  private sweepOnce(): Promise<void> {
    this.swept ??= sweepTemporaryFiles(this.dir).then(() => undefined);
    return this.swept;
  }

  /**
   * Reads every record. Temporary files a crash left behind are removed when this store has not
   * swept yet (never one of its own saves in flight); unreadable records are reported in
   * `unreadable` and left alone. A missing directory means no jobs.
   * @throws only when the directory itself cannot be listed (EACCES, ENOTDIR...).
   */
  async loadAll(): Promise<LoadedJobs> {
    await this.sweepOnce();
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], unreadable: [] };
      throw err;
    }
    const records: JobRecord[] = [];
    const unreadable: UnreadableJobFile[] = [];
    for (const name of names.sort()) {
      const path = join(this.dir, name);
      if (!name.endsWith(RECORD_SUFFIX)) continue;
      try {
        const record = parseJobRecord(JSON.parse(await readFile(path, 'utf8')), this.kinds);
        if (`${record.id}${RECORD_SUFFIX}` !== name) throw new Error(`the file holds job ${record.id}`);
        records.push(record);
      } catch (err) {
        unreadable.push({ path, error: err instanceof Error ? err : new Error(String(err)) });
      }
    }
    return { records, unreadable };
  }

  /** Removes job `id`'s record durably. Idempotent: a missing record is not an error. */
  async remove(id: string): Promise<void> {
    try {
      await unlink(this.pathOf(id));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    await syncDirectory(this.dir);
  }
}
