/**
 * Kernel tier: kill -9 a process doing random batches at random moments, restart, recover, and
 * check the crash invariant against the real device-mapper and thin-provisioning-tools.
 *
 * Each round spawns support/random-batches-worker.mjs (the built packages, a real process),
 * lets it run, kills it with SIGKILL (at a random time, or at a random point of a batch or a
 * write it announced, taken from how long those took so far; in some rounds the worker sleeps
 * before each kernel change so kills land between any two steps of a transaction), then
 * activates the pool on a fresh Engine in this process and checks:
 * - the catalog has no pending intent; reconcile is consistent;
 * - `thin_ls --metadata-snap` lists exactly the catalog's thin ids, and `thin_dump
 *   --metadata-snap` shows the catalog's committed transaction id;
 * - the committed tx is the one before the announced batch or the batch's own, and the volumes
 *   are exactly those of that state, each holding the content expected of it (a write the kill
 *   cut short left each sector either old or new), mapping blocks exactly when not zeroes;
 * - no device of the pool is suspended and every volume device belongs to a catalog volume.
 * Between rounds the pool is deactivated, or left active the way a restarted agent finds it.
 * Teardown copies the metadata for the tier's thin_check.
 *
 * THINFLEET_CRASH_SEED and THINFLEET_CRASH_ROUNDS replay or lengthen a run.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ThinPoolControl } from '@thinfleet/devmapper';
import { poolDevicePrefix, volumeDeviceName, type Pool } from '@thinfleet/engine';
import { rng } from '../../../test/support/seeded.mjs';
import { volumesFingerprint } from './support/catalog-fingerprint.mjs';
import { EngineTestHost, expectSameBytes, pattern, SMALL_CATALOG } from './support/engine-test-host.js';
import { poolCore } from '../src/pool.js';

const MiB = 1024 * 1024;
const CHECK_BYTES = 64 * 1024;
const SECTOR = 512;
const CHECKPOINT_EVERY = 5;
const ROUNDS = Number(process.env.THINFLEET_CRASH_ROUNDS ?? 12);
const EXTRA_ROUNDS = 5;
/** In some rounds the worker sleeps this long before each kernel change and disk write. */
const SLOW_STEP_MS = 25;
const SEED = Number(process.env.THINFLEET_CRASH_SEED ?? 20_251_121);
const WORKER = fileURLToPath(new URL('./support/random-batches-worker.mjs', import.meta.url));
const run = promisify(execFile);

const tool = (name: string): string => (existsSync(`/usr/sbin/${name}`) ? `/usr/sbin/${name}` : name);

/** Expected content per volume name: a pattern seed, or 0 for zeroes. */
type Contents = Map<string, number>;

type WorkerEvent =
  | { t: 'ready'; tx: string; recovery: string | null }
  | { t: 'begin'; tx: string; before: string; items: unknown[]; after: Record<string, number> }
  | { t: 'commit'; tx: string }
  | { t: 'write'; volume: string; seed: number; old: number }
  | { t: 'wrote'; volume: string; seed: number }
  | { t: 'activate' | 'deactivate'; volume: string }
  | { t: 'error'; message: string };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A running worker and what it has said so far. */
class Worker {
  readonly events: WorkerEvent[] = [];
  /** When each event arrived (ms, this process's clock). */
  readonly arrivals: number[] = [];
  stderr = '';
  private partial = '';
  private waiters: Array<() => void> = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;

