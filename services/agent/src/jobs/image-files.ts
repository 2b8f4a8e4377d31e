/**
 * The image files of import and export jobs (import-job.ts, export-job.ts), on the agent's own
 * host: their formats, the checks a path gets before a job starts (nothing is created when one
 * fails), the finding of all-zero blocks that a sparse copy skips, and the publishing of an
 * export's finished file under its name without ever overwriting a file.
 *
 * An export is written to a temporary file beside its target, named after the job
 * (`.tf-export-<job id>.part`), and only a finished, synced file is linked to the target's name
 * (`link(2)` fails on an existing name: a file that appeared meanwhile is never clobbered).
 * Crash story: a partial file only ever has the temporary name, which a resumed job reopens and
 * a failed or cancelled one removes; a crash between the link and the removal of the temporary
 * name leaves both names on one file, which the resumed job sees (same inode) and finishes.
 */
import { link, lstat, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { BlockClient } from '@thinfleet/devmapper';
import { quoted } from '@thinfleet/engine';
import { AgentError, badRequest } from '../agent-error.js';
import { syncDirectory } from '../durable-file.js';

/**
 * The image formats: raw (the agent's own sparse copy), those qemu-img converts, and `stream`,
 * thinfleet's incremental stream (docs/diff-stream.md; diff-export.ts, diff-import.ts).
 */
export const IMAGE_FORMATS = ['raw', 'qcow2', 'vmdk', 'vhdx', 'vdi', 'stream'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

/** True for a format name the jobs know. */
export function isImageFormat(value: unknown): value is ImageFormat {
  return typeof value === 'string' && (IMAGE_FORMATS as readonly string[]).includes(value);
}

/** What an import's source is: its size in bytes and what tells a changed file (size and modification time). */
export interface ImageSource {
  readonly kind: 'file' | 'block';
  /** Bytes of the file (or block device). */
  readonly sizeBytes: number;
  /** Modification time, milliseconds (truncated); 0 for a block device. */
  readonly mtimeMs: number;
}

/**
 * The import source at `path`: an existing regular file or block device (the simulated
 * kernel's devices are not files: only files are read through the file system). Reads only.
 * @throws AgentError BAD_REQUEST naming `field` (missing, another kind of file, empty)
 */
export async function imageSource(field: string, path: string, block: BlockClient): Promise<ImageSource> {
  let s;
  try {
    s = await stat(path);
  } catch (err) {
    throw new AgentError('BAD_REQUEST', `${field}: cannot read ${quoted(path)}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { field, cause: err });
  }
  let source: ImageSource;
  if (s.isFile()) source = { kind: 'file', sizeBytes: s.size, mtimeMs: Math.trunc(s.mtimeMs) };
  else if (s.isBlockDevice()) source = { kind: 'block', sizeBytes: await block.sizeBytes(path), mtimeMs: 0 };
  else throw badRequest(field, `${quoted(path)} is neither a regular file nor a block device`);
  if (source.sizeBytes === 0) throw badRequest(field, `${quoted(path)} is empty`);
  return source;
}

/**
 * Checks that an export may create `path`: its directory exists and is a directory, and
 * nothing has the name (never overwritten). Reads only.
 * @throws AgentError BAD_REQUEST (no such directory) or FILE_EXISTS, naming `field`
 */
export async function requireNewFile(field: string, path: string): Promise<void> {
  const dir = dirname(path);
  const d = await stat(dir).catch(() => null);
  if (d === null || !d.isDirectory()) throw badRequest(field, `the directory of ${quoted(path)} does not exist`);
  if (basename(path) === '' || path.endsWith('/')) throw badRequest(field, `${quoted(path)} names a directory, not a file`);
  const existing = await lstat(path).catch(() => null);
  if (existing !== null) throw new AgentError('FILE_EXISTS', `${field}: ${quoted(path)} exists; an export never overwrites a file (remove it, or choose another name)`, { field });
}

/**
 * Refuses `path` unless it lies in one of `directories` (the agent's `imageDirectories`; empty:
 * any path): for an import the file itself, for an export its directory, each with symbolic
 * links resolved, so a link cannot lead out. Reads only.
 * @throws AgentError BAD_REQUEST naming `field`
 */
export async function requireAllowedPath(field: string, path: string, directories: readonly string[], use: 'import' | 'export'): Promise<void> {
  if (directories.length === 0) return;
  const real = await realpath(use === 'import' ? path : dirname(path)).catch((err: unknown) => {
    throw new AgentError('BAD_REQUEST', `${field}: cannot read ${quoted(path)}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { field, cause: err });
  });
  const inside = await Promise.all(
    directories.map(async (d) =>
      realpath(d).then(
        (r) => real === r || real.startsWith(r.endsWith('/') ? r : `${r}/`),
        () => false,
      ),
    ),
  );
  if (!inside.includes(true)) throw badRequest(field, `${quoted(path)} is outside the directories this agent ${use}s images ${use === 'import' ? 'from' : 'to'} (its imageDirectories)`);
}

/** The temporary name job `jobId` writes the export to `path` under, beside it. */
export function partialPath(path: string, jobId: string): string {
  return join(dirname(path), `.tf-export-${jobId}.part`);
}

/**
 * Gives the finished, synced temporary file `partial` its name `path`, never overwriting: a
 * hard link (atomic, fails on an existing name), then the removal of the temporary name; on a
 * file system without hard links, a rename after checking the name is free. Idempotent: when
 * `path` is already this file (a crash after the link), only the temporary name is removed.
 * @throws AgentError FILE_EXISTS when another file took the name; the file system's errors
 */
export async function publishFile(partial: string, path: string): Promise<void> {
  const [p, t] = await Promise.all([stat(partial).catch(() => null), lstat(path).catch(() => null)]);
  if (p === null && t !== null) return; // published before a crash, temporary name removed
  if (p !== null && t !== null && (p.ino !== t.ino || p.dev !== t.dev)) {
    throw new AgentError('FILE_EXISTS', `path: ${quoted(path)} was made by someone else while the export ran; the export is not written over it`, { field: 'path' });
  }
  if (t === null) {
    try {
      await link(partial, path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST')
        throw new AgentError('FILE_EXISTS', `path: ${quoted(path)} was made by someone else while the export ran; the export is not written over it`, { field: 'path', cause: err });
      if (code !== 'EPERM' && code !== 'EOPNOTSUPP' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw err;
      // No hard links here (a FAT or some FUSE file system): rename, the name having been checked free.
      await rename(partial, path);
      await syncDirectory(dirname(path));
      return;
    }
  }
  await syncDirectory(dirname(path));
  await unlink(partial);
  await syncDirectory(dirname(path));
}

/** Removes file `path` if it exists. Never rejects; resolves with the error code when it could not ('' when removed or absent). */
export async function removeIfPresent(path: string): Promise<string> {
  try {
    await unlink(path);
    return '';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return code === 'ENOENT' ? '' : code;
  }
}

/**
 * The runs of blocks of `data` that hold a non-zero byte, as [start, end) byte offsets into
 * `data`, in ascending order, adjacent blocks joined: what a sparse copy writes (the rest reads
 * as zeros on the other side). `blockBytes` is the granularity (the pool's data block size); the
 * last block may be short. Pure.
 */
export function dataRuns(data: Buffer, blockBytes: number): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  const zeros = Buffer.alloc(Math.min(blockBytes, data.length));
  for (let start = 0; start < data.length; start += blockBytes) {
    const end = Math.min(start + blockBytes, data.length);
    if (data.subarray(start, end).equals(zeros.subarray(0, end - start))) continue;
    const last = runs.at(-1);
    if (last !== undefined && last[1] === start) last[1] = end;
    else runs.push([start, end]);
  }
  return runs;
}
