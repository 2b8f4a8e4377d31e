/** BlockClient over the kernel, through @thinfleet/dm-native. Holds no state. */
import * as native from '@thinfleet/dm-native';
import type { BlockClient, LoopAttachOptions } from '../block-client.js';
import type { DevNumber } from '../dm-client.js';
import { callNative } from './native-error.js';

export class NativeBlockClient implements BlockClient {
  async sizeBytes(path: string): Promise<number> {
    return callNative('BLKGETSIZE64', path, () => native.blockSizeBytes(path));
  }

  async deviceNumber(path: string): Promise<DevNumber> {
    return callNative('stat', path, () => native.blockDeviceNumber(path));
  }

  async discard(path: string, offsetBytes: number, lengthBytes: number): Promise<void> {
    await callNative('BLKDISCARD', path, () => native.blockDiscard(path, offsetBytes, lengthBytes));
  }

  async zeroOut(path: string, offsetBytes: number, lengthBytes: number): Promise<void> {
    await callNative('BLKZEROOUT', path, () => native.blockZeroOut(path, offsetBytes, lengthBytes));
  }

  async read(path: string, offsetBytes: number, lengthBytes: number): Promise<Buffer> {
    return callNative('read', path, () => native.blockRead(path, offsetBytes, lengthBytes));
  }

  async write(path: string, offsetBytes: number, data: Uint8Array): Promise<void> {
    await callNative('write', path, () => native.blockWrite(path, offsetBytes, data));
  }

  async keepOpen(path: string): Promise<void> {
    await callNative('open', path, () => native.blockKeepOpen(path));
  }

  async release(path: string): Promise<void> {
    await callNative('close', path, () => native.blockRelease(path));
  }

  async attachLoop(filePath: string, options: LoopAttachOptions = {}): Promise<string> {
    return callNative('LOOP_CONFIGURE', filePath, () => native.loopAttach(filePath, { readOnly: options.readOnly ?? false, autoclear: options.autoclear ?? false }));
  }

  async detachLoop(devicePath: string): Promise<void> {
    await callNative('LOOP_CLR_FD', devicePath, () => native.loopDetach(devicePath));
  }

  async loopBackingFile(devicePath: string): Promise<string | null> {
    return callNative('LOOP_GET_STATUS64', devicePath, () => native.loopBackingFile(devicePath));
  }
}
