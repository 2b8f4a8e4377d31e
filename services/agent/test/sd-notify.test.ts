/**
 * systemd notifications against a real receiver: a python3 process bound to an AF_UNIX
 * SOCK_DGRAM socket (a path, or an abstract name) with SO_PASSCRED, printing each datagram
 * and the sender pid the kernel attached, as systemd sees them. Needs the sd-notify addon
 * built and python3.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { notifySocket, type NotifyError } from '@thinfleet/sd-notify';
import { extendTimeout, notifySystemd, ready, status, stopping, watchdog, watchdogIntervalMs } from '../src/sd-notify.js';

/** Binds argv[1] ('\0'-prefixed for abstract), says BOUND, then prints one JSON line per datagram. */
const RECEIVER = `
import json, socket, struct, sys
address = sys.argv[1]
if address.startswith('@'):
    address = '\\0' + address[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(address)
print('BOUND', flush=True)
while True:
    data, ancillary, flags, _ = s.recvmsg(65536, socket.CMSG_SPACE(12))
    pid = None
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack('iII', payload[:12])[0]
    print(json.dumps({'message': data.decode(), 'pid': pid}), flush=True)
`;

interface Received {
  readonly message: string;
  readonly pid: number | null;
}

/** A running receiver and the next lines it prints. */
interface Receiver {
  readonly child: ChildProcessWithoutNullStreams;
  next(): Promise<Received>;
}

const children: ChildProcessWithoutNullStreams[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'tf-sdnotify-'));
  dirs.push(d);
  return d;
}

/** Starts a receiver on `address` and waits until it is bound. */
async function receiver(address: string): Promise<Receiver> {
  const child = spawn('python3', ['-c', RECEIVER, address], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const line = async (): Promise<string> => {
    const r = await lines.next();
    if (r.done) throw new Error(`receiver exited: ${stderr}`);
    return r.value;
  };
  expect(await line()).toBe('BOUND');
  return { child, next: async () => JSON.parse(await line()) as Received };
}

describe('notifySystemd', () => {
  it('does nothing and resolves false without NOTIFY_SOCKET', async () => {
    expect(await notifySystemd('READY=1', {})).toBe(false);
    expect(await ready({ NOTIFY_SOCKET: '' })).toBe(false);
    expect(await stopping({})).toBe(false);
  });

  it('delivers READY=1 to a socket path, sent by this process', async () => {
    const path = join(await tempDir(), 'notify.sock');
    const r = await receiver(path);
    expect(await ready({ NOTIFY_SOCKET: path })).toBe(true);
    expect(await r.next()).toEqual({ message: 'READY=1', pid: process.pid });
  });

  it('delivers to an abstract socket (@name), each helper its own assignment', async () => {
    const name = `@thinfleet-test-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const r = await receiver(name);
    const env = { NOTIFY_SOCKET: name };
    expect(await ready(env)).toBe(true);
    expect(await r.next()).toEqual({ message: 'READY=1', pid: process.pid });
    await status('recovering pool tank\nstep 2', env);
    expect((await r.next()).message).toBe('STATUS=recovering pool tank step 2');
    await extendTimeout(30_000_000, env);
    expect((await r.next()).message).toBe('EXTEND_TIMEOUT_USEC=30000000');
    await watchdog(env);
    expect((await r.next()).message).toBe('WATCHDOG=1');
    await notifySystemd('STOPPING=1\nSTATUS=draining', env);
    expect((await r.next()).message).toBe('STOPPING=1\nSTATUS=draining');
  });

  it('rejects with the errno when nothing receives', async () => {
    const dir = await tempDir();
    const missing = join(dir, 'nobody.sock');
    const err = (await notifySystemd('READY=1', { NOTIFY_SOCKET: missing }).catch((e: unknown) => e)) as NotifyError;
    expect(err).toMatchObject({ code: 'ENOENT', syscall: 'sendto', operation: 'notifySocket', device: missing });
    const plain = join(dir, 'plain-file');
    await writeFile(plain, '');
    await expect(notifySystemd('READY=1', { NOTIFY_SOCKET: plain })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(notifySystemd('READY=1', { NOTIFY_SOCKET: '@thinfleet-nobody-listens-here' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('refuses addresses it cannot reach and bad arguments', async () => {
    await expect(notifySystemd('READY=1', { NOTIFY_SOCKET: 'vsock:2:1234' })).rejects.toMatchObject({ code: 'EAFNOSUPPORT' });
    await expect(extendTimeout(0, { NOTIFY_SOCKET: '/nonexistent' })).rejects.toThrow(RangeError);
    await expect(extendTimeout(1.5, {})).rejects.toThrow(RangeError);
    await expect(notifySocket(`/${'x'.repeat(107)}`, 'READY=1')).rejects.toThrow(/at most 107 bytes/);
    await expect(notifySocket(`@${'x'.repeat(108)}`, 'READY=1')).rejects.toThrow(/at most 108 bytes/);
    await expect(notifySocket('@', 'READY=1')).rejects.toThrow(RangeError);
    await expect(notifySocket('/run/x.sock', '')).rejects.toThrow(/message must not be empty/);
    await expect(notifySocket('/run/x\0.sock', 'READY=1')).rejects.toThrow(/NUL/);
  });
});

describe('watchdogIntervalMs', () => {
  it('is half of WATCHDOG_USEC, for this process only', () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000' }, 42)).toBe(15_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }, 42)).toBe(15_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '1000' }, 42)).toBe(1);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '1' }, 42)).toBe(1);
  });

  it('is null when no watchdog is asked of this process', () => {
    expect(watchdogIntervalMs({}, 42)).toBeNull();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '43' }, 42)).toBeNull();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '0' }, 42)).toBeNull();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '-5' }, 42)).toBeNull();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: 'soon' }, 42)).toBeNull();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '' }, 42)).toBeNull();
  });
});
