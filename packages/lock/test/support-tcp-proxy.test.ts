// The shared fault-injection proxy (test/support/tcp-proxy.ts): an echo server and a real etcd
// behind it.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startEtcd, type EtcdServer } from '../../../test/support/etcd-server.mjs';
import { pattern } from '../../../test/support/seeded.mjs';
import { startTcpProxy, type TcpProxy } from '../../../test/support/tcp-proxy.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A client connection that records what it receives and how it ended. */
interface Client {
  readonly socket: Socket;
  received(): Buffer;
  readonly closed: Promise<void>;
  isClosed(): boolean;
}

async function dial(port: number): Promise<Client> {
  const socket = connect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  let isClosed = false;
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      isClosed = true;
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return { socket, received: () => Buffer.concat(chunks), closed, isClosed: () => isClosed };
}

async function receive(client: Client, expected: string | Buffer, timeoutMs = 2_000): Promise<void> {
  const want = typeof expected === 'string' ? Buffer.from(expected) : expected;
  await vi.waitFor(() => expect(client.received().length).toBeGreaterThanOrEqual(want.length), {
    timeout: timeoutMs,
    interval: 2,
  });
  expect(client.received().equals(want)).toBe(true);
}

describe('startTcpProxy with an echo server', () => {
  let echo: Server;
  let echoConnections = 0;
  let proxy: TcpProxy;
  const clients: Client[] = [];

  beforeAll(async () => {
    echo = createServer((socket) => {
      echoConnections++;
      socket.on('error', () => {});
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', () => resolve()));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => echo.close(() => resolve()));
  });
  beforeEach(async () => {
    const address = echo.address();
    if (address === null || typeof address === 'string') throw new Error('no echo address');
    proxy = await startTcpProxy({ host: '127.0.0.1', port: address.port });
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.socket.destroy();
    await proxy.close();
  });
  const open = async (): Promise<Client> => {
    const client = await dial(proxy.port);
    clients.push(client);
    return client;
  };

  it('forwards bytes both ways, many megabytes intact', async () => {
    expect(proxy.endpoint).toBe(`http://127.0.0.1:${proxy.port}`);
    const client = await open();
    client.socket.write('hello');
    await receive(client, 'hello');
    const big = Buffer.concat([Buffer.from('hello'), pattern(7, 8 * 1024 * 1024)]);
    client.socket.write(big.subarray(5));
    await receive(client, big, 10_000);
    expect(proxy.stats()).toEqual({ open: 1, total: 1, refused: 0 });
  });

  it('forwards a half-close and then closes the connection', async () => {
    const client = await open();
    client.socket.end('bye');
    await client.closed;
    expect(client.received().toString()).toBe('bye');
    await vi.waitFor(() => expect(proxy.stats().open).toBe(0), { timeout: 2_000, interval: 5 });
  });

  it('pause holds bytes with the connection open; resume delivers them', async () => {
    const client = await open();
    client.socket.write('a');
    await receive(client, 'a');
    proxy.pause();
    client.socket.write('b');
    await sleep(300);
    expect(client.received().toString()).toBe('a');
    expect(client.isClosed()).toBe(false);
    const late = await open();
    late.socket.write('c');
    await sleep(100);
    expect(late.received().length).toBe(0);
    expect(proxy.stats().open).toBe(2);
    proxy.resume();
    await receive(client, 'ab');
    await receive(late, 'c');
  });

  it('cut closes the client socket; new connections still work', async () => {
    const client = await open();
    client.socket.write('x');
    await receive(client, 'x');
    proxy.cut();
    await client.closed;
    expect(proxy.stats().open).toBe(0);
    const next = await open();
    next.socket.write('y');
    await receive(next, 'y');
  });

  it('refuse resets new connections without reaching the target; current ones keep working', async () => {
    const kept = await open();
    kept.socket.write('k');
    await receive(kept, 'k');
    const before = echoConnections;
    proxy.refuse(true);
    // The reset may reach the client before or after its connect completes: either way it
    // closes without a byte from the target.
    const rejected = connect({ host: '127.0.0.1', port: proxy.port });
    const got: Buffer[] = [];
    rejected.on('data', (chunk: Buffer) => got.push(chunk));
    rejected.on('error', () => {});
    rejected.write('r');
    await new Promise((resolve) => rejected.once('close', resolve));
    expect(got.length).toBe(0);
    expect(echoConnections).toBe(before);
    expect(proxy.stats()).toMatchObject({ open: 1, total: 1, refused: 1 });
    kept.socket.write('l');
    await receive(kept, 'kl');
    proxy.refuse(false);
    const accepted = await open();
    accepted.socket.write('z');
    await receive(accepted, 'z');
  });

  it('delay holds each chunk at least the delay, in order even when the delay is lowered', async () => {
    const client = await open();
    client.socket.write('warm');
    await receive(client, 'warm');
    proxy.delay(100);
    const started = performance.now();
    client.socket.write('1');
    await receive(client, 'warm1');
    // Both directions are delayed: the echo comes back after at least twice the delay.
    expect(performance.now() - started).toBeGreaterThanOrEqual(200);
    client.socket.write('2');
    await sleep(20);
    proxy.delay(0);
    client.socket.write('3');
    await receive(client, 'warm123');
  });

  it('close stops listening and ends open connections', async () => {
    const client = await open();
    client.socket.write('q');
    await receive(client, 'q');
    await proxy.close();
    await client.closed;
    await expect(dial(proxy.port)).rejects.toThrow(/ECONNREFUSED/);
    await proxy.close();
  });
});

describe('startTcpProxy in front of etcd', () => {
  let etcd: EtcdServer;
  let proxy: TcpProxy;
  beforeAll(async () => {
    etcd = await startEtcd();
    proxy = await startTcpProxy({ host: '127.0.0.1', port: etcd.clientPort });
  });
  afterAll(async () => {
    await proxy?.close();
    await etcd?.dispose();
  });

  const b64 = (text: string): string => Buffer.from(text).toString('base64');
  const put = (endpoint: string, key: string, value: string, timeoutMs = 5_000): Promise<Response> =>
    fetch(`${endpoint}/v3/kv/put`, {
      method: 'POST',
      body: JSON.stringify({ key: b64(key), value: b64(value) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  const get = async (endpoint: string, key: string): Promise<string | undefined> => {
    const response = await fetch(`${endpoint}/v3/kv/range`, {
      method: 'POST',
      body: JSON.stringify({ key: b64(key) }),
      signal: AbortSignal.timeout(5_000),
    });
    const body = (await response.json()) as { kvs?: Array<{ value?: string }> };
    const value = body.kvs?.[0]?.value;
    return value === undefined ? undefined : Buffer.from(value, 'base64').toString();
  };

  it('carries an etcd HTTP put; etcd itself then has the value', async () => {
    const response = await put(proxy.endpoint, 'proxied/a', 'through');
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    expect(await get(etcd.endpoint, 'proxied/a')).toBe('through');
    expect(proxy.stats().total).toBeGreaterThanOrEqual(1);
  });

  it('a paused proxy times a request out while etcd itself still answers', async () => {
    proxy.pause();
    try {
      await expect(put(proxy.endpoint, 'proxied/b', 'held', 300)).rejects.toThrow(/timeout|aborted/i);
      expect(await get(etcd.endpoint, 'proxied/a')).toBe('through');
    } finally {
      proxy.resume();
    }
    const response = await put(proxy.endpoint, 'proxied/c', 'after');
    expect(response.status).toBe(200);
    await response.arrayBuffer();
  });
});