  constructor(config: object) {
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    this.child = spawn(process.execPath, [WORKER, JSON.stringify(config)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (this.partial + chunk).split('\n');
      this.partial = lines.pop()!;
      for (const line of lines) {
        if (line.trim() === '') continue;
        this.events.push(JSON.parse(line) as WorkerEvent);
        this.arrivals.push(performance.now());
      }
      this.wake();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        this.wake();
        resolve({ code, signal });
      });
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits until `n` events satisfy `pred`, the worker exits, or `timeoutMs` passes; true when they did. */
  async waitFor(pred: (e: WorkerEvent) => boolean, n: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.events.filter(pred).length >= n) return true;
      if (!this.running || Date.now() >= deadline) return false;
      await Promise.race([new Promise<void>((resolve) => this.waiters.push(resolve)), sleep(Math.max(1, deadline - Date.now()))]);
    }
  }

  /** SIGKILL, and wait for the process to be gone. */
  async kill(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill('SIGKILL');
    return this.exited;
  }

  /** How long each announced step took, from its announcement to its confirmation (ms). */
  durations(start: WorkerEvent['t'], end: WorkerEvent['t']): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.events.length; i++) {
      if (this.events[i]!.t !== start) continue;
      const j = this.events.findIndex((e, k) => k > i && (e.t === end || e.t === start));
      if (j > i && this.events[j]!.t === end) out.push(this.arrivals[j]! - this.arrivals[i]!);
    }
    return out;
  }

  describe(): string {
    const tail = this.events
      .slice(-6)
      .map((e) => JSON.stringify(e))
      .join('\n  ');
    return `worker's last lines:\n  ${tail}\nstderr:\n${this.stderr.slice(-4000)}`;
  }
}

/** What the worker's lines say the pool may hold now. */
interface Expectation {
  committedTx: string;
  contents: Contents;
  /** A batch announced and not confirmed: the committed volumes' fingerprint before it, and the contents after. */
  pending: { before: string; after: Contents } | null;
  /** A write announced and not confirmed. */
  inflight: { volume: string; seed: number; old: number } | null;
}

function follow(startTx: string, start: Contents, events: readonly WorkerEvent[]): Expectation {
  const x: Expectation = { committedTx: startTx, contents: new Map(start), pending: null, inflight: null };
  for (const e of events) {
    switch (e.t) {
      case 'ready':
        expect(e.tx, 'the worker starts at the committed tx this test saw').toBe(startTx);
        break;
      case 'begin':
        expect(e.tx, 'a batch begins at the committed tx').toBe(x.committedTx);
        x.pending = { before: e.before, after: new Map(Object.entries(e.after)) };
        break;
      case 'commit':
        expect(x.pending).not.toBeNull();
        expect([x.committedTx, String(BigInt(x.committedTx) + 1n)], 'a batch moves the tx by at most one').toContain(e.tx);
        x.committedTx = e.tx;
        x.contents = x.pending!.after;
        x.pending = null;
        break;
      case 'write':
        x.inflight = { volume: e.volume, seed: e.seed, old: e.old };
        break;
      case 'wrote':
        x.contents.set(e.volume, e.seed);
        x.inflight = null;
        break;
      default:
        break;
    }
  }
  return x;
}

const expectedBytes = (seed: number): Buffer => (seed === 0 ? Buffer.alloc(CHECK_BYTES) : pattern(seed, CHECK_BYTES));

/** 'old', 'new' or 'mixed' when every sector is one or the other; throws otherwise. */
function classifyTorn(bytes: Buffer, oldSeed: number, newSeed: number, label: string): 'old' | 'new' | 'mixed' {
  const old = expectedBytes(oldSeed);
  const neu = expectedBytes(newSeed);
  if (Buffer.compare(bytes, old) === 0) return 'old';
  if (Buffer.compare(bytes, neu) === 0) return 'new';
  for (let at = 0; at < CHECK_BYTES; at += SECTOR) {
    const s = bytes.subarray(at, at + SECTOR);
    if (Buffer.compare(s, old.subarray(at, at + SECTOR)) !== 0 && Buffer.compare(s, neu.subarray(at, at + SECTOR)) !== 0) {
      throw new Error(`${label}: sector at ${at} is neither the old content (seed ${oldSeed}) nor the new (seed ${newSeed})`);
    }
  }
  return 'mixed';
}

