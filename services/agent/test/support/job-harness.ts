/**
 * Test support for the job manager: a pool on the engine test host (simulated kernel), a block
 * client whose discards can be counted and held, and waiting for a job to end.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlockClient } from '@thinfleet/devmapper';
import type { Engine, Pool } from '@thinfleet/engine';
import { pino, type Logger } from 'pino';
import { isTerminalState, JobManager, type JobManagerOptions, type JobRecord, type JobRunner } from '../../src/jobs/index.js';
import { EngineTestHost, pattern, SMALL_CATALOG } from '../../../../packages/engine/test/support/engine-test-host.js';

export { EngineTestHost, expectSameBytes, pattern } from '../../../../packages/engine/test/support/engine-test-host.js';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const BLOCK_BYTES = 64 * KiB;

export const silentLogger: Logger = pino({ level: 'silent' });

/** A logger that keeps every line it writes, parsed. */
export function recordingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

export interface DiscardCall {
  readonly path: string;
  readonly offsetBytes: number;
  readonly lengthBytes: number;
}

/**
 * A BlockClient over `inner` that records discards and can run hooks around each one
 * (numbered from 1): `before` may hold the discard (a gate), `after` may look at the pool.
 */
export class ScriptedBlock implements BlockClient {
  readonly discards: DiscardCall[] = [];
  before: ((n: number) => Promise<void> | void) | null = null;
  after: ((n: number) => Promise<void> | void) | null = null;
  private started = 0;

  constructor(readonly inner: BlockClient) {}

  sizeBytes(path: string) {
    return this.inner.sizeBytes(path);
  }
  deviceNumber(path: string) {
    return this.inner.deviceNumber(path);
  }
  zeroOut(path: string, offsetBytes: number, lengthBytes: number) {
    return this.inner.zeroOut(path, offsetBytes, lengthBytes);
  }
  read(path: string, offsetBytes: number, lengthBytes: number) {
    return this.inner.read(path, offsetBytes, lengthBytes);
  }
  write(path: string, offsetBytes: number, data: Uint8Array) {
    return this.inner.write(path, offsetBytes, data);
  }
  attachLoop(filePath: string, options?: Parameters<BlockClient['attachLoop']>[1]) {
    return this.inner.attachLoop(filePath, options);
  }
  detachLoop(path: string) {
    return this.inner.detachLoop(path);
  }
  loopBackingFile(path: string) {
    return this.inner.loopBackingFile(path);
  }
  async discard(path: string, offsetBytes: number, lengthBytes: number): Promise<void> {
    this.started += 1;
    const n = this.started;
    await this.before?.(n);
    await this.inner.discard(path, offsetBytes, lengthBytes);
    this.discards.push({ path, offsetBytes, lengthBytes });
    await this.after?.(n);
  }
}

/** A point a discard waits at: `reached` resolves when it is waiting, `open()` lets it go on. */
export class Gate {
  private release!: () => void;
  private arrived!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.release = resolve));
  readonly reached = new Promise<void>((resolve) => (this.arrived = resolve));

  /** Called by the held operation. */
  async hold(): Promise<void> {
    this.arrived();
    await this.opened;
  }

  open(): void {
    this.release();
  }
}

/** Resolves with the job once it is in a terminal state. */
export function settled(manager: Pick<JobRunner, 'watch'>, id: string): Promise<JobRecord> {
  return new Promise((resolve) => {
    manager.watch(id, (job) => {
      if (isTerminalState(job.state)) resolve(job);
    });
  });
}

export interface JobFixture {
  readonly host: EngineTestHost;
  readonly engine: Engine;
  readonly pool: Pool;
  readonly poolName: string;
  /** The pool's device paths. */
  readonly paths: string[];
  readonly stateDir: string;
  /** Builds a manager over this fixture's state dir; `block` defaults to the host's. */
  manager(options?: Partial<JobManagerOptions>): JobManager;
  teardown(): Promise<void>;
}

/** A host with one pool (one 32 MiB device, 64 KiB blocks) and a fresh agent state directory. */
export async function jobFixture(): Promise<JobFixture> {
  const host = await EngineTestHost.open();
  const stateDir = await mkdtemp(join(tmpdir(), 'thinfleet-jobs-'));
  const [device] = await host.devices(1, 32 * MiB);
  const engine = host.engine();
  const poolName = host.poolName('j');
  const pool = await engine.createPool({ name: poolName, devices: [device!], dataBlockBytes: BLOCK_BYTES, ...SMALL_CATALOG });
  const managers: JobManager[] = [];
  return {
    host,
    engine,
    pool,
    poolName,
    paths: [device!],
    stateDir,
    manager(options = {}) {
      const m = new JobManager({ stateDir, engine, block: host.block, logger: silentLogger, ...options });
      managers.push(m);
      return m;
    },
    async teardown() {
      for (const m of managers) await m.stop();
      await host.teardown();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** Creates volume `name` of `sizeBytes` and fills all of it with `pattern(seed)`; leaves it inactive. */
export async function filledVolume(host: EngineTestHost, pool: Pool, name: string, sizeBytes: number, seed: number): Promise<Buffer> {
  const info = await pool.createVolume(name, sizeBytes, { activate: true });
  const bytes = pattern(seed, sizeBytes);
  await host.block.write(info.devicePath!, 0, bytes);
  await pool.deactivateVolume(name);
  return bytes;
}

/** Reads `lengthBytes` at `offsetBytes` of a volume, activating it if needed. */
export async function readAt(host: EngineTestHost, pool: Pool, name: string, offsetBytes: number, lengthBytes: number): Promise<Buffer> {
  const info = await pool.activateVolume(name);
  return host.block.read(info.devicePath!, offsetBytes, lengthBytes);
}

/**
 * The pool's next holder after a hand-over: a manager over a fresh state directory and a new
 * engine of `f`'s host (`options` added), started, which then activates `f`'s pool (deactivated
 * by the caller) and lets the manager adopt its jobs. `cleanups` gets what stops it.
 */
export async function nextHolder(f: JobFixture, options: Partial<JobManagerOptions>, cleanups: Array<() => Promise<void>>): Promise<{ manager: JobManager; pool: Pool; stateDir: string }> {
  const stateDir = await mkdtemp(join(tmpdir(), 'thinfleet-jobs-other-'));
  const engine = f.host.engine();
  const manager = new JobManager({ stateDir, engine, block: f.host.block, logger: silentLogger, ...options });
  cleanups.unshift(async () => {
    await manager.stop();
    await rm(stateDir, { recursive: true, force: true });
  });
  await manager.start();
  const pool = await engine.activatePool(f.poolName, f.paths);
  await manager.poolActivated(f.poolName);
  return { manager, pool, stateDir };
}
