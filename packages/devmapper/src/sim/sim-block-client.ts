/**
 * BlockClient over the simulated kernel: block I/O through its tables and loop devices over
 * real files.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BlockClient, LoopAttachOptions } from '../block-client.js';
import type { DevNumber } from '../dm-client.js';
import { DmError } from '../dm-error.js';
import { SECTOR_BYTES } from '../units.js';
import { isRegularFile } from './sim-backing-files.js';
import { SIM_LOOP_MAJOR } from './sim-devices.js';
import type { SimKernel } from './sim-kernel.js';

export class SimBlockClient implements BlockClient {
  constructor(readonly kernel: SimKernel) {}

  private device(path: string, operation: string): DevNumber {
    const dev = this.kernel.resolve(path);
    if (dev !== null) return dev;
    const code = isRegularFile(path) ? 'ENOTBLK' : 'ENOENT';
    throw new DmError(code, operation, path, code === 'ENOTBLK' ? 'not a block device' : 'no such device');
  }

  private checkRange(path: string, operation: string, offsetBytes: number, lengthBytes: number): DevNumber {
    for (const [what, v] of [
      ['offset', offsetBytes],
      ['length', lengthBytes],
    ] as const) {
      if (!Number.isSafeInteger(v) || v < 0 || v % SECTOR_BYTES !== 0) {
        throw new RangeError(`${operation} ${path}: ${what} ${v} is not a multiple of ${SECTOR_BYTES}`);
      }
    }
    const dev = this.device(path, operation);
    if (offsetBytes + lengthBytes > this.kernel.sizeBytes(dev)) {
      // The kernel's answers: pread past the end ENXIO, pwrite ENOSPC, the range ioctls EINVAL.
      const code = operation === 'read' ? 'ENXIO' : operation === 'write' ? 'ENOSPC' : 'EINVAL';
      throw new DmError(code, operation, path, 'range beyond the end of the device');
    }
    return dev;
  }

  async sizeBytes(path: string): Promise<number> {
    return this.kernel.sizeBytes(this.device(path, 'BLKGETSIZE64'));
  }

  async deviceNumber(path: string): Promise<DevNumber> {
    return this.device(path, 'stat');
  }

  async discard(path: string, offsetBytes: number, lengthBytes: number): Promise<void> {
    await this.kernel.discard(this.checkRange(path, 'BLKDISCARD', offsetBytes, lengthBytes), offsetBytes, lengthBytes);
  }

  async zeroOut(path: string, offsetBytes: number, lengthBytes: number): Promise<void> {
    const dev = this.checkRange(path, 'BLKZEROOUT', offsetBytes, lengthBytes);
    await this.kernel.write(dev, offsetBytes, Buffer.alloc(lengthBytes));
  }

  async read(path: string, offsetBytes: number, lengthBytes: number): Promise<Buffer> {
    return this.kernel.read(this.checkRange(path, 'read', offsetBytes, lengthBytes), offsetBytes, lengthBytes);
  }

  async write(path: string, offsetBytes: number, data: Uint8Array): Promise<void> {
    const dev = this.checkRange(path, 'write', offsetBytes, data.length);
    await this.kernel.write(dev, offsetBytes, Buffer.from(data.buffer, data.byteOffset, data.length));
  }

  async attachLoop(filePath: string, options: LoopAttachOptions = {}): Promise<string> {
    const file = resolve(filePath);
    if (!existsSync(file)) throw new DmError('ENOENT', 'LOOP_CONFIGURE', filePath, 'no such file');
    let index = 0;
    while (this.kernel.loops.has(index)) index++;
    this.kernel.loops.set(index, { index, file, readOnly: options.readOnly ?? false, autoclear: options.autoclear ?? false });
    this.kernel.save();
    return `/dev/loop${index}`;
  }

  async detachLoop(devicePath: string): Promise<void> {
    const dev = this.device(devicePath, 'LOOP_CLR_FD');
    if (dev.major !== SIM_LOOP_MAJOR) throw new DmError('ENOTTY', 'LOOP_CLR_FD', devicePath, 'not a loop device');
    // Like the kernel: an open loop device is detached when its last opener closes it.
    if (this.kernel.openCount(dev) > 0) this.kernel.loops.get(dev.minor)!.autoclear = true;
    else this.kernel.detachLoopNow(dev.minor);
    this.kernel.save();
  }

  async loopBackingFile(devicePath: string): Promise<string | null> {
    const m = /^\/dev\/loop(\d+)$/.exec(devicePath);
    if (m === null) throw new DmError('ENOTTY', 'LOOP_GET_STATUS64', devicePath, 'not a loop device');
    return this.kernel.loops.get(Number(m[1]))?.file ?? null;
  }
}
