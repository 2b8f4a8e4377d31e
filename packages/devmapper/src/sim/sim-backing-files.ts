/**
 * The files behind the simulated loop devices (the simulator's disks): one descriptor per file,
 * opened read-write on first use and kept until the last loop device over the file is detached
 * or the kernel is closed. Reads and writes go straight to the file (no caching here).
 */
import { closeSync, fstatSync, openSync, readSync, statSync, writeSync } from 'node:fs';

/** Open descriptors of backing files, by path. */
export class BackingFiles {
  private readonly fds = new Map<string, number>();

  /** The descriptor of `file`, opened on first use. @throws the open's error (e.g. ENOENT) */
  private fd(file: string): number {
    let fd = this.fds.get(file);
    if (fd === undefined) {
      fd = openSync(file, 'r+');
      this.fds.set(file, fd);
    }
    return fd;
  }

  /** The file's size in bytes. */
  sizeBytes(file: string): number {
    return fstatSync(this.fd(file)).size;
  }

  /** Reads `length` bytes of `file` at `offset` into `out` at `outAt`. */
  read(file: string, out: Buffer, outAt: number, length: number, offset: number): void {
    readSync(this.fd(file), out, outAt, length, offset);
  }

  /** Writes `length` bytes of `data` from `dataAt` to `file` at `offset`. */
  write(file: string, data: Buffer, dataAt: number, length: number, offset: number): void {
    writeSync(this.fd(file), data, dataAt, length, offset);
  }

  /** Closes `file`'s descriptor, if open. Idempotent. */
  close(file: string): void {
    const fd = this.fds.get(file);
    if (fd !== undefined) {
      closeSync(fd);
      this.fds.delete(file);
    }
  }

  /** Closes every descriptor. Idempotent; the next use opens the file again. */
  closeAll(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}

/** True when `path` is a regular file (following symlinks), for the ENOTBLK / ENOENT distinction. */
export function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
