/**
 * A TCP proxy the tests own, on 127.0.0.1, for network faults between a client and a server
 * (an etcd client and etcd, an agent and the coordinator): black-hole pauses, cut connections,
 * refused connections and added latency. Each accepted connection gets its own connection to the
 * target; bytes are forwarded in order per direction, half-closes are forwarded, and backpressure
 * holds: a direction stops reading its source while its destination is not draining.
 */
import { connect, createServer, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/** Connection counts of a {@link TcpProxy}. */
export interface TcpProxyStats {
  /** Connections currently forwarded. */
  readonly open: number;
  /** Connections accepted for forwarding since the start (refused ones not counted). */
  readonly total: number;
  /** Connections reset on arrival while `refuse(true)` was on. */
  readonly refused: number;
}

/**
 * A running proxy from {@link startTcpProxy}. Controls take effect at once on every connection;
 * none of them is undone by another except as documented (resume undoes pause, refuse(false)
 * undoes refuse(true), delay(0) ends delays).
 */
export interface TcpProxy {
  /** The port the proxy listens on (127.0.0.1). */
  readonly port: number;
  /** `http://127.0.0.1:<port>`, to hand to etcd or HTTP clients in place of the target's URL. */
  readonly endpoint: string;
  /**
   * Black hole: stops forwarding in both directions on every connection, current and new. Sockets
   * stop being read (Node's stream buffer, 16 KiB a socket, then the kernel's windows fill up;
   * none of it is forwarded) and nothing held is written; connections stay open. Idempotent.
   */
  pause(): void;
  /** Forwards again, first whatever was held, in order. Idempotent. */
  resume(): void;
  /**
   * Resets every current connection (RST on both the client's socket and the one to the target)
   * and drops what was held for them. New connections are still accepted unless `refuse(true)`.
   */
  cut(): void;
  /**
   * While on, each new connection is accepted and reset at once: the client's connect fails with
   * ECONNRESET, or succeeds and its first read or write fails, depending on timing (the port stays
   * the proxy's, nothing reaches the target). Current connections are kept.
   */
  refuse(on: boolean): void;
  /**
   * Holds each chunk read after this call for `ms` before writing it on (0 = none). Per direction
   * the order is kept: a chunk never overtakes an earlier one, even if the delay is lowered.
   */
  delay(ms: number): void;
  stats(): TcpProxyStats;
  /** Stops listening and destroys every connection. Idempotent. */
  close(): Promise<void>;
}

/** Bytes a direction may hold (delayed or unwritable) before it stops reading its source. */
const HOLD_LIMIT = 256 * 1024;

interface ProxyState {
  paused: boolean;
  delayMs: number;
}

/**
 * Starts a proxy on 127.0.0.1 (a free port) to `target`. The target is connected per accepted
 * connection; if that fails, the client's connection is reset.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const state: ProxyState = { paused: false, delayMs: 0 };
  const connections = new Set<Connection>();
  let refusing = false;
  let total = 0;
  let refused = 0;
  let closed: Promise<void> | undefined;

  const server = createServer({ allowHalfOpen: true }, (client) => {
    client.on('error', () => {});
    if (refusing || closed !== undefined) {
      refused++;
      reset(client);
      return;
    }
    total++;
    const upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true });
    upstream.on('error', () => {});
    connections.add(new Connection(client, upstream, state, (connection) => connections.delete(connection)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('unexpected proxy address');
  const port = address.port;

  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    pause() {
      if (state.paused) return;
      state.paused = true;
      for (const connection of connections) connection.update();
    },
    resume() {
      if (!state.paused) return;
      state.paused = false;
      for (const connection of connections) connection.update();
    },
    cut() {
      for (const connection of [...connections]) connection.cut();
    },
    refuse(on: boolean) {
      refusing = on;
    },
    delay(ms: number) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`delay must be a finite number >= 0, got ${ms}`);
      state.delayMs = ms;
    },
    stats: () => ({ open: connections.size, total, refused }),
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const connection of [...connections]) connection.destroy();
      });
      return closed;
    },
  };
}

/** One forwarded connection: the client's socket, the target's socket and a pipe each way. */
class Connection {
  private readonly toTarget: Pipe;
  private readonly toClient: Pipe;
  private done = false;

  constructor(
    private readonly client: Socket,
    private readonly upstream: Socket,
    state: ProxyState,
    private readonly onDone: (connection: Connection) => void,
  ) {
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    this.toTarget = new Pipe(client, upstream, state);
    this.toClient = new Pipe(upstream, client, state);
    // An error on either side (reset, refused target) ends both at once.
    client.on('error', () => this.cut());
    upstream.on('error', () => this.cut());
    // A side that closed cleanly may still have output held for the other side: deliver it first.
    client.on('close', () => this.toTarget.whenEmpty(() => this.destroy()));
    upstream.on('close', () => this.toClient.whenEmpty(() => this.destroy()));
  }

  /** Re-reads the shared state (pause / resume). */
  update(): void {
    this.toTarget.pump();
    this.toClient.pump();
  }

  /** Abrupt end: reset both sockets. */
  cut(): void {
    if (this.done) return;
    reset(this.client);
    reset(this.upstream);
    this.destroy();
  }

  destroy(): void {
    if (this.done) return;
    this.done = true;
    this.toTarget.stop();
    this.toClient.stop();
    this.client.destroy();
    this.upstream.destroy();
    this.onDone(this);
  }
}

/** One direction: reads `from`, holds chunks for the delay (FIFO), writes them to `to`. */
class Pipe {
  private readonly queue: Array<{ chunk: Buffer | null; due: number }> = [];
  private heldBytes = 0;
  private blocked = false;
  private reading = true;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private onEmpty: (() => void) | undefined;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly state: ProxyState,
  ) {
    from.on('data', (chunk: Buffer) => this.push(chunk));
    from.on('end', () => this.push(null));
    to.on('drain', () => {
      this.blocked = false;
      this.pump();
    });
    this.pump();
  }

  /** Calls `callback` once nothing is held any more (now if nothing is). */
  whenEmpty(callback: () => void): void {
    if (this.queue.length === 0 || this.stopped) callback();
    else this.onEmpty = callback;
  }

  /** Writes every due chunk unless paused or blocked, then starts or stops reading `from`. */
  pump(): void {
    if (this.stopped) return;
    while (!this.state.paused && !this.blocked && this.queue.length > 0) {
      const head = this.queue[0]!;
      const wait = head.due - performance.now();
      if (wait > 0) {
        this.timer ??= setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, Math.ceil(wait));
        break;
      }
      this.queue.shift();
      if (head.chunk === null) {
        this.to.end();
      } else {
        this.heldBytes -= head.chunk.length;
        if (!this.to.write(head.chunk)) this.blocked = true;
      }
    }
    const wantRead = !this.state.paused && !this.blocked && this.heldBytes < HOLD_LIMIT;
    if (wantRead !== this.reading) {
      this.reading = wantRead;
      if (wantRead) this.from.resume();
      else this.from.pause();
    }
    if (this.queue.length === 0 && this.onEmpty !== undefined) {
      const callback = this.onEmpty;
      this.onEmpty = undefined;
      callback();
    }
  }

  /** Drops what is held; nothing more is written. */
  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
    this.heldBytes = 0;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.onEmpty = undefined;
  }

  private push(chunk: Buffer | null): void {
    if (this.stopped) return;
    this.queue.push({ chunk, due: performance.now() + this.state.delayMs });
    if (chunk !== null) this.heldBytes += chunk.length;
    this.pump();
  }
}

/** Resets a socket (RST) if it is connected, else just destroys it. */
function reset(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.connecting || socket.readyState === 'closed') socket.destroy();
  else socket.resetAndDestroy();
}
