/**
 * EmbeddedEtcd against the real etcd binary: start and serve, supervision (kill -9 -> restart,
 * data kept), stop leaving no process, the missing-binary and busy-port errors, and orphans left
 * by an earlier coordinator (killed) versus a pid file naming another program (left alone).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../../../test/support/wait-until.js';
import { singleMemberEtcdArgs } from '@thinfleet/lock';
import { EmbeddedEtcd, EmbeddedEtcdError } from '../src/embedded-etcd.js';

const ETCD = '/usr/bin/etcd';
if (!existsSync(ETCD)) throw new Error(`etcd is not installed at ${ETCD}: apt-get install etcd-server (scripts/setup.sh does)`);

const root = mkdtempSync(join(tmpdir(), 'tf-embedded-etcd-'));
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A logger whose records the test can read. */
function capturingLogger(): { logger: pino.Logger; records: Array<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void records.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, records };
}

/** Ports free on 127.0.0.1 right now (bound together, so distinct, then released). */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

let dirs = 0;
async function options(): Promise<{ binary: string; dataDir: string; clientPort: number; peerPort: number; logger: pino.Logger; records: Array<Record<string, unknown>> }> {
  const [clientPort, peerPort] = (await freePorts(2)) as [number, number];
  const { logger, records } = capturingLogger();
  return { binary: ETCD, dataDir: join(root, `s${++dirs}`, 'etcd'), clientPort, peerPort, logger, records };
}

async function started(o: Awaited<ReturnType<typeof options>>): Promise<EmbeddedEtcd> {
  const etcd = await EmbeddedEtcd.start(o);
  cleanups.push(() => etcd.stop());
  return etcd;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

async function put(endpoint: string, key: string, value: string): Promise<void> {
  const response = await fetch(`${endpoint}/v3/kv/put`, { method: 'POST', body: JSON.stringify({ key: b64(key), value: b64(value) }) });
  expect(response.status).toBe(200);
}

async function get(endpoint: string, key: string): Promise<string | null> {
  const response = await fetch(`${endpoint}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: b64(key) }) });
  const body = (await response.json()) as { kvs?: Array<{ value: string }> };
  const value = body.kvs?.[0]?.value;
  return value === undefined ? null : Buffer.from(value, 'base64').toString();
}

/** True while `pid` exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function healthy(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(500) });
    return ((await response.json()) as { health?: string }).health === 'true';
  } catch {
    return false;
  }
}

/** A plain child process the test owns; killed at the end of the test if still running. */
function child(command: string, args: string[]): ChildProcess {
  const proc = spawn(command, args, { stdio: 'ignore' });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  cleanups.push(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
  });
  return proc;
}

describe('EmbeddedEtcd', () => {
  it('serves on 127.0.0.1 from a private data dir, restarts after kill -9 keeping the data, and stop() leaves nothing', async () => {
    const o = await options();
    const etcd = await started(o);
    expect(etcd.endpoint).toBe(`http://127.0.0.1:${o.clientPort}`);
    expect(statSync(o.dataDir).mode & 0o777).toBe(0o700);
    const first = etcd.pid as number;
    expect(readFileSync(`${o.dataDir}.pid`, 'utf8').trim()).toBe(String(first));
    await put(etcd.endpoint, 'thinfleet/k', 'v1');

    process.kill(first, 'SIGKILL');
    await waitUntil('the restart', async () => etcd.restarts === 1 && etcd.pid !== null && (await healthy(etcd.endpoint)));
    const second = etcd.pid as number;
    expect(second).not.toBe(first);
    expect(readFileSync(`${o.dataDir}.pid`, 'utf8').trim()).toBe(String(second));
    expect(await get(etcd.endpoint, 'thinfleet/k')).toBe('v1');
    const crash = o.records.find((r) => r.msg === 'embedded etcd exited unexpectedly; restarting it');
    expect(crash).toMatchObject({ level: 50, pid: first, signal: 'SIGKILL', restartInMs: 250 });

    await etcd.stop();
    await etcd.stop(); // idempotent
    expect(alive(first)).toBe(false);
    expect(alive(second)).toBe(false);
    expect(etcd.pid).toBeNull();
    expect(existsSync(`${o.dataDir}.pid`)).toBe(false);
    // No restart after stop: the exit stop() waited for was handled before stop() resolved, and
    // a restart is scheduled only with its error record, of which there is still one (the kill's).
    expect(o.records.filter((r) => r.msg === 'embedded etcd exited unexpectedly; restarting it')).toHaveLength(1);
    expect(etcd.restarts).toBe(1);
    expect(await healthy(etcd.endpoint)).toBe(false);
  });

  it('says how to install etcd when the binary is missing', async () => {
    const o = await options();
    const err = await EmbeddedEtcd.start({ ...o, binary: join(root, 'no-such-etcd') }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(EmbeddedEtcdError);
    expect(err).toMatchObject({ code: 'ETCD_NOT_INSTALLED', message: `etcd is not installed at ${join(root, 'no-such-etcd')}: apt-get install etcd-server` });
    expect(((err as Error).cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it("fails with etcd's own words when it cannot start (client port taken), leaving no process", async () => {
    const o = await options();
    const connections = new Set<import('node:net').Socket>();
    const squatter = createServer((socket) => void connections.add(socket));
    await new Promise<void>((resolve) => squatter.listen(o.clientPort, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of connections) socket.destroy();
          squatter.close(() => resolve());
        }),
    );
    const err = await EmbeddedEtcd.start(o).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'ETCD_START_FAILED' });
    expect((err as Error).message).toMatch(/exited \(exit code \d+\) before it was healthy[\s\S]*address already in use/);
    expect(existsSync(`${o.dataDir}.pid`)).toBe(false);
    expect(o.records.some((r) => r.msg === 'embedded etcd exited unexpectedly; restarting it')).toBe(false);
  });

  it('kills an etcd orphaned on its data dir (named by the pid file) before starting, and serves its data', async () => {
    const o = await options();
    const clientUrl = `http://127.0.0.1:${o.clientPort}`;
    // What a coordinator killed with SIGKILL (and no setpriv) leaves behind: etcd on the same
    // data dir and ports, and its pid file.
    const orphan = child(ETCD, singleMemberEtcdArgs({ name: 'thinfleet', dataDir: o.dataDir, clientPort: o.clientPort, peerPort: o.peerPort }));
    await waitUntil('the orphan to serve', () => healthy(clientUrl));
    await put(clientUrl, 'left', 'behind');
    writeFileSync(`${o.dataDir}.pid`, `${orphan.pid}\n`);

    const etcd = await started(o);
    expect(alive(orphan.pid as number)).toBe(false);
    expect(etcd.pid).not.toBe(orphan.pid);
    expect(await get(etcd.endpoint, 'left')).toBe('behind');
    expect(o.records.find((r) => typeof r.msg === 'string' && r.msg.startsWith('an etcd left running'))).toMatchObject({ pid: orphan.pid });
  });

  it('leaves alone a process the pid file names that is not etcd on this data dir', async () => {
    const o = await options();
    const sleeper = child('sleep', ['30']);
    await waitUntil('sleep to run', () => existsSync(`/proc/${sleeper.pid}/cmdline`));
    const etcd0 = await started(o);
    await etcd0.stop();
    writeFileSync(`${o.dataDir}.pid`, `${sleeper.pid}\n`);
    const etcd = await started(o);
    expect(alive(sleeper.pid as number)).toBe(true);
    expect(readFileSync(`${o.dataDir}.pid`, 'utf8').trim()).toBe(String(etcd.pid));
  });
});
