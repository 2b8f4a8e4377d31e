/**
 * The simulated kernel's memory on disk: `<stateDir>/kernel.json`, the devices (with their
 * tables' lines, not their targets) and loop devices. Written whole after every change
 * (write-temp, rename), so a crash leaves the old file or the new one; a missing file is a
 * kernel just booted.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DmTargetLine } from '../dm-client.js';
import type { SimDevice, SimLoop, SimTable } from './sim-devices.js';

/** A table as kernel.json keeps it: its lines; the targets are constructed again on open. */
export interface SavedTable {
  lines: DmTargetLine[];
  readOnly: boolean;
  /** Per line, what the target keeps in kernel memory beyond its line (snapshot targets), or null; absent when no line has any. */
  memory?: unknown[];
}

/** One device as kernel.json keeps it. */
export interface SavedDevice {
  name: string;
  uuid: string;
  minor: number;
  live: SavedTable | null;
  inactive: SavedTable | null;
  suspended: boolean;
  eventNr: number;
  deferredRemove: boolean;
  holds: number;
}

/** The content of kernel.json. */
export interface SavedKernel {
  version: 1;
  devices: SavedDevice[];
  loops: SimLoop[];
}

function kernelFile(stateDir: string): string {
  return join(stateDir, 'kernel.json');
}

/** The kernel memory saved in `stateDir`, or null when there is none (a fresh boot). Reads only. */
export function readKernelFile(stateDir: string): SavedKernel | null {
  const file = kernelFile(stateDir);
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8')) as SavedKernel;
}

/** Saves `devices` and `loops` as the kernel memory in `stateDir` (write-temp, rename: atomic). */
export function writeKernelFile(stateDir: string, devices: Iterable<SimDevice>, loops: Iterable<SimLoop>): void {
  const state: SavedKernel = {
    version: 1,
    devices: [...devices].map((d) => ({
      name: d.name,
      uuid: d.uuid,
      minor: d.minor,
      live: d.live && savedTable(d.live),
      inactive: d.inactive && savedTable(d.inactive),
      suspended: d.suspended,
      eventNr: d.eventNr,
      deferredRemove: d.deferredRemove,
      holds: d.holds,
    })),
    loops: [...loops],
  };
  const tmp = `${kernelFile(stateDir)}.tmp`;
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, kernelFile(stateDir));
}

function savedTable(t: SimTable): SavedTable {
  const memory = t.targets.map((x) => x.memory?.() ?? null);
  return { lines: [...t.lines], readOnly: t.readOnly, ...(memory.some((m) => m !== null) ? { memory } : {}) };
}

/** Forgets the kernel memory in `stateDir`, as a reboot does. Idempotent. */
export function removeKernelFile(stateDir: string): void {
  rmSync(kernelFile(stateDir), { force: true });
}
