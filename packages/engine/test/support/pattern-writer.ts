/**
 * A "VM" for flatten tests: writes 4 KiB pattern blocks at pseudo-random places of a volume's
 * device, one after another, and lays each over `expected` once it is acknowledged (the pattern
 * log), until stopped.
 */
import type { BlockClient } from '@thinfleet/devmapper';
import { pattern } from '../../../devmapper/test/conformance/dm-test-host.js';

/** Bytes per write. */
export const PATTERN_WRITE_BYTES = 4096;

export interface PatternWriter {
  /** Writes acknowledged so far. */
  readonly writes: number;
  /** Stops after the write in flight; resolves with the count of writes acknowledged. */
  stop(): Promise<number>;
}

/**
 * Starts writing `device` (of `sizeBytes`) through `block`, recording into `expected`. With
 * `yieldEachWrite`, the writer lets other work of the event loop run after each write (the
 * simulated kernel runs in this process).
 */
export function startPatternWriter(block: BlockClient, device: string, sizeBytes: number, expected: Buffer, options: { seed?: number; yieldEachWrite?: boolean } = {}): PatternWriter {
  let running = true;
  let writes = 0;
  let x = options.seed ?? 12345;
  const loop = (async () => {
    while (running) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      const at = (x % (sizeBytes / PATTERN_WRITE_BYTES)) * PATTERN_WRITE_BYTES;
      const data = pattern(10_000 + writes, PATTERN_WRITE_BYTES);
      await block.write(device, at, data);
      data.copy(expected, at);
      writes += 1;
      if (options.yieldEachWrite === true) await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  return {
    get writes() {
      return writes;
    },
    async stop() {
      running = false;
      await loop;
      return writes;
    },
  };
}
