import { open, type FileHandle } from 'node:fs/promises';
import { assertSectorAligned, type CatalogDevice } from './catalog-device.js';

/** A {@link CatalogDevice} over a file or block device path, with a handle to close. */
export interface FileCatalogDevice extends CatalogDevice {
  /** The path given to {@link fileCatalogDevice}. */
  readonly path: string;
  /**
   * Closes the file if it was opened. Idempotent; later reads and writes open it again.
   * Safe to call while no read or write is in flight.
   */
  close(): Promise<void>;
}

/**
 * A {@link CatalogDevice} backed by `path` (a regular file or a block device), for tests and
 * tools. The file is opened read-write on first use and must already exist with its final size;
 * reads past its end reject with a `RangeError`. `write` returns after `fdatasync`, so a write
 * that returned survives a crash; a crash during `write` may leave any subset of its sectors.
 * Goes through the page cache (no O_DIRECT).
 *
 * @example
 * ```ts
 * const device = fileCatalogDevice('/var/tmp/pool0.img');
 * try { const label = await readLabel(device); } finally { await device.close(); }
 * ```
 */
export function fileCatalogDevice(path: string): FileCatalogDevice {
  let handle: Promise<FileHandle> | undefined;
  const file = (): Promise<FileHandle> => {
    if (handle === undefined) {
      const opening = open(path, 'r+');
      handle = opening;
      // A failed open is not cached: the next call tries again.
      opening.catch(() => {
        if (handle === opening) handle = undefined;
      });
    }
    return handle;
  };

  return {
    path,
    async read(offsetBytes: number, lengthBytes: number): Promise<Buffer> {
      assertSectorAligned(offsetBytes, lengthBytes);
      const fh = await file();
      const out = Buffer.alloc(lengthBytes);
      let done = 0;
      while (done < lengthBytes) {
        const { bytesRead } = await fh.read(out, done, lengthBytes - done, offsetBytes + done);
        if (bytesRead === 0) {
          throw new RangeError(`${path}: read of ${lengthBytes} bytes at ${offsetBytes} runs past the end (${offsetBytes + done})`);
        }
        done += bytesRead;
      }
      return out;
    },
    async write(offsetBytes: number, data: Uint8Array): Promise<void> {
      assertSectorAligned(offsetBytes, data.length);
      const fh = await file();
      let done = 0;
      while (done < data.length) {
        const { bytesWritten } = await fh.write(data, done, data.length - done, offsetBytes + done);
        done += bytesWritten;
      }
      await fh.datasync();
    },
    async close(): Promise<void> {
      const current = handle;
      handle = undefined;
      const fh = await current?.catch(() => undefined);
      await fh?.close();
    },
  };
}
