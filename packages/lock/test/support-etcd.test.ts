// The shared etcd test server (test/support/etcd-server.mjs) against the real etcd binary.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ETCD_NOT_INSTALLED, startEtcd, type EtcdServer } from '../../../test/support/etcd-server.mjs';

const b64 = (text: string): string => Buffer.from(text).toString('base64');

/** Puts through etcd's v3 JSON gateway. */
async function put(endpoint: string, key: string, value: string): Promise<void> {
  const response = await fetch(`${endpoint}/v3/kv/put`, {
    method: 'POST',
    body: JSON.stringify({ key: b64(key), value: b64(value) }),
    signal: AbortSignal.timeout(5_000),
  });
  expect(response.status).toBe(200);
  await response.arrayBuffer();
}

/** Gets through etcd's v3 JSON gateway; undefined when the key is absent. */
async function get(endpoint: string, key: string, timeoutMs = 5_000): Promise<string | undefined> {
  const response = await fetch(`${endpoint}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key: b64(key) }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { kvs?: Array<{ value?: string }> };
  const value = body.kvs?.[0]?.value;
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString();
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('startEtcd', () => {
  let etcd: EtcdServer;
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    await etcd?.dispose();
  });

  it('starts a healthy member on loopback with its own data dir', async () => {
    expect(etcd.endpoint).toBe(`http://127.0.0.1:${etcd.clientPort}`);
    expect(etcd.peerPort).not.toBe(etcd.clientPort);
    expect(etcd.running).toBe(true);
    expect(alive(etcd.pid)).toBe(true);
    expect(existsSync(join(etcd.dataDir, 'member'))).toBe(true);
    const health = await fetch(`${etcd.endpoint}/health`);
    expect(await health.json()).toMatchObject({ health: 'true' });
  });

  it('serves put and get over the v3 JSON gateway', async () => {
    await put(etcd.endpoint, 'support/a', 'one');
    expect(await get(etcd.endpoint, 'support/a')).toBe('one');
    expect(await get(etcd.endpoint, 'support/absent')).toBeUndefined();
  });

  it('keeps the data across kill and restart, on the same endpoint', async () => {
    await put(etcd.endpoint, 'support/durable', 'kept');
    const oldPid = etcd.pid;
    await etcd.kill();
    expect(etcd.running).toBe(false);
    expect(alive(oldPid)).toBe(false);
    await expect(get(etcd.endpoint, 'support/durable', 1_000)).rejects.toThrow();

    await etcd.restart();
    expect(etcd.running).toBe(true);
    expect(etcd.pid).not.toBe(oldPid);
    expect(await get(etcd.endpoint, 'support/durable')).toBe('kept');
  });

  it('restart of a running member replaces the process', async () => {
    const oldPid = etcd.pid;
    await etcd.restart();
    expect(alive(oldPid)).toBe(false);
    expect(await get(etcd.endpoint, 'support/a')).toBe('one');
  });

  it('pause makes requests time out; resume lets a waiting request finish', async () => {
    await put(etcd.endpoint, 'support/frozen', 'thawed');
    etcd.pause();
    try {
      await expect(get(etcd.endpoint, 'support/frozen', 300)).rejects.toThrow(/timeout|aborted/i);
      const waiting = get(etcd.endpoint, 'support/frozen', 5_000);
      await sleep(100);
      etcd.resume();
      expect(await waiting).toBe('thawed');
    } finally {
      etcd.resume();
    }
    expect(etcd.running).toBe(true);
  });
});

describe('startEtcd lifecycle', () => {
  it('stop leaves no process, even when paused; dispose removes the temp dir it made', async () => {
    const etcd = await startEtcd({ name: 'stopper' });
    const pid = etcd.pid;
    etcd.pause();
    await etcd.stop();
    expect(alive(pid)).toBe(false);
    expect(etcd.running).toBe(false);
    await etcd.stop();
    expect(existsSync(etcd.dataDir)).toBe(true);
    await etcd.dispose();
    expect(existsSync(etcd.dataDir)).toBe(false);
    await etcd.dispose();
    await expect(etcd.restart()).rejects.toThrow(/dispose/);
  });

  it('keeps a data dir the caller gave; two servers get distinct ports', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'thinfleet-etcd-given-'));
    try {
      const [first, second] = await Promise.all([startEtcd({ dataDir }), startEtcd()]);
      try {
        expect(first.dataDir).toBe(dataDir);
        const ports = new Set([first.clientPort, first.peerPort, second.clientPort, second.peerPort]);
        expect(ports.size).toBe(4);
      } finally {
        await Promise.all([first.dispose(), second.dispose()]);
      }
      expect(existsSync(join(dataDir, 'member'))).toBe(true);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('fails with the install hint when the binary is missing', async () => {
    await expect(startEtcd({ binary: '/nonexistent/etcd' })).rejects.toThrow(ETCD_NOT_INSTALLED);
    await expect(startEtcd({ binary: 'thinfleet-no-such-etcd' })).rejects.toThrow(ETCD_NOT_INSTALLED);
  });
});
