/**
 * Turns the device paths a user gives into block devices the engine can use: block devices
 * pass through; regular files (demos, tests, the simulated device-mapper's disks) are attached
 * to loop devices. A file's loop device is remembered in the pool registry and reused while it
 * is still attached to the same file (an agent restart on a host that did not reboot), so a
 * restart never piles up loop devices.
 *
 * A loop device belongs to the one pool (or external origin) that attached it: it is released
 * only by that owner, and only while it is still attached to the file the owner recorded. A
 * recorded loop device that now serves another file (it was freed and reused) is never touched.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { BlockClient } from '@thinfleet/devmapper';
import { quoted } from '@thinfleet/engine';
import { AgentError, badRequest } from './agent-error.js';

export interface AttachedDevices {
  /** Block device paths, in the order given. */
  readonly paths: string[];
  /** File → loop device, for the files among the given paths. */
  readonly loops: Record<string, string>;
}

/** Longest device path, in bytes (Linux's PATH_MAX). */
const MAX_PATH_BYTES = 4096;

/** Checks a device path's form: absolute, at most PATH_MAX bytes, no control characters. */
export function checkDevicePath(field: string, path: unknown): string {
  if (typeof path !== 'string' || path.length === 0) throw badRequest(field, 'must be a non-empty path');
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) throw badRequest(field, `must be at most ${MAX_PATH_BYTES} bytes`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) throw badRequest(field, 'must not contain control characters');
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) throw badRequest(field, `must be at most ${MAX_PATH_BYTES} bytes, got ${Buffer.byteLength(path)}`);
  if (!isAbsolute(path)) throw badRequest(field, `must be an absolute path, got ${quoted(path)}`);
  return path;
}

type PathKind = 'file' | 'block';

async function kindOf(block: BlockClient, field: string, path: string): Promise<PathKind> {
  try {
    const s = await stat(path);
    if (s.isFile()) return 'file';
    if (s.isBlockDevice()) return 'block';
    throw badRequest(field, `${quoted(path)} is neither a block device nor a regular file`);
  } catch (err) {
    if (err instanceof AgentError) throw err;
    // The simulated kernel's devices (/dev/loop3 in the model) exist only in it.
    try {
      await block.sizeBytes(path);
      return 'block';
    } catch {
      throw new AgentError('NO_SUCH_DEVICE', `${field}: no such device or file ${quoted(path)}`, { field, cause: err });
    }
  }
}

/**
 * True when a loop device's backing file name (as the kernel reports it: absolute, and cut to
 * 63 bytes by LOOP_GET_STATUS64) is `file`.
 */
export function sameBackingFile(backing: string | null, file: string): boolean {
  if (backing === null) return false;
  const full = resolve(file);
  return backing === full || backing === file || (backing.length >= 63 && full.startsWith(backing));
}

/** Rewrites the engine's loop device paths in `err`'s message to the files the user named. */
export function inUserTerms<E>(err: E, loops: Readonly<Record<string, string>>): E {
  if (err instanceof Error) {
    // Longest loop path first, so that /dev/loop1 does not eat into /dev/loop12.
    for (const [file, loop] of Object.entries(loops).sort(([, a], [, b]) => b.length - a.length)) {
      err.message = err.message.replace(new RegExp(`${loop.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![0-9])`, 'g'), file);
    }
  }
  return err;
}

export class DeviceAttachments {
  constructor(private readonly block: BlockClient) {}

  /**
   * Block devices for `devices` (checked as request field `field`), attaching files to loop
   * devices or reusing `known` attachments. On failure, loops attached by this call are
   * detached again.
   * @throws AgentError BAD_REQUEST / NO_SUCH_DEVICE naming `field[i]`
   */
  async attach(field: string, devices: readonly string[], known: Readonly<Record<string, string>> = {}, options: { readOnly?: boolean } = {}): Promise<AttachedDevices> {
    const kinds: PathKind[] = [];
    for (const [i, path] of devices.entries()) kinds.push(await kindOf(this.block, `${field}[${i}]`, checkDevicePath(`${field}[${i}]`, path)));
    const paths: string[] = [];
    const loops: Record<string, string> = {};
    const attachedNow: string[] = [];
    try {
      for (const [i, path] of devices.entries()) {
        if (kinds[i] === 'block') {
          paths.push(path);
          continue;
        }
        let loop = known[path] ?? null;
        if (loop !== null && !sameBackingFile(await this.backingFile(loop), path)) loop = null;
        if (loop === null) {
          loop = await this.block.attachLoop(path, options.readOnly ? { readOnly: true } : {});
          attachedNow.push(loop);
        }
        loops[path] = loop;
        paths.push(loop);
      }
    } catch (err) {
      await this.detach(Object.fromEntries(Object.entries(loops).filter(([, l]) => attachedNow.includes(l))));
      throw err;
    }
    return { paths, loops };
  }

  /**
   * Detaches the loop devices of `loops` (file → loop device) that are still attached to their
   * file; a loop device that is free, or now serves another file, is left alone. Idempotent.
   * Errors are returned, not thrown.
   */
  async detach(loops: Readonly<Record<string, string>>): Promise<Error[]> {
    const errors: Error[] = [];
    for (const [file, loop] of Object.entries(loops)) {
      try {
        if (sameBackingFile(await this.backingFile(loop), file)) await this.block.detachLoop(loop);
      } catch (err) {
        errors.push(err as Error);
      }
    }
    return errors;
  }

  /** The file loop device `loop` is attached to, or null (free, or not a loop device). */
  async backingFile(loop: string): Promise<string | null> {
    try {
      return await this.block.loopBackingFile(loop);
    } catch {
      return null;
    }
  }
}
