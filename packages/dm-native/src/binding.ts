/**
 * Loads build/Release/dm_native.node on first use. Importing this package never throws: when
 * the addon is missing or cannot be loaded, every call rejects with an error that says how to
 * build it.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { DevNumber, DmFencePlan, DmFenceReport, WatchdogStatus, DmDepsResult, DmDeviceEntry, DmInfo, DmTableResult, DmTargetVersion, DmVersion, TargetLine } from './types.js';

/** The addon's functions exactly as C++ registers them: positional, already validated. */
export interface NativeBinding {
  dmVersion(): Promise<DmVersion>;
  dmListDevices(): Promise<DmDeviceEntry[]>;
  dmListTargetVersions(): Promise<DmTargetVersion[]>;
  dmCreate(name: string, uuid: string | null): Promise<DmInfo>;
  dmRemove(name: string, deferred: boolean): Promise<void>;
  dmRename(name: string, newName: string): Promise<DmInfo>;
  dmSuspend(name: string, suspend: boolean, noFlush: boolean, skipLockfs: boolean): Promise<DmInfo>;
  dmLoadTable(name: string, targets: readonly TargetLine[], readOnly: boolean): Promise<DmInfo>;
  dmClearTable(name: string): Promise<DmInfo>;
  dmInfo(name: string): Promise<DmInfo>;
  dmWaitEvent(name: string, eventNr: number): Promise<DmInfo>;
  dmTableStatus(name: string, table: boolean, inactive: boolean, noFlush: boolean): Promise<DmTableResult>;
  dmDeps(name: string, inactive: boolean): Promise<DmDepsResult>;
  dmMessage(name: string, sector: number, message: string): Promise<string>;
  mknodBlock(path: string, major: number, minor: number): Promise<void>;
  unlinkNode(path: string): Promise<void>;
  // The block calls have the shapes of devmapper's BlockClient by design: it wraps them one for one.
  blockSizeBytes(path: string): Promise<number>;
  blockDeviceNumber(path: string): Promise<DevNumber>;
  blockDiscard(path: string, offsetBytes: number, lengthBytes: number): Promise<void>;
  blockZeroOut(path: string, offsetBytes: number, lengthBytes: number): Promise<void>;
  blockRead(path: string, offsetBytes: number, lengthBytes: number): Promise<Buffer>;
  blockWrite(path: string, offsetBytes: number, data: Uint8Array): Promise<void>;
  blockKeepOpen(path: string): Promise<void>;
  blockRelease(path: string): Promise<void>;
  loopAttach(filePath: string, readOnly: boolean, autoclear: boolean): Promise<string>;
  loopDetach(devicePath: string): Promise<void>;
  loopBackingFile(devicePath: string): Promise<string | null>;
  dmFencePool(plan: DmFencePlan, volumeSuspendWaitMs: number): Promise<DmFenceReport>;
  watchdogArm(path: string, timeoutSeconds: number, petIntervalMs: number): Promise<{ timeoutSeconds: number }>;
  watchdogSetDeadline(monotonicMs: number): void;
  watchdogSetFencePlans(plans: readonly DmFencePlan[], volumeSuspendWaitMs: number): void;
  watchdogStatus(): WatchdogStatus;
  watchdogDisarm(): Promise<void>;
  monotonicNowMs(): number;
}

/** Where the addon is, relative to this file (src/ and dist/ both sit one level down). */
const ADDON_URL = new URL('../build/Release/dm_native.node', import.meta.url);

/** The command that builds the addon. */
export const BUILD_COMMAND = 'npm run build -w @thinfleet/dm-native';

let loaded: NativeBinding | undefined;
let loadFailure: Error | null | undefined; // undefined: not tried yet

function tryLoad(): void {
  if (loadFailure !== undefined) return;
  try {
    const require = createRequire(import.meta.url);
    loaded = require(fileURLToPath(ADDON_URL)) as NativeBinding;
    loadFailure = null;
  } catch (cause) {
    loadFailure = notBuiltError(cause);
  }
}

function notBuiltError(cause: unknown): Error {
  const detail = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
  const err = new Error(`@thinfleet/dm-native: the native addon is not built or cannot be loaded ` + `(${fileURLToPath(ADDON_URL)}: ${detail}); build it with \`${BUILD_COMMAND}\``, {
    cause,
  });
  Object.assign(err, { code: 'ERR_DM_NATIVE_NOT_BUILT' });
  return err;
}

/** Why the addon could not be loaded, or null when it is loaded. Tries to load it. */
export function addonLoadError(): Error | null {
  tryLoad();
  return loadFailure ?? null;
}

/** The loaded addon; throws (inside async callers: rejects) a fresh not-built error otherwise. */
export function native(): NativeBinding {
  tryLoad();
  if (loaded === undefined) throw notBuiltError(loadFailure?.cause);
  return loaded;
}