/** thin_ls and thin_dump on a metadata snapshot of the live pool: thin id -> mapped blocks, and the tx. */
async function kernelView(host: EngineTestHost, pool: Pool): Promise<{ mapped: Map<number, number>; tx: string }> {
  const control = new ThinPoolControl(host.dm, poolCore(pool).names.pool);
  const meta = host.dm.devicePath(poolCore(pool).names.meta);
  await control.reserveMetadataSnap();
  try {
    const ls = await run(tool('thin_ls'), ['--metadata-snap', '--no-headers', '-o', 'DEV,MAPPED_BLOCKS', meta]);
    const mapped = new Map<number, number>();
    for (const line of ls.stdout.split('\n')) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 2) continue;
      mapped.set(Number(fields[0]), Number(fields[1]));
    }
    const dump = await run(tool('thin_dump'), ['--metadata-snap', '--skip-mappings', meta], { maxBuffer: 64 * MiB });
    const tx = /<superblock [^>]*\btransaction="(\d+)"/.exec(dump.stdout)?.[1];
    if (tx === undefined) throw new Error(`thin_dump printed no superblock transaction:\n${dump.stdout.slice(0, 2000)}`);
    return { mapped, tx };
  } finally {
    await control.releaseMetadataSnap();
  }
}

interface RoundReport {
  readonly round: number;
  readonly kill: string;
  readonly outcome: string;
  readonly which: 'before' | 'after' | 'between';
  readonly tx: string;
  readonly suspendedBeforeRecovery: number;
  readonly torn: 'old' | 'new' | 'mixed' | null;
  readonly volumes: number;
}

let host: EngineTestHost | null = null;
afterAll(async () => {
  await host?.teardown();
});

