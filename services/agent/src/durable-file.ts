/**
 * Replaces a small file so that a crash leaves either its old or its new content: write a
 * temporary file beside it, fsync it, rename it over the target, fsync the directory.
 *
 * Temporary files are named `.<target>.<pid>.<n>.tmp`, unique per call within the process, so two
 * writes of one target that overlap never share (and rename away, or truncate) each other's
 * temporary file; the last rename wins. A crash between writing and renaming leaves the
 * temporary file behind: `isTemporaryFile` tells its owner's start-up which names to sweep, and
 * the sweep must run before this process writes anything there (see JobStore).
 *
 * `readStateFileSync` reads such a file back at start-up.
 */
import { readFileSync } from 'node:fs';
import { open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

let writes = 0;

/** True for the name (not path) of a temporary file `writeFileDurably` makes. */
export function isTemporaryFile(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp');
}

/** True when the process that made temporary file `name` still runs (and is not this one). */
function writerAlive(name: string): boolean {
  const pid = Number(/\.(\d+)\.\d+\.tmp$/.exec(name)?.[1] ?? Number.NaN);
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files a crash left in `dir` (see isTemporaryFile) and returns their
 * names. A file whose writer (the pid in its name) still runs is left, so a sweep never breaks
 * another process's write in flight. Precondition: no write of this process into `dir` is in
 * flight (call it at start-up, before the first write there). A missing directory has none;
 * files that cannot be removed are left. Never rejects.
 */
export async function sweepTemporaryFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    if (!isTemporaryFile(name) || writerAlive(name)) continue;
    if (
      await unlink(join(dir, name)).then(
        () => true,
        () => false,
      )
    )
      removed.push(name);
  }
  return removed;
}

/**
 * Durably replaces `path` with `content` (mode 0600). When it rejects, `path` holds its earlier
 * content (or nothing), no temporary file of this call is left, and the error keeps its errno.
 */
export async function writeFileDurably(path: string, content: string): Promise<void> {
  writes += 1;
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${writes}.tmp`);
  try {
    const file = await open(temp, 'w', 0o600);
    try {
      await file.writeFile(content);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
  await syncDirectory(dirname(path));
}

/** fsyncs directory `path`, so the names made or removed in it are durable. @throws the file system's error */
export async function syncDirectory(path: string): Promise<void> {
  const dir = await open(path, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/**
 * Reads a state file that `writeFileDurably` wrote, a JSON object whose `version` must be 1; null
 * when the file does not exist (a first start). Synchronous: for start-up only. Reads only.
 * The JSON's shape beyond `version` is the caller's to trust (it wrote the file).
 * @throws the read error (errno kept) for an unreadable file, SyntaxError for text that is not
 * JSON, and `PATH: unknown <versionName> N` for another version
 */
export function readStateFileSync<T extends { readonly version: number }>(path: string, versionName = 'version'): T | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const saved = JSON.parse(text) as T;
  if (saved.version !== 1) throw new Error(`${path}: unknown ${versionName} ${String(saved.version)}`);
  return saved;
}
