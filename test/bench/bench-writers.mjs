/**
 * What the kernel benchmarks of background jobs share (bench:jobs, bench:mobility): stand-in
 * writers as separate processes (test/vm/two-host/writer.mjs: 4 KiB O_DSYNC writes, each to a
 * fresh slot, each line of their pattern log carrying the write's latency), quantiles of those
 * latencies, and running one job of the agent's JobManager to its end.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { isTerminalState } from '../../services/agent/dist/jobs/index.js';

const writerBin = fileURLToPath(new URL('../vm/two-host/writer.mjs', import.meta.url));

/** p50, p99 and max of `samples` (NaN when there are none) and their count. */
export function quantiles(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
  return { n: s.length, p50: q(0.5), p99: q(0.99), max: s[s.length - 1] ?? NaN };
}

/** Waits `msToWait` milliseconds (the benches measure wall time; no test asserts on it). */
export const pause = (msToWait) => new Promise((r) => setTimeout(r, msToWait));

/**
 * A writer process on `device` writing one 4 KiB block per `strideBytes` slot, `rate` writes per
 * second, `slots` at most; `hold` keeps one descriptor open for its life (as a VM does), needed
 * when the device is renamed under it. Returns its pattern log (with each write's latency and
 * when it was acknowledged) and how to stop it.
 */
export function startWriter(device, tag, { slots, strideBytes, rate, hold = false }) {
  const args = [writerBin, '--device', device, '--tag', tag, '--slots', String(slots), '--stride', String(strideBytes), '--rate', String(rate)];
  if (hold) args.push('--hold');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = [];
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  createInterface({ input: child.stdout }).on('line', (line) => log.push({ ...JSON.parse(line), tag, atMs: performance.now() }));
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    log,
    /** Latencies of the writes acknowledged between `fromMs` and `toMs` (performance.now()). */
    between: (fromMs, toMs) => log.filter((e) => e.atMs >= fromMs && e.atMs <= toMs).map((e) => e.ms),
    /** Idempotent. @throws when the writer failed (a write was refused) */
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0 && code !== null) throw new Error(`writer ${tag} exited ${code}: ${stderr.slice(0, 400)}`);
    },
  };
}

/**
 * Runs a job of `kind` with `request` on `manager` (a JobManager) to its end; returns its
 * duration in ms and its final record. @throws unless it succeeded
 */
export async function runJob(manager, kind, request) {
  const t0 = performance.now();
  const job = await manager.startJob(kind, request);
  const end = await new Promise((resolve) => {
    const now = manager.get(job.id);
    if (isTerminalState(now.state)) resolve(now);
    manager.watch(job.id, (j) => isTerminalState(j.state) && resolve(j));
  });
  if (end.state !== 'succeeded') throw new Error(`${kind} job ${job.id} ended ${end.state}: ${end.error}`);
  return { ms: performance.now() - t0, job: end };
}
