/**
 * A pool's write gate: the one switch that cuts an activation or an active Pool object off the
 * pool's shared devices once this host has been fenced (it lost the pool's cluster lock).
 *
 * Everything a Pool (or an activation in progress) changes goes through the device-mapper and
 * block clients the engine hands it. For each pool the engine wraps both in a gate: until the
 * gate closes they pass every call through; afterwards every call that could change the kernel
 * or a device (table loads, suspends and resumes, target messages, device creation and removal,
 * block writes, discards, a flushing status) fails with EngineError POOL_FENCED, and reads still
 * work. A call already handed to the kernel when the gate closes is not recalled; the fence
 * (pool-fence.ts) does not rely on the gate for the kernel pool itself, it swaps the pool's
 * metadata and data devices to error tables underneath it.
 *
 * The gate is in memory only: a restarted process has no Pool objects to cut off.
 */
import type { BlockClient, DmClient } from '@thinfleet/devmapper';
import { EngineError } from './engine-error.js';

/** One pool's gate. Starts open; `close` is final (a new activation gets a new gate). */
export class WriteGate {
  private reason: string | null = null;

  constructor(readonly poolName: string) {}

  /** True once closed. */
  get closed(): boolean {
    return this.reason !== null;
  }

  /** Closes the gate; later writes through it fail. Idempotent (the first reason is kept). */
  close(reason: string): void {
    this.reason ??= reason;
  }

  /** @throws EngineError POOL_FENCED once the gate is closed, naming `what` was refused */
  check(what: string): void {
    if (this.reason !== null) {
      throw new EngineError('POOL_FENCED', `pool ${this.poolName}: ${what} refused: this host was fenced off the pool (${this.reason})`);
    }
  }
}

/**
 * `dm` with every call that can change the kernel's state checked against `gate` first.
 * Reads (info, list, table, deps, a non-flushing status, waitEvent, readMetadataSnapshot, readThinMappings) and the
 * fence (fencePool) pass through.
 */
export function gatedDm(dm: DmClient, gate: WriteGate): DmClient {
  return {
    kind: dm.kind,
    version: () => dm.version(),
    targetVersions: () => dm.targetVersions(),
    list: () => dm.list(),
    create: async (name, options) => {
      gate.check(`creating device ${name}`);
      return dm.create(name, options);
    },
    remove: async (name, options) => {
      gate.check(`removing device ${name}`);
      return dm.remove(name, options);
    },
    rename: async (name, newName) => {
      gate.check(`renaming device ${name}`);
      return dm.rename(name, newName);
    },
    suspend: async (name, options) => {
      gate.check(`suspending device ${name}`);
      return dm.suspend(name, options);
    },
    resume: async (name) => {
      gate.check(`resuming device ${name}`);
      return dm.resume(name);
    },
    load: async (name, targets, options) => {
      gate.check(`loading a table into ${name}`);
      return dm.load(name, targets, options);
    },
    clear: async (name) => {
      gate.check(`clearing the inactive table of ${name}`);
      return dm.clear(name);
    },
    info: (name) => dm.info(name),
    // A fence only takes devices away from the disks, which is what a closed gate is for.
    fencePool: (plan, options) => dm.fencePool(plan, options),
    table: (name, options) => dm.table(name, options),
    status: async (name, options) => {
      // Without noFlush the kernel flushes first, and a thin-pool commits its metadata.
      if (!options?.noFlush) gate.check(`a flushing status of ${name}`);
      return dm.status(name, options);
    },
    deps: (name, options) => dm.deps(name, options),
    message: async (name, sector, text) => {
      gate.check(`message "${text}" to ${name}`);
      return dm.message(name, sector, text);
    },
    waitEvent: (name, eventNr) => dm.waitEvent(name, eventNr),
    devicePath: (name) => dm.devicePath(name),
    ensureNode: (name) => dm.ensureNode(name),
    readMetadataSnapshot: (snapshot) => dm.readMetadataSnapshot(snapshot),
    readThinMappings: (held, thinId, fromBlock, blockCount) => dm.readThinMappings(held, thinId, fromBlock, blockCount),
  };
}

/** `block` with writes, discards and zeroing checked against `gate` first; reads pass through. */
export function gatedBlock(block: BlockClient, gate: WriteGate): BlockClient {
  return {
    sizeBytes: (path) => block.sizeBytes(path),
    deviceNumber: (path) => block.deviceNumber(path),
    discard: async (path, offsetBytes, lengthBytes) => {
      gate.check(`discarding on ${path}`);
      return block.discard(path, offsetBytes, lengthBytes);
    },
    zeroOut: async (path, offsetBytes, lengthBytes) => {
      gate.check(`zeroing ${path}`);
      return block.zeroOut(path, offsetBytes, lengthBytes);
    },
    read: (path, offsetBytes, lengthBytes) => block.read(path, offsetBytes, lengthBytes),
    write: async (path, offsetBytes, data) => {
      gate.check(`writing to ${path}`);
      return block.write(path, offsetBytes, data);
    },
    // Not gated: keeping a descriptor writes nothing, and a fenced pool must still release it.
    ...(block.keepOpen === undefined ? {} : { keepOpen: (path: string) => block.keepOpen!(path) }),
    ...(block.release === undefined ? {} : { release: (path: string) => block.release!(path) }),
    attachLoop: (filePath, options) => block.attachLoop(filePath, options),
    detachLoop: (devicePath) => block.detachLoop(devicePath),
    loopBackingFile: (devicePath) => block.loopBackingFile(devicePath),
  };
}
