/**
 * thinfleet-coordinator's command line: flags into the config, exit codes, systemd notifications
 * and signal handling, with the coordinator itself replaced by a stub (the real one is tested in
 * the coordinator's own tests).
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../../../test/support/wait-until.js';
import type { CoordinatorConfig } from '../src/coordinator-config.js';
import { COORDINATOR_VERSION, coordinatorMain, type CoordinatorMainDeps } from '../src/coordinator-main.js';

const dir = mkdtempSync(join(tmpdir(), 'tf-coord-main-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** A config file holding `{}` (the defaults), so no test reads the host's /etc/thinfleet. */
const EMPTY = join(dir, 'empty.json');
writeFileSync(EMPTY, '{}');

interface Run {
  readonly code: Promise<number>;
  readonly stdout: string[];
  readonly stderr: string[];
  readonly notified: string[];
  readonly signals: EventEmitter;
  readonly started: CoordinatorConfig[];
  stops: number;
}

/** Runs coordinatorMain with a stub coordinator; `startResult` replaces what start does. */
function run(argv: string[], startResult?: (config: CoordinatorConfig) => Promise<{ address: string; stop(): Promise<void> }>): Run {
  const r = { stdout: [] as string[], stderr: [] as string[], notified: [] as string[], signals: new EventEmitter(), started: [] as CoordinatorConfig[], stops: 0 };
  const deps: CoordinatorMainDeps = {
    logger: () => pino({ level: 'silent' }),
    notify: async (state) => {
      r.notified.push(state);
      return true;
    },
    start: async (config) => {
      r.started.push(config);
      if (startResult !== undefined) return startResult(config);
      return {
        address: config.listen,
        stop: async () => {
          run.stops += 1;
        },
      };
    },
  };
  const run: Run = Object.assign(r, {
    code: coordinatorMain(argv, { stdout: (t) => void r.stdout.push(t), stderr: (t) => void r.stderr.push(t), signals: r.signals, env: {} }, deps),
  });
  return run;
}

describe('coordinatorMain', () => {
  it('--help documents every flag and the config path; --version prints the package version', async () => {
    const help = run(['--help']);
    expect(await help.code).toBe(0);
    const text = help.stdout.join('');
    for (const flag of ['--config', '--listen', '--state-dir', '--etcd-endpoints', '--log-level', '--help', '--version', '/etc/thinfleet/coordinator.json', 'docs/coordinator.md']) {
      expect(text).toContain(flag);
    }
    expect(help.started).toEqual([]);
    const version = run(['--version']);
    expect(await version.code).toBe(0);
    expect(version.stdout.join('')).toBe(`thinfleet-coordinator ${COORDINATOR_VERSION}\n`);
    expect(COORDINATOR_VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('exits 2 on a bad command line or config, naming the problem', async () => {
    const unknown = run(['--lissen', 'x']);
    expect(await unknown.code).toBe(2);
    expect(unknown.stderr.join('')).toMatch(/--lissen[\s\S]*usage: thinfleet-coordinator/);
    const badFlag = run(['--listen', 'nowhere', '--config', EMPTY]);
    expect(await badFlag.code).toBe(2);
    expect(badFlag.stderr.join('')).toMatch(/^thinfleet-coordinator: command line: listen: must be host:port/);
    const missing = run(['--config', join(dir, 'missing.json')]);
    expect(await missing.code).toBe(2);
    expect(missing.stderr.join('')).toMatch(/cannot read config .*missing\.json/);
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ lock: { ttlSeconds: 1 } }));
    const badFile = run(['--config', file]);
    expect(await badFile.code).toBe(2);
    expect(badFile.stderr.join('')).toMatch(/lock\.ttlSeconds/);
    const badEndpoint = run(['--etcd-endpoints', 'etcd1:2379', '--config', EMPTY]);
    expect(await badEndpoint.code).toBe(2);
    expect(badEndpoint.stderr.join('')).toMatch(/etcd\.endpoints\[0\]: must be an http/);
    expect(badFile.started).toEqual([]);
  });

  it('applies the flags over the file, tells systemd READY=1, and stops cleanly on SIGTERM', async () => {
    const file = join(dir, 'ok.json');
    writeFileSync(file, JSON.stringify({ coordinatorId: 'c1', listen: '0.0.0.0:9750', logLevel: 'warn' }));
    const r = run(['--config', file, '--listen', '127.0.0.1:0', '--state-dir', join(dir, 'state'), '--etcd-endpoints', 'http://10.0.0.1:2379, http://10.0.0.2:2379', '--log-level', 'debug']);
    await waitUntil('READY=1 to be notified', () => r.notified.some((s) => s.startsWith('READY=1')));
    expect(r.started).toHaveLength(1);
    expect(r.started[0]).toMatchObject({
      coordinatorId: 'c1',
      listen: '127.0.0.1:0',
      stateDir: join(dir, 'state'),
      logLevel: 'debug',
      etcd: { endpoints: ['http://10.0.0.1:2379', 'http://10.0.0.2:2379'], tls: null, prefix: 'thinfleet/' },
    });
    expect(r.notified.at(-1)).toBe('READY=1\nSTATUS=serving on 127.0.0.1:0');
    r.signals.emit('SIGTERM', 'SIGTERM');
    expect(await r.code).toBe(0);
    expect(r.stops).toBe(1);
    expect(r.notified.at(-1)).toBe('STOPPING=1\nSTATUS=stopping');
    expect(r.signals.listenerCount('SIGTERM') + r.signals.listenerCount('SIGINT')).toBe(0);
  });

  it('an empty --etcd-endpoints means the embedded etcd', async () => {
    const r = run(['--etcd-endpoints', '', '--config', EMPTY, '--listen', '127.0.0.1:0']);
    await waitUntil('the coordinator to be started', () => r.started.length === 1);
    expect(r.started[0]?.etcd.endpoints).toEqual([]);
    r.signals.emit('SIGINT', 'SIGINT');
    expect(await r.code).toBe(0);
  });

  it('exits 1 when start fails, and when a second signal comes during a slow stop', async () => {
    const failing = run(['--config', EMPTY, '--listen', '127.0.0.1:0'], async () => {
      throw Object.assign(new Error('etcd is not installed at /usr/bin/etcd: apt-get install etcd-server'), { code: 'ETCD_NOT_INSTALLED' });
    });
    expect(await failing.code).toBe(1);
    expect(failing.stderr.join('')).toContain('start failed: etcd is not installed at /usr/bin/etcd: apt-get install etcd-server');
    expect(failing.notified.some((s) => s.startsWith('READY=1'))).toBe(false);
    expect(failing.signals.listenerCount('SIGTERM')).toBe(0);

    const slow = run(['--config', EMPTY, '--listen', '127.0.0.1:0'], async (config) => ({ address: config.listen, stop: () => new Promise<void>(() => undefined) }));
    await waitUntil('READY=1 to be notified', () => slow.notified.some((s) => s.startsWith('READY=1')));
    slow.signals.emit('SIGTERM', 'SIGTERM');
    slow.signals.emit('SIGTERM', 'SIGTERM');
    expect(await slow.code).toBe(1);
  });

  it('a signal during start-up stops the coordinator as soon as it is up', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let stopped = false;
    const r = run(['--config', EMPTY, '--listen', '127.0.0.1:0'], async (config) => {
      await gate;
      return { address: config.listen, stop: async () => void (stopped = true) };
    });
    await waitUntil('the coordinator to be started', () => r.started.length === 1);
    r.signals.emit('SIGTERM', 'SIGTERM');
    release();
    expect(await r.code).toBe(0);
    expect(stopped).toBe(true);
  });
});
