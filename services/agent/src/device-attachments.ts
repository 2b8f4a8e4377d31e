/**
 * Turns the device paths a user gives into block devices the engine can use: block devices
 * pass through; regular files (demos, tests, the simulated device-mapper's disks) are attached
 * to loop devices. A file's loop device is remembered in the pool registry and reused while it
 * is still attached to the same file (an agent restart on a host that did not reboot), so a
 * restart never piles up loop devices.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
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

export class DeviceAttachments {
  constructor(private readonly block: BlockClient) {}

  /**
   * Block devices for `devices` (checked as request field `field`), attaching files to loop
   * devices or reusing `known` attachments. On failure, loops attached by this call are
   * detached again.
   * @throws AgentError BAD_REQUEST / NO_SUCH_DEVICE naming `field[i]`
   */
  async attach(field: string, devices: readonly string[], known: Readonly<Record<string, string>> = {}): Promise<AttachedDevices> {
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
        if (loop !== null && (await this.backingFile(loop)) !== path) loop = null;
        if (loop === null) {
          loop = await this.block.attachLoop(path);
          attachedNow.push(loop);
        }
        loops[path] = loop;
        paths.push(loop);
      }
    } catch (err) {
      await this.detach(attachedNow);
      throw err;
    }
    return { paths, loops };
  }

  /** Detaches loop devices; ones already free are fine. Errors are returned, not thrown. */
  async detach(loops: Iterable<string>): Promise<Error[]> {
    const errors: Error[] = [];
    for (const loop of loops) {
      try {
        if ((await this.backingFile(loop)) !== null) await this.block.detachLoop(loop);
      } catch (err) {
        errors.push(err as Error);
      }
    }
    return errors;
  }

  private async backingFile(loop: string): Promise<string | null> {
    try {
      return await this.block.loopBackingFile(loop);
    } catch {
      return null;
    }
  }
}
