/**
 * The host end of the guests' control channel. Each guest's guest-main.mjs dials
 * 192.0.2.100:9751, which qemu's restricted user networking (`guestfwd=...-cmd:busybox nc
 * 127.0.0.1 PORT`) turns into a loopback connection to this server. One JSON object per line:
 *
 *   guest -> host  {"hello": NAME}                          first line
 *   host -> guest  {"id": N, "cmd": "...", ...args}          a command
 *   guest -> host  {"id": N, "ok": true, "result": ...}      its answer (or "ok": false, "error")
 *   guest -> host  {"event": "...", ...}                    agent log lines, writer acks, exits
 *
 * Every event is stamped with the host's receive time (`atMs`, Date.now()), so guest-side
 * happenings can be ordered against the coordinator's log and qemu's QMP events on one clock.
 */
import { createServer } from 'node:net';

/** One connected guest: `call` sends a command, `events` holds everything it reported. */
class GuestChannel {
  constructor(name, socket) {
    this.name = name;
    this.socket = socket;
    this.events = [];
    this.closed = false;
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = new Set();
  }

  /**
   * Runs command `cmd` in the guest; resolves its result, rejects with its error, or when the
   * guest goes away (a guest powered off by its watchdog never answers), or after `timeoutMs`.
   */
  call(cmd, args = {}, timeoutMs = 120_000) {
    if (this.closed) return Promise.reject(new Error(`guest ${this.name}: control channel closed`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`guest ${this.name}: ${cmd} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, cmd });
      this.socket.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
    });
  }

  /** Calls `fn(event)` for each later event; returns the unsubscribe function. */
  onEvent(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  receive(msg) {
    if (typeof msg.id === 'number' && this.pending.has(msg.id)) {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(`guest ${this.name}: ${p.cmd}: ${msg.error}`));
      return;
    }
    if (typeof msg.event === 'string') {
      const event = { ...msg, atMs: Date.now() };
      this.events.push(event);
      for (const fn of this.listeners) fn(event);
    }
  }

  gone() {
    this.closed = true;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(`guest ${this.name}: control channel closed during ${p.cmd}`));
    }
    this.pending.clear();
    const event = { event: 'control-closed', atMs: Date.now() };
    this.events.push(event);
    for (const fn of this.listeners) fn(event);
  }
}

/**
 * Listens on 127.0.0.1 (port 0: a free one). `guest(name)` resolves when that guest has said
 * hello (a guest booted again under the same name replaces the old channel).
 * @param {{onLine?: (name: string, msg: object) => void}} [options]
 */
export async function startControlServer({ onLine } = {}) {
  const guests = new Map();
  const waiters = new Map();
  const sockets = new Set();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    let channel;
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let msg;
        try {
          msg = JSON.parse(line);
        } catch {
          continue;
        }
        if (channel === undefined && typeof msg.hello === 'string') {
          channel = new GuestChannel(msg.hello, socket);
          channel.info = msg;
          guests.set(msg.hello, channel);
          for (const w of waiters.get(msg.hello) ?? []) w(channel);
          waiters.delete(msg.hello);
          continue;
        }
        if (channel === undefined) continue;
        onLine?.(channel.name, msg);
        channel.receive(msg);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      channel?.gone();
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: server.address().port,
    /** Resolves the guest's channel once it said hello (at most `timeoutMs`). */
    guest(name, timeoutMs = 180_000) {
      const known = guests.get(name);
      if (known !== undefined && !known.closed) return Promise.resolve(known);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`guest ${name} did not dial the control channel within ${timeoutMs} ms`)), timeoutMs);
        const list = waiters.get(name) ?? [];
        list.push((c) => {
          clearTimeout(timer);
          resolve(c);
        });
        waiters.set(name, list);
      });
    },
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
