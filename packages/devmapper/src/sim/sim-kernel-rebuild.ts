/**
 * How a new SimKernel on a state directory rebuilds the tables kernel.json lists ("the process
 * restarted, the kernel kept running"): every table's targets are constructed again, in the order
 * they were stacked, with the kernel memory each kept (snapshot and mirror targets), and merges
 * and mirror resyncs that were running go on.
 */
import { DmError } from '../dm-error.js';
import type { SavedKernel } from './sim-kernel-file.js';
import type { SimKernel } from './sim-kernel.js';

/** Rebuilds the tables of `saved.devices` into `kernel`'s devices (which exist, tableless). */
export async function rebuildTables(kernel: SimKernel, saved: SavedKernel): Promise<void> {
  // Devices are rebuilt bottom-up, as they were stacked: plain targets (the linear devices a
  // pool's data and metadata sit on) first, then pools (whose construction reads those
  // devices' sizes), then thin volumes (which look their pool up), then the snapshot targets
  // (whose origin or COW device may be a thin volume). Live tables before inactive ones, so a
  // snapshot table waiting to take a store over finds the live one it takes it from.
  const rank = (lines: ReadonlyArray<{ type: string }>): number =>
    lines.some((l) => l.type === 'mirror')
      ? 4
      : lines.some((l) => l.type.startsWith('snapshot'))
        ? 3
        : lines.some((l) => l.type === 'thin-pool')
          ? 1
          : lines.some((l) => l.type === 'thin')
            ? 2
            : 0;
  for (const pass of [0, 1, 2, 3, 4]) {
    for (const which of ['live', 'inactive'] as const) {
      for (const d of saved.devices) {
        const dev = kernel.devices.get(d.name)!;
        const t = d[which];
        if (t === null || rank(t.lines) !== pass) continue;
        try {
          dev[which] = await kernel.buildTable(dev.name, t.lines, t.readOnly, t.memory);
        } catch (err) {
          if (!(err instanceof DmError)) throw err;
          // The kernel never rebuilds a table: it keeps the target it made, whatever became of
          // the devices below (a thin-pool whose metadata device now fails I/O, after a fence,
          // is in failed mode). The simulator constructs it again and may find those devices
          // failing; such a table comes back as error targets of the same geometry.
          dev[which] = await kernel.buildTable(
            dev.name,
            t.lines.map((l) => ({ ...l, type: 'error', params: '' })),
            t.readOnly,
          );
        }
      }
    }
  }
  // The kernel went on merging: so does the rebuilt one.
  for (const d of kernel.devices.values()) {
    if (!d.suspended) for (const t of d.live?.targets ?? []) if ((t.type === 'snapshot-merge' && t.snapshot?.active) || t.type === 'mirror') t.resume?.();
  }
}
