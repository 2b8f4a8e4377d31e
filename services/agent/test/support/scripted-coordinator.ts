/**
 * The coordinator's side of the session stream (SessionService.Connect), played by a test: a
 * gRPC server on 127.0.0.1 that welcomes agents (resuming sessions it still has), acknowledges
 * keepalives, grants takes with increasing tokens and answers releases, each of which a test
 * can turn off to answer by hand, plus pushes (Acquire, Contention, SessionLost) and dropping
 * the stream. Every message an agent sends is kept, in order, for the test to wait on.
 */
import { Server, ServerCredentials, status, type ServerDuplexStream } from '@grpc/grpc-js';
import { loadCoordinatorApi, type AgentMessage__Output, type CoordinatorMessage } from '@thinfleet/proto';
import { waitUntil } from '../../../../test/support/wait-until.js';

type Stream = ServerDuplexStream<AgentMessage__Output, CoordinatorMessage>;

export interface ScriptedCoordinatorOptions {
  readonly ttlSeconds?: number;
  readonly marginMs?: number;
  /** The cluster's watchdog timeout sent in the Welcome (default 1). */
  readonly watchdogTimeoutSeconds?: number;
}

export class ScriptedCoordinator {
  /** Every message from agents, in arrival order. */
  readonly received: AgentMessage__Output[] = [];
  /** Sessions a Hello may resume. */
  readonly sessions = new Set<string>();
  /** Pools granted and not released, with their tokens. */
  readonly granted = new Map<string, string>();
  /** Takes not answered (autoGrant off): request id by pool. */
  readonly pendingTakes = new Map<string, number>();
  ackKeepAlives = true;
  /** Answer Hellos with a Welcome (off: a coordinator that hangs). */
  welcome = true;
  autoGrant = true;
  dirty = true;
  nextToken = 100n;
  /** Streams opened so far. */
  connects = 0;
  ttlSeconds: number;
  marginMs: number;
  watchdogTimeoutSeconds: number;
  private stream: Stream | null = null;
  private sessionCounter = 0;

  private constructor(
    private readonly server: Server,
    readonly address: string,
    options: ScriptedCoordinatorOptions,
  ) {
    this.ttlSeconds = options.ttlSeconds ?? 2;
    this.marginMs = options.marginMs ?? 500;
    this.watchdogTimeoutSeconds = options.watchdogTimeoutSeconds ?? 1;
  }

  static async start(options: ScriptedCoordinatorOptions = {}): Promise<ScriptedCoordinator> {
    const server = new Server();
    let self: ScriptedCoordinator | null = null;
    server.addService(loadCoordinatorApi().SessionService.service, { Connect: (call: Stream) => self!.connect(call) });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    self = new ScriptedCoordinator(server, `127.0.0.1:${port}`, options);
    return self;
  }

  /** The stream of the connected agent is open. */
  get connected(): boolean {
    return this.stream !== null;
  }

  private connect(call: Stream): void {
    this.connects += 1;
    this.stream?.end();
    this.stream = call;
    call.on('data', (m: AgentMessage__Output) => {
      this.received.push(m);
      this.answer(call, m);
    });
    call.on('end', () => this.ended(call));
    call.on('error', () => this.ended(call));
    call.on('cancelled', () => this.ended(call));
  }

  private ended(call: Stream): void {
    if (this.stream === call) this.stream = null;
  }

  private answer(call: Stream, m: AgentMessage__Output): void {
    switch (m.message) {
      case 'hello': {
        if (!this.welcome) return;
        const resume = m.hello!.resumeSession;
        const resumed = resume !== '' && this.sessions.has(resume);
        const session = resumed ? resume : `s${++this.sessionCounter}`;
        this.sessions.add(session);
        call.write({ welcome: { session, ttlSeconds: this.ttlSeconds, marginMs: this.marginMs, resumed, coordinator: 'scripted', watchdogTimeoutSeconds: this.watchdogTimeoutSeconds } });
        return;
      }
      case 'keepAlive':
        if (this.ackKeepAlives) call.write({ keepAliveAck: { seq: m.keepAlive!.seq, ttlSeconds: this.ttlSeconds } });
        return;
      case 'take': {
        const { requestId, pool } = m.take!;
        if (!this.autoGrant) {
          this.pendingTakes.set(pool, Number(requestId));
          return;
        }
        this.grant(pool, Number(requestId));
        return;
      }
      case 'release':
        this.granted.delete(m.release!.pool);
        call.write({ released: { requestId: m.release!.requestId, pool: m.release!.pool } });
        return;
      default:
    }
  }

  /**
   * Grants `pool` to the take with `requestId` (the pending one when not given); returns the
   * token. A pool granted already (a resumed session taking it again) is granted clean.
   */
  grant(pool: string, requestId = this.pendingTakes.get(pool), dirty = this.granted.has(pool) ? false : this.dirty): string {
    if (requestId === undefined) throw new Error(`no take of ${pool} is waiting`);
    this.pendingTakes.delete(pool);
    const token = (this.nextToken++).toString();
    this.granted.set(pool, token);
    this.push({ granted: { requestId, pool, token, dirty, previousHolderDied: false, previousHolder: '' } });
    return token;
  }

  /** Sends `message` on the open stream. */
  push(message: CoordinatorMessage): void {
    if (this.stream === null) throw new Error('no agent is connected');
    this.stream.write(message);
  }

  /** Ends the open stream with an error, as a coordinator that went away. */
  drop(): void {
    const s = this.stream;
    this.stream = null;
    s?.emit('error', { code: status.UNAVAILABLE, details: 'dropped by the test' });
  }

  /** Forgets every session (a resume then gets a new one) and every grant. */
  forgetSessions(): void {
    this.sessions.clear();
    this.granted.clear();
  }

  /** Waits until `pick` finds something among the messages received from index `from` on. */
  async waitFor<T>(pick: (m: AgentMessage__Output) => T | undefined | null | false, options: { from?: number; timeoutMs?: number } = {}): Promise<T> {
    return waitUntil(
      'a message the test picks',
      () => {
        for (const m of this.received.slice(options.from ?? 0)) {
          const found = pick(m);
          if (found !== undefined && found !== null && found !== false) return found;
        }
        return null;
      },
      { timeoutMs: options.timeoutMs ?? 10_000, detail: () => `received: ${JSON.stringify(this.received.map((m) => m.message))}` },
    );
  }

  /** Waits until an agent stream is open (and welcomed: its Hello arrived). */
  async waitConnected(timeoutMs = 10_000): Promise<void> {
    await waitUntil('an agent to connect and say Hello', () => this.stream !== null && this.received.some((m) => m.message === 'hello'), timeoutMs);
  }

  async stop(): Promise<void> {
    this.stream?.end();
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
  }
}
