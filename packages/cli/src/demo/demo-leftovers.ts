/**
 * The pids of a demo's children, kept in `DIR/children.pid` while it runs, so that the next start
 * can end children an earlier demo left behind. That happens only when the demo was killed with
 * SIGKILL on a machine without util-linux's setpriv (with it, the kernel kills them); they would
 * keep the sockets and ports of the demo directory.
 *
 * A recorded pid is ended only when its process still runs a command line naming the demo
 * directory (each child's `--config` lies in it): a pid reused by another program is left alone.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/** The file listing the running children's pids, one per line. */
export const childrenFile = (dir: string): string => `${dir}/children.pid`;

/** Records `pids` (replacing the list); written whole, a crash leaves the old or the new list. */
export function recordChildren(dir: string, pids: readonly number[]): void {
  const temp = `${childrenFile(dir)}.${process.pid}.tmp`;
  writeFileSync(temp, pids.map((pid) => `${pid}\n`).join(''), { mode: 0o600 });
  renameSync(temp, childrenFile(dir));
}

/** Forgets the list (at a clean stop, every child has exited). */
export function forgetChildren(dir: string): void {
  rmSync(childrenFile(dir), { force: true });
}

/** Whether `pid` runs a command line naming `dir`, and is not a zombie. */
function runsIn(pid: number, dir: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') return false;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .some((arg) => arg.startsWith(`${dir}/`));
  } catch {
    return false;
  }
}

/**
 * SIGKILLs the children an earlier demo on `dir` left running (see the module comment) and
 * waits up to 5 s for them to go. Returns the pids it ended. Precondition: no demo runs on `dir`.
 */
export async function endLeftovers(dir: string): Promise<number[]> {
  let text: string;
  try {
    text = readFileSync(childrenFile(dir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const pids = text
    .split('\n')
    .map(Number)
    .filter((pid) => Number.isSafeInteger(pid) && pid > 1 && pid !== process.pid && runsIn(pid, dir));
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  const deadline = Date.now() + 5_000;
  while (pids.some((pid) => runsIn(pid, dir)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  forgetChildren(dir);
  return pids;
}
