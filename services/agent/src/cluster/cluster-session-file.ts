/**
 * `<stateDir>/cluster-session.json`: the coordinator session this agent last used and the pools
 * whose locks that session holds, with their grant tokens. A restarted agent reads it to fence
 * the pools it may still have live in the kernel before it serves anything, and to resume the
 * session (and with it the locks) when the coordinator still has it.
 *
 * Crash story: the file is replaced whole and durably (durable-file.ts) every time the held set
 * changes, and always before the change takes effect on the devices: a pool is recorded as held
 * before it is activated under a grant and dropped only after its devices are gone. So a crash
 * leaves either file, and every pool live in the kernel is in it. Writes are serialized; each
 * writes the newest state.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Mutex } from '@thinfleet/engine';
import { writeFileDurably } from '../durable-file.js';

/** A cluster id as the coordinator makes them (packages/lock cluster-id.ts). */
const CLUSTER_ID = /^[A-Za-z0-9_-]{1,64}$/;

export interface ClusterSessionState {
  /** The session (lease id, hex) to resume; '' for none. */
  readonly session: string;
  /**
   * The cluster (lock space) this host belongs to, from its first Welcome; '' before any (and in
   * files written before cluster ids). A coordinator of another cluster is refused.
   */
  readonly clusterId: string;
  /** Pools whose lock the session holds, with the grant's token (decimal). */
  readonly held: Readonly<Record<string, string>>;
}

const EMPTY: ClusterSessionState = { session: '', clusterId: '', held: {} };

export class ClusterSessionFile {
  private readonly path: string;
  private readonly mutex = new Mutex();
  private last: string | null = null;

  constructor(stateDir: string) {
    this.path = join(stateDir, 'cluster-session.json');
  }

  /**
   * The saved state; the empty state when there is no file.
   * @throws Error for an unreadable or malformed file (the agent must not guess which pools it held)
   */
  read(): ClusterSessionState {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY;
      throw err;
    }
    const saved = JSON.parse(text) as { version?: unknown; session?: unknown; clusterId?: unknown; held?: unknown };
    if (saved.version !== 1) throw new Error(`${this.path}: unknown version ${String(saved.version)}`);
    if (typeof saved.session !== 'string' || typeof saved.held !== 'object' || saved.held === null) throw new Error(`${this.path}: malformed`);
    const clusterId = saved.clusterId ?? '';
    if (typeof clusterId !== 'string' || !(clusterId === '' || CLUSTER_ID.test(clusterId))) throw new Error(`${this.path}: malformed clusterId`);
    const held: Record<string, string> = {};
    for (const [pool, token] of Object.entries(saved.held as Record<string, unknown>)) {
      if (typeof token !== 'string' || !/^[0-9]{1,20}$/.test(token)) throw new Error(`${this.path}: pool ${pool} has a malformed token`);
      held[pool] = token;
    }
    this.last = this.render({ session: saved.session, clusterId, held });
    return { session: saved.session, clusterId, held };
  }

  /** Writes `state` durably (skipped when the file holds it already). */
  write(state: ClusterSessionState): Promise<void> {
    const text = this.render(state);
    return this.mutex.run(async () => {
      if (text === this.last) return;
      await writeFileDurably(this.path, text);
      this.last = text;
    });
  }

  private render(state: ClusterSessionState): string {
    const held = Object.fromEntries(Object.entries(state.held).sort(([a], [b]) => a.localeCompare(b)));
    return `${JSON.stringify({ version: 1, session: state.session, clusterId: state.clusterId, held }, null, 2)}\n`;
  }
}