describe('kernel crash test: kill -9 a worker doing random batches', () => {
  it('recovers to the state before or after the interrupted batch, every time', async () => {
    host = await EngineTestHost.open();
    const h = host;
    const random = rng(SEED);
    const below = (n: number): number => Math.floor(random() * n);
    const started = Date.now();
    console.log(`engine-crash.kernel: seed ${SEED} (THINFLEET_CRASH_SEED), ${ROUNDS} rounds`);

    const paths = await h.devices(2, 64 * MiB);
    const poolName = h.poolName();
    const engineOptions = { catalogCheckpointEveryRecords: CHECKPOINT_EVERY };
    let pool: Pool = await h.engine(engineOptions).createPool({ name: poolName, devices: paths, ...SMALL_CATALOG });
    // a (active, seed 1); b = snapshot of a, then seed 2; c (seed 3) with revision c.rev1, then seed 4; d zeroes.
    await pool.createVolume('a', 2 * MiB);
    await h.writePattern(pool, 'a', 1, CHECK_BYTES);
    await pool.snapshot('a', 'b');
    await h.writePattern(pool, 'b', 2, CHECK_BYTES);
    await pool.deactivateVolume('b');
    await pool.createVolume('c', MiB);
    await h.writePattern(pool, 'c', 3, CHECK_BYTES);
    await pool.deactivateVolume('c');
    await pool.revision('c', 3);
    await h.writePattern(pool, 'c', 4, CHECK_BYTES);
    await pool.createVolume('d', 3 * MiB);
    let contents: Contents = new Map([
      ['a', 1],
      ['b', 2],
      ['c', 4],
      ['c.rev1', 3],
      ['d', 0],
    ]);
    let fixSeed = 900_000_000;
    const reports: RoundReport[] = [];
    // How long transactions and writes take here (begin -> commit, write -> wrote), measured on
    // the workers so far: a kill "inside" one waits a random part of that after the announcement.
    const measured = { begin: [] as number[], slowBegin: [] as number[], write: [] as number[] };
    const median = (xs: number[], fallback: number): number => (xs.length === 0 ? fallback : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!);

    const oneRound = async (round: number, forceInBatch: boolean): Promise<RoundReport> => {
      const modes = ['in-batch', 'timed', 'in-batch-slow', 'in-write'] as const;
      const mode = forceInBatch ? 'in-batch-slow' : modes[round % modes.length]!;
      const slow = mode === 'in-batch-slow';
      const startTx = poolCore(pool).catalog.state.committedTx;
      const worker = new Worker({
        pool: poolName,
        devices: paths,
        seed: SEED + round * 7919,
        seedBase: (round + 1) * 1_000_000,
        contents: Object.fromEntries(contents),
        catalogCheckpointEveryRecords: CHECKPOINT_EVERY,
        pauseMs: mode === 'timed' ? 10 : 0,
        slowStepMs: slow ? SLOW_STEP_MS : 0,
      });
      try {
        const ready = await worker.waitFor((e) => e.t === 'ready', 1, 180_000);
        if (!ready) throw new Error(`round ${round}: the worker never became ready\n${worker.describe()}`);
        let kill: string;
        if (mode === 'timed') {
          const ms = 200 + below(1300);
          kill = `timed ${ms} ms`;
          await sleep(ms);
        } else {
          const kind = mode === 'in-write' ? 'write' : 'begin';
          const n = 1 + below(3);
          const key = slow ? 'slowBegin' : kind;
          const ms = Math.round(random() * 1.1 * median(measured[key], { begin: 200, slowBegin: 500, write: 20 }[key]));
          kill = `${ms} ms after ${kind} #${n}${slow ? `, steps slowed by ${SLOW_STEP_MS} ms` : ''}`;
          if (!(await worker.waitFor((e) => e.t === kind, n, 120_000))) kill += ' (never came)';
          await sleep(ms);
        }
        if (!worker.running) throw new Error(`round ${round}: the worker exited on its own\n${worker.describe()}`);
        const exit = await worker.kill();
        measured[slow ? 'slowBegin' : 'begin'].push(...worker.durations('begin', 'commit'));
        measured.write.push(...worker.durations('write', 'wrote'));
        expect(exit.signal, `round ${round}: killed`).toBe('SIGKILL');

        const label = `round ${round} (${kill})`;
        const x = follow(startTx, contents, worker.events);
        const prefix = poolDevicePrefix(poolName);
        let suspendedBeforeRecovery = 0;
        for (const d of await h.dm.list()) {
          if (d.name.startsWith(prefix) && (await h.dm.info(d.name)).suspended) suspendedBeforeRecovery += 1;
        }

        // Restart: a fresh engine activates the pool, which recovers it.
        pool = await h.engine(engineOptions).activatePool(poolName, paths);
        const state = poolCore(pool).catalog.state;
        const outcome = pool.lastRecovery?.outcome ?? 'none';
        expect(state.pending, `${label}: pending intent after recovery`).toBeNull();
        const committed = state.committedTx;
        let which: RoundReport['which'] = 'between';
        let expected = x.contents;
        if (x.pending !== null) {
          // A folded batch keeps the committed tx: the volumes tell whether it took effect.
          if (volumesFingerprint(state.volumes) !== x.pending.before) {
            which = 'after';
            expected = x.pending.after;
            expect([x.committedTx, String(BigInt(x.committedTx) + 1n)], `${label}: committed tx after the batch`).toContain(committed);
          } else {
            which = 'before';
            expect(committed, `${label}: committed tx before the batch`).toBe(x.committedTx);
          }
        } else {
          expect(committed, `${label}: committed tx`).toBe(x.committedTx);
          // The last batch's commit record is staged (group commit) until the next write, so a
          // kill between batches may leave its intent pending: recovery rolls it forward.
          expect(['clean', 'rolled-forward'], `${label}: no batch was announced after tx ${x.committedTx}`).toContain(outcome);
        }

        const report = await pool.reconcile();
        expect(report, `${label}: reconcile`).toMatchObject({ consistent: true, unknownToCatalog: [], missingInKernel: [], kernelTx: committed, catalogTx: committed });

        const names = (await pool.list()).map((v) => v.name).sort();
        expect(names, `${label}: volumes (${which} the interrupted batch)`).toEqual([...expected.keys()].sort());

        // Content: the expected pattern, or for a volume whose write was cut short, old or new per sector.
        const resolved: Contents = new Map(expected);
        let torn: RoundReport['torn'] = null;
        const unknown = new Set<string>();
        for (const [name, seed] of expected) {
          const bytes = await h.readStart(pool, name, CHECK_BYTES);
          if (x.inflight !== null && x.inflight.volume === name) {
            torn = classifyTorn(bytes, x.inflight.old, x.inflight.seed, `${label}: volume ${name}`);
            if (torn === 'new') resolved.set(name, x.inflight.seed);
            if (torn === 'mixed') unknown.add(name);
            continue;
          }
          try {
            expectSameBytes(bytes, expectedBytes(seed));
          } catch (err) {
            throw new Error(`${label}: volume ${name} (expected seed ${seed}): ${(err as Error).message}`, { cause: err });
          }
        }

        // The real tools agree with the catalog.
        const kernel = await kernelView(h, pool);
        expect(kernel.tx, `${label}: thin_dump transaction id`).toBe(committed);
        const catalogIds = Object.values(state.volumes)
          .map((v) => v.thinId)
          .sort((a, b) => a - b);
        expect(
          [...kernel.mapped.keys()].sort((a, b) => a - b),
          `${label}: thin_ls ids`,
        ).toEqual(catalogIds);
        for (const v of Object.values(state.volumes)) {
          if (unknown.has(v.name)) continue;
          const blocks = kernel.mapped.get(v.thinId) ?? -1;
          if (resolved.get(v.name) === 0) expect(blocks, `${label}: ${v.name} holds zeroes, maps nothing`).toBe(0);
          else expect(blocks, `${label}: ${v.name} maps its written block`).toBeGreaterThan(0);
        }

        // Nothing suspended; every volume device belongs to a volume of the catalog.
        const own = new Set(Object.values(poolCore(pool).names));
        const volumeDevices = new Set(Object.values(state.volumes).map((v) => volumeDeviceName(poolName, v.name)));
        for (const d of await h.dm.list()) {
          if (!d.name.startsWith(prefix)) continue;
          expect((await h.dm.info(d.name)).suspended, `${label}: ${d.name} suspended`).toBe(false);
          if (!own.has(d.name)) expect(volumeDevices.has(d.name), `${label}: ${d.name} belongs to no volume`).toBe(true);
        }

        // A write cut in half leaves a mix: give that volume known content for the next rounds.
        for (const name of unknown) {
          fixSeed += 1;
          await h.writePattern(pool, name, fixSeed, CHECK_BYTES);
          resolved.set(name, fixSeed);
        }
        contents = resolved;
        return { round, kill, outcome, which, tx: committed, suspendedBeforeRecovery, torn, volumes: resolved.size };
      } catch (err) {
        if (err instanceof Error) err.message += `\n${worker.describe()}`;
        throw err;
      } finally {
        await worker.kill();
      }
    };

    const finish = async (round: number, r: RoundReport): Promise<void> => {
      reports.push(r);
      console.log(
        `round ${round}: kill ${r.kill}: recovery ${r.outcome}, state ${r.which} (tx ${r.tx}), ` +
          `${r.suspendedBeforeRecovery} device(s) suspended before recovery, torn write ${r.torn ?? '-'}, ${r.volumes} volumes, ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      // Sometimes leave the pool active, the way a restarted agent finds it.
      if (round % 3 !== 1) await pool.deactivate();
    };

    for (let round = 0; round < ROUNDS; round++) await finish(round, await oneRound(round, false));
    for (let extra = 0; extra < EXTRA_ROUNDS && !reports.some((r) => r.which !== 'between'); extra++) {
      const round = ROUNDS + extra;
      await finish(round, await oneRound(round, true));
    }

    // A kill inside an announced batch; recovery may still find a pending intent between batches,
    // since each commit record is staged until the next write (group commit).
    const midTransaction = reports.filter((r) => r.which !== 'between');
    console.log(
      `engine-crash.kernel: ${reports.length} kills: ${midTransaction.length} inside a batch ` +
        `(recoveries: ${reports.filter((r) => r.outcome === 'rolled-forward').length} rolled forward, ${reports.filter((r) => r.outcome === 'rolled-back').length} rolled back), ` +
        `${reports.length - midTransaction.length} between transactions; ` +
        `${reports.filter((r) => r.suspendedBeforeRecovery > 0).length} left devices suspended; ` +
        `${reports.filter((r) => r.torn !== null).length} cut a write short (${reports.filter((r) => r.torn === 'mixed').length} torn); ` +
        `median transaction ${median(measured.begin, 0).toFixed(0)} ms, write ${median(measured.write, 0).toFixed(0)} ms; ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    expect(midTransaction.length, 'at least one kill landed inside a transaction').toBeGreaterThan(0);

    if (pool.isActive) await pool.deactivate();
  }, 1_200_000);
});
