/**
 * Which device-mapper devices sit on which block devices: a snapshot of every dm device's
 * table dependencies (live and inactive tables), read through the DmClient interface only, so
 * it works the same on the kernel and on the simulated kernel. Read-only; a device that goes
 * away while it is read is skipped.
 */
import { formatDevNumber, type DevNumber, type DmClient } from './dm-client.js';

export interface DmStack {
  /** The dm device name of a device number (`major:minor`), when it is a dm device. */
  nameOf(dev: DevNumber): string | null;
  /** The dm devices whose live or inactive table uses `dev` directly. */
  holdersOf(dev: DevNumber): string[];
  /**
   * `dev` and everything below it: for a dm device, the devices its tables use, and theirs,
   * down to devices that are not dm devices. Keys are `major:minor`.
   */
  below(dev: DevNumber): Set<string>;
}

/** Reads every dm device's dependencies once (DM_LIST_DEVICES, then DM_TABLE_DEPS each). */
export async function readDmStack(dm: DmClient): Promise<DmStack> {
  const byDev = new Map<string, string>();
  const deps = new Map<string, string[]>();
  for (const d of await dm.list()) {
    const keys = new Set<string>();
    for (const inactive of [false, true]) {
      try {
        for (const dep of await dm.deps(d.name, { inactive })) keys.add(formatDevNumber(dep));
      } catch {
        // removed meanwhile, or no such table
      }
    }
    byDev.set(formatDevNumber(d.dev), d.name);
    deps.set(d.name, [...keys]);
  }
  return {
    nameOf: (dev) => byDev.get(formatDevNumber(dev)) ?? null,
    holdersOf: (dev) => {
      const key = formatDevNumber(dev);
      return [...deps].filter(([, keys]) => keys.includes(key)).map(([name]) => name);
    },
    below: (dev) => {
      const seen = new Set<string>();
      const todo = [formatDevNumber(dev)];
      while (todo.length > 0) {
        const key = todo.pop()!;
        if (seen.has(key)) continue;
        seen.add(key);
        const name = byDev.get(key);
        if (name !== undefined) todo.push(...(deps.get(name) ?? []));
      }
      return seen;
    },
  };
}
