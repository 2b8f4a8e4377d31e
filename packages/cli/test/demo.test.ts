/**
 * The parts of `thinfleet demo` that need no cluster: where it keeps its state, which ports it
 * takes, where it finds the service binaries, what it prints, and what it refuses before starting
 * anything. The cluster itself: test/demo.integration.test.ts.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/index.js';
import { demoBanner, type DemoReady } from '../src/demo/demo-banner.js';
import { choosePorts, defaultDemoDir, demoLayout, DEMO_PREFERRED_PORTS } from '../src/demo/demo-layout.js';
import { childrenFile, endLeftovers, recordChildren } from '../src/demo/demo-leftovers.js';
import { findServiceBin } from '../src/demo/demo-processes.js';
import { memoryIo } from './support/memory-io.js';

const scratch = mkdtempSync(join(tmpdir(), 'tf-demo-unit-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port }, () => resolve(server));
  });
}

describe('the demo directory', () => {
  it('is /var/lib/thinfleet-demo for root, else under $XDG_STATE_HOME or ~/.local/state', () => {
    expect(defaultDemoDir({ XDG_STATE_HOME: '/x' }, true)).toBe('/var/lib/thinfleet-demo');
    expect(defaultDemoDir({ XDG_STATE_HOME: '/x/state', HOME: '/home/u' }, false)).toBe('/x/state/thinfleet-demo');
    expect(defaultDemoDir({ HOME: '/home/u' }, false)).toBe('/home/u/.local/state/thinfleet-demo');
  });

  it('gives every host its own state directory and socket, and the pools one shared directory', () => {
    const layout = demoLayout('/d');
    expect(layout.hostDir('host-1')).toBe('/d/host-1');
    expect(layout.hostSocket('host-2')).toBe('/d/host-2/agent.sock');
    expect(layout.poolFile({ name: 'tank', fileName: 'tank.img', sizeBytes: 1, home: 'host-1' })).toBe('/d/shared/tank.img');
  });
});

describe('the demo ports', () => {
  it('keeps the ports demo.json recorded, and replaces one in use by a free port, recording it', async () => {
    const dir = join(scratch, 'ports');
    mkdirSync(dir);
    const layout = demoLayout(dir);
    const busy = await listen(0);
    const busyPort = (busy.address() as { port: number }).port;
    const freeServer = await listen(0);
    const freePort = (freeServer.address() as { port: number }).port;
    await new Promise((resolve) => freeServer.close(resolve));
    try {
      writeFileSync(layout.stateFile, JSON.stringify({ ports: { coordinator: freePort, etcdClient: busyPort, etcdPeer: 'junk' } }));
      const ports = await choosePorts(layout);
      expect(ports.coordinator).toBe(freePort);
      expect(ports.etcdClient).not.toBe(busyPort);
      expect(new Set(Object.values(ports)).size).toBe(3);
      expect(JSON.parse(readFileSync(layout.stateFile, 'utf8'))).toEqual({ ports });
      // The preferred range stays clear of the default coordinator (9750), agent metrics (9746) and etcd (2379, 2380).
      const preferred: number[] = Object.values(DEMO_PREFERRED_PORTS);
      for (const taken of [9750, 9746, 2379, 2380]) expect(preferred).not.toContain(taken);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });
});

describe('the service binaries', () => {
  it('are found in the installed tree through node_modules', () => {
    expect(findServiceBin('@thinfleet/agent', 'thinfleet-agent', false).path).toMatch(/services\/agent\/bin\/thinfleet-agent\.mjs$/);
    expect(findServiceBin('@thinfleet/coordinator', 'thinfleet-coordinator', false).path).toMatch(/services\/coordinator\/bin\/thinfleet-coordinator\.mjs$/);
  });

  it('a package that is not installed is named in the error', () => {
    expect(() => findServiceBin('@thinfleet/nothing', 'x', false)).toThrow(/@thinfleet\/nothing is not installed/);
  });
});

const READY: DemoReady = {
  dir: '/d',
  simulated: true,
  coordinator: { address: '127.0.0.1:9850', pid: 100, logFile: '/d/logs/coordinator.log' },
  etcd: { endpoint: 'http://127.0.0.1:9851' },
  hosts: [
    { nodeId: 'host-1', socket: '/d/host-1/agent.sock', stateDir: '/d/host-1', pid: 101, logFile: '/d/logs/host-1.log' },
    { nodeId: 'host-2', socket: '/d/host-2/agent.sock', stateDir: '/d/host-2', pid: 102, logFile: '/d/logs/host-2.log' },
    { nodeId: 'host-3', socket: '/d/host-3/agent.sock', stateDir: '/d/host-3', pid: 103, logFile: '/d/logs/host-3.log' },
  ],
  pools: [
    { name: 'tank', file: '/d/shared/tank.img', sizeBytes: 2 * 1024 ** 3, owner: 'host-2' },
    { name: 'scratch', file: '/d/shared/scratch.img', sizeBytes: 1024 ** 3, owner: '' },
  ],
};

describe('the banner', () => {
  const text = demoBanner(READY);

  it('names every process with its pid and endpoint, and says the device-mapper is simulated', () => {
    expect(text).toMatch(/coordinator\s+100\s+127\.0\.0\.1:9850/);
    for (const host of READY.hosts) expect(text).toMatch(new RegExp(`${host.nodeId}\\s+${host.pid}\\s+${host.socket}`));
    expect(text).toContain('SIMULATED DEVICE-MAPPER');
  });

  it('shows the commands to try through the coordinator and the failover: the pid of the host serving a pool', () => {
    expect(text).toContain('export THINFLEET_COORDINATOR=127.0.0.1:9850');
    expect(text).toContain('thinfleet cluster status');
    expect(text).toContain('host-2 serves tank');
    expect(text).toContain('kill -9 102');
    expect(text).toContain('scratch: 1.0 GiB in /d/shared/scratch.img, served by nobody yet');
  });

  it('ends with the ready line', () => {
    expect(text.trimEnd().split('\n').at(-1)).toBe('thinfleet demo: ready');
  });
});

describe('thinfleet demo refuses before starting anything', () => {
  it('an argument (exit 2)', async () => {
    const io = memoryIo();
    expect(await runCli(['demo', 'extra'], io.io)).toBe(2);
    expect(io.stderr()).toMatch(/unexpected argument "extra"/);
  });

  it("a --dir too long for the hosts' unix sockets (exit 2)", async () => {
    const io = memoryIo();
    expect(await runCli(['demo', '--dir', `/tmp/${'d'.repeat(100)}`], io.io)).toBe(2);
    expect(io.stderr()).toMatch(/--dir: too long for the hosts' unix sockets/);
  });

  it('an empty --dir (exit 2)', async () => {
    const io = memoryIo();
    expect(await runCli(['demo', '--dir', ''], io.io)).toBe(2);
    expect(io.stderr()).toMatch(/--dir: must not be empty/);
  });

  it('a directory another demo is running on (exit 2, its pid named)', async () => {
    const dir = join(scratch, 'busy');
    mkdirSync(dir);
    // A live process whose command line runs `demo`, as a running demo's does.
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'demo'], { stdio: 'ignore' });
    await new Promise((resolve) => other.once('spawn', resolve));
    try {
      writeFileSync(join(dir, 'demo.pid'), `${other.pid}\n`);
      const io = memoryIo();
      expect(await runCli(['demo', '--dir', dir], io.io)).toBe(2);
      expect(io.stderr()).toContain(`a thinfleet demo (pid ${other.pid}) is already running on ${dir}`);
      // Nothing was started or written.
      expect(readFileSync(join(dir, 'demo.pid'), 'utf8')).toBe(`${other.pid}\n`);
    } finally {
      other.kill('SIGKILL');
    }
  });
});

describe('children an earlier demo left running', () => {
  it('are ended at the next start when they still run in the demo directory; a reused pid is left alone', async () => {
    const dir = join(scratch, 'leftovers');
    mkdirSync(dir);
    const forever = 'setInterval(() => {}, 1000)';
    const left = spawn(process.execPath, ['-e', forever, '--', '--config', join(dir, 'host-1', 'agent.json')], { stdio: 'ignore' });
    const stranger = spawn(process.execPath, ['-e', forever, '--', '--config', '/elsewhere/agent.json'], { stdio: 'ignore' });
    await Promise.all([left, stranger].map((child) => new Promise((resolve) => child.once('spawn', resolve))));
    const leftExit = new Promise((resolve) => left.once('exit', (_code, signal) => resolve(signal)));
    try {
      recordChildren(dir, [left.pid!, stranger.pid!]);
      expect(await endLeftovers(dir)).toEqual([left.pid]);
      expect(await leftExit).toBe('SIGKILL');
      expect(stranger.exitCode).toBeNull();
      expect(stranger.signalCode).toBeNull();
      expect(() => readFileSync(childrenFile(dir))).toThrow(/ENOENT/);
      expect(await endLeftovers(dir)).toEqual([]);
    } finally {
      left.kill('SIGKILL');
      stranger.kill('SIGKILL');
    }
  });
});
