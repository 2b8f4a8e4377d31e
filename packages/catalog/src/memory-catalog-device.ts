import { assertSectorAligned, SECTOR_BYTES, type CatalogDevice } from './catalog-device.js';

/**
 * What a {@link MemoryCatalogDevice} throws from the write it tears and from every write after
 * it: the process "died" there. Tests catch it, call {@link MemoryCatalogDevice.restart} and
 * reopen whatever they were testing.
 */
export class SimulatedCrash extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimulatedCrash';
  }
}

/**
 * An in-memory {@link CatalogDevice} for tests, with crash injection. Contents start zeroed and
 * survive {@link restart} (they model stable storage; every completed write is durable).
 *
 * Crash model: after {@link failWritesAfter}(n, k), the next n writes land normally, the one
 * after lands only its first k sectors and then throws {@link SimulatedCrash}, and every later
 * write throws {@link SimulatedCrash} without landing, until {@link restart}. k may be 0 (nothing
 * lands) or at least the write's sector count (everything lands but the caller never sees it
 * return). Reads keep working so a test can inspect the wreck.
 *
 * @example
 * ```ts
 * const device = new MemoryCatalogDevice(4 * 1024 * 1024);
 * device.failWritesAfter(0, 1);           // the next write lands one sector, then "crashes"
 * await expect(store.append(r)).rejects.toBeInstanceOf(SimulatedCrash);
 * device.restart();
 * const reopened = await CatalogStore.open(options);
 * ```
 */
export class MemoryCatalogDevice implements CatalogDevice {
  /** The device size given to the constructor. */
  readonly sizeBytes: number;
  readonly #bytes: Buffer;
  #writes = 0;
  #crashed = false;
  #fault: { remaining: number; tornSectors: number } | undefined;

  /**
   * @param sizeBytes - device size; a positive multiple of 512.
   * @throws RangeError when `sizeBytes` is not a positive multiple of 512.
   */
  constructor(sizeBytes: number) {
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0 || sizeBytes % SECTOR_BYTES !== 0) {
      throw new RangeError(`memory device size ${sizeBytes} is not a positive multiple of ${SECTOR_BYTES}`);
    }
    this.sizeBytes = sizeBytes;
    this.#bytes = Buffer.alloc(sizeBytes);
  }

  /** Writes that returned successfully since construction (torn or refused writes not counted). */
  get writeCount(): number {
    return this.#writes;
  }

  /** True after an injected crash, until {@link restart}. */
  get crashed(): boolean {
    return this.#crashed;
  }

  /**
   * Arms a crash: `writes` more writes succeed, the next lands only its first `tornSectors`
   * 512-byte sectors and throws {@link SimulatedCrash}, and all later writes throw. Replaces any
   * crash armed before. Does not clear a crash that already happened (use {@link restart}).
   * @throws RangeError for negative or non-integer arguments.
   */
  failWritesAfter(writes: number, tornSectors = 0): void {
    if (!Number.isSafeInteger(writes) || writes < 0 || !Number.isSafeInteger(tornSectors) || tornSectors < 0) {
      throw new RangeError(`failWritesAfter(${writes}, ${tornSectors}): arguments must be non-negative integers`);
    }
    this.#fault = { remaining: writes, tornSectors };
  }

  /** "Reboots": clears a crash and any armed fault; the contents stay as they landed. Idempotent. */
  restart(): void {
    this.#crashed = false;
    this.#fault = undefined;
  }

  /** Reads a copy of `lengthBytes` at `offsetBytes` (aligned, within the device). Idempotent. */
  async read(offsetBytes: number, lengthBytes: number): Promise<Buffer> {
    this.#checkRange(offsetBytes, lengthBytes);
    return Buffer.from(this.#bytes.subarray(offsetBytes, offsetBytes + lengthBytes));
  }

  /**
   * Copies `data` to `offsetBytes` (aligned, within the device), subject to the armed crash.
   * The caller may reuse `data` once the promise settles.
   */
  async write(offsetBytes: number, data: Uint8Array): Promise<void> {
    this.#checkRange(offsetBytes, data.length);
    if (this.#crashed) throw new SimulatedCrash(`write at ${offsetBytes} after a simulated crash`);
    const fault = this.#fault;
    if (fault !== undefined) {
      if (fault.remaining === 0) {
        const landed = Math.min(data.length, fault.tornSectors * SECTOR_BYTES);
        this.#bytes.set(data.subarray(0, landed), offsetBytes);
        this.#crashed = true;
        this.#fault = undefined;
        throw new SimulatedCrash(`simulated crash during a write of ${data.length / SECTOR_BYTES} sectors at ${offsetBytes}: ${landed / SECTOR_BYTES} landed`);
      }
      fault.remaining -= 1;
    }
    this.#bytes.set(data, offsetBytes);
    this.#writes += 1;
  }

  /** A copy of `lengthBytes` at any `offsetBytes`, bypassing alignment rules and faults. */
  peek(offsetBytes: number, lengthBytes: number): Buffer {
    this.#checkBounds(offsetBytes, lengthBytes);
    return Buffer.from(this.#bytes.subarray(offsetBytes, offsetBytes + lengthBytes));
  }

  /** Overwrites bytes at any offset, bypassing alignment rules and faults: models bit rot. */
  poke(offsetBytes: number, data: Uint8Array): void {
    this.#checkBounds(offsetBytes, data.length);
    this.#bytes.set(data, offsetBytes);
  }

  /** Inverts bit `bit` (0-7) of the byte at `offsetBytes`: models bit rot. */
  flipBit(offsetBytes: number, bit = 0): void {
    this.#checkBounds(offsetBytes, 1);
    if (!Number.isInteger(bit) || bit < 0 || bit > 7) throw new RangeError(`bit ${bit} is not 0..7`);
    this.#bytes[offsetBytes] = (this.#bytes[offsetBytes] ?? 0) ^ (1 << bit);
  }

  #checkRange(offsetBytes: number, lengthBytes: number): void {
    assertSectorAligned(offsetBytes, lengthBytes);
    this.#checkBounds(offsetBytes, lengthBytes);
  }

  #checkBounds(offsetBytes: number, lengthBytes: number): void {
    if (!Number.isSafeInteger(offsetBytes) || !Number.isSafeInteger(lengthBytes) || offsetBytes < 0 || lengthBytes < 0 || offsetBytes + lengthBytes > this.sizeBytes) {
      throw new RangeError(`range ${offsetBytes}+${lengthBytes} is outside the ${this.sizeBytes}-byte memory device`);
    }
  }
}
