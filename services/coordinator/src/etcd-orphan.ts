/**
 * The embedded etcd's pid file and what a start does with an etcd an earlier coordinator left
 * running on the same data dir (see embedded-etcd.ts, "Crash behaviour"): the process is
 * recognised by /proc/<pid>/cmdline naming `--data-dir <dataDir>`, so a pid reused by another
 * program is never signalled.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Logger } from 'pino';

/**
 * If `pidFile` names a live process running etcd on `dataDir` (an absolute path), SIGTERM it,
 * SIGKILL after `graceMs`, and wait up to `graceMs` again until it is gone. A missing file, a
 * stale or foreign pid is left alone. Idempotent. Returns null when no such process is left,
 * else the pid that survived SIGKILL.
 * @throws the pid file's read errors other than ENOENT, and kill errors other than ESRCH
 */
export async function stopOrphanEtcd(pidFile: string, dataDir: string, graceMs: number, logger: Logger): Promise<number | null> {
  let text: string;
  try {
    text = await readFile(pidFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const pid = Number(text.trim());
  if (!Number.isSafeInteger(pid) || pid <= 1 || pid === process.pid) return null;
  if (!(await runsEtcdOn(pid, dataDir))) return null;
  logger.warn({ pid, dataDir, pidFile }, 'an etcd left running on this data dir (orphaned by an earlier coordinator): stopping it');
  for (const [signal, waitMs] of [
    ['SIGTERM', graceMs],
    ['SIGKILL', graceMs],
  ] as const) {
    try {
      process.kill(pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return null;
      throw err;
    }
    if (await waitGone(pid, waitMs)) return null;
  }
  return pid;
}

/** Writes the pid file through a temporary file and a rename, so it is never half written. */
export async function writePidFile(path: string, pid: number): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, `${pid}\n`, { mode: 0o600 });
  await rename(tmp, path);
}

/** True when `pid` is alive (not a zombie) and its command line has `--data-dir <dataDir>`. */
async function runsEtcdOn(pid: number, dataDir: string): Promise<boolean> {
  let cmdline: string;
  try {
    cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return false; // gone (or no /proc: nothing to check against, leave it alone)
  }
  if (await isZombie(pid)) return false;
  const args = cmdline.split('\0');
  return args.some((arg, i) => (arg === '--data-dir' && args[i + 1] !== undefined && resolve(args[i + 1] as string) === dataDir) || arg === `--data-dir=${dataDir}`);
}

async function isZombie(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) S ...": the state follows the last ')' (comm may contain anything).
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true; // gone
  }
}

/** Polls until `pid` is gone or a zombie; false after `timeoutMs`. */
async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
    }
    if (await isZombie(pid)) return true;
    if (Date.now() >= deadline) return false;
    await delay(25);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
