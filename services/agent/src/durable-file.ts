/**
 * Replaces a small file so that a crash leaves either its old or its new content: write a
 * temporary file beside it, fsync it, rename it over the target, fsync the directory.
 *
 * Temporary files are named `.<target>.<pid>.<n>.tmp`, unique per call within the process, so two
 * writes of one target that overlap never share (and rename away, or truncate) each other's
 * temporary file; the last rename wins. A crash between writing and renaming leaves the
 * temporary file behind: `isTemporaryFile` tells its owner's start-up which names to sweep, and
 * the sweep must run before this process writes anything there (see JobStore).
 */
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

let writes = 0;

/** True for the name (not path) of a temporary file `writeFileDurably` makes. */
export function isTemporaryFile(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp');
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
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
