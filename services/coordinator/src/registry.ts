/**
 * What the cluster knows, kept in etcd under the coordinator's prefix (default `thinfleet/`):
 *
 *   hosts/<node>            {nodeId, address, session, version, coordinator, pools[]}   bound to the host's lease
 *   owners/<pool>           {nodeId, address, token}: the holder has the pool active     bound to the holder's lease
 *   acquire/<node>/<pool>   a client needs <pool> served by <node>                       bound to that node's lease
 *   pools/<pool>            {name, uuid, dataSizeBytes, dataUsedBytes} as last reported  kept
 *   volumes/<pool>/<chunk>  the pool's volumes, up to 500 per key, replaced whole         kept
 *   was-active/<pool>       {previousHolder, volumes: [uuid]}: volumes active on a holder  kept
 *                           that died, until each is activated, deactivated or deleted
 *   failover/<pool>         {grant, node, atMs}: which host a coordinator asked to take    kept
 *                           the pool after grant `grant` died (one decision per dead grant)
 *   locks/<pool>/...        the pool's lock (packages/lock: q/<lease> and epoch)
 *   locks/_cluster-id       the cluster's id, created once (packages/lock cluster-id.ts)       kept
 *   locks/_sessions/<lease> {nodeId, credential}: whose session the lease is                  bound to that lease
 *
 * Nothing here is the truth about a pool: the pool's own devices are. A record bound to a lease
 * vanishes with the session that wrote it; the index (pools/, volumes/) is what the last holder
 * reported and is rewritten whenever a holder changes the pool. Losing all of it loses no volume.
 * Every coordinator reads and writes the same keys, so any number of them can run at once.
 */
import type { Etcd3, IKeyValue } from 'etcd3';
import { parseEpoch, prefixEnd } from '@thinfleet/lock';
import { POOL_NAME_PATTERN } from '@thinfleet/proto';
import { KeyChanges } from './key-changes.js';

/** A host with a live session, as its agent registered it. */
export interface HostRecord {
  readonly nodeId: string;
  /** Where the coordinator reaches the agent: `unix:/path` or `host:port`. */
  readonly address: string;
  /** The session's lease id, hex. */
  readonly session: string;
  readonly version: string;
  /** The coordinator serving the host's stream. */
  readonly coordinator: string;
  readonly pools: readonly HostPoolRecord[];
  /** The host's fencing from its Hello: "watchdog" or "none" (absent in records of older coordinators: "none"). */
  readonly fencing?: 'watchdog' | 'none';
  /** The watchdog timeout its device reported, in seconds; 0 when not known yet. */
  readonly watchdogTimeoutSeconds?: number;
}

export interface HostPoolRecord {
  readonly name: string;
  readonly uuid: string;
  readonly devices: readonly string[];
  readonly active: boolean;
  readonly dataSizeBytes: number;
  readonly dataUsedBytes: number;
  /** The host prefers to serve the pool (joined with `--prefer`): failover hands it there first. */
  readonly preferred?: boolean;
}

/** The holder of a pool, once it has the pool active and serving. */
export interface OwnerRecord {
  readonly nodeId: string;
  readonly address: string;
  /** The grant's token, decimal. */
  readonly token: string;
}

export interface PoolRecord {
  readonly name: string;
  readonly uuid: string;
  readonly dataSizeBytes: number;
  readonly dataUsedBytes: number;
  /** As the holder last reported them (absent in records a host's report wrote). */
  readonly dataBlockBytes?: number;
  readonly metadataSizeBytes?: number;
  readonly metadataUsedBytes?: number;
}

/** One volume in the cluster index: the agent's Volume message as plain JSON. */
export type IndexedVolume = Record<string, unknown> & { readonly pool: string; readonly name: string; readonly uuid: string; readonly sizeBytes: number };

/** A pool's lock as etcd has it now. */
export interface LockView {
  /** The node holding the lock, or null when it is free. */
  readonly holder: string | null;
  /** The holder's lease (hex), or null. */
  readonly holderSession: string | null;
  /** The holder's token (the epoch's revision, decimal), or null. */
  readonly token: string | null;
  /** Nodes queued behind the holder, in grant order. */
  readonly waiters: readonly string[];
  /**
   * The last grant, as the epoch key has it: who, its revision (decimal), and whether it was
   * released; null when the pool was never granted. A grant not released whose holder is gone
   * from the queue died holding the pool.
   */
  readonly lastGrant: { readonly holder: string; readonly revision: string; readonly released: boolean } | null;
}

/** What `was-active/<pool>` holds. */
export interface WasActiveRecord {
  /** The holder that died with these volumes active. */
  readonly previousHolder: string;
  /** Catalog uuids of the volumes. */
  readonly volumes: readonly string[];
}

/** What `failover/<pool>` holds: one coordinator's decision about one dead grant. */
export interface FailoverClaim {
  /** The epoch revision (decimal) of the grant that died. */
  readonly grant: string;
  /** The host asked to take the pool. */
  readonly node: string;
  /** When it was asked (the deciding coordinator's clock, ms since the epoch). */
  readonly atMs: number;
}

const VOLUMES_PER_KEY = 500;
/** Pools read per transaction by {@link ClusterRegistry.lockViewsAndVolumesOf} (two ranges each; etcd allows 128 operations). */
const POOLS_PER_READ = 60;

const json = <T>(kv: IKeyValue | undefined): T | null => (kv === undefined ? null : (JSON.parse(kv.value.toString('utf8')) as T));

export class ClusterRegistry {
  /** Where the locks live: what LockSession gets as its prefix. */
  readonly lockPrefix: string;

  constructor(
    private readonly etcd: Etcd3,
    private readonly prefix: string,
  ) {
    this.lockPrefix = `${prefix}locks/`;
  }

  private key(...parts: string[]): string {
    return this.prefix + parts.join('/');
  }

  private async range(prefix: string): Promise<IKeyValue[]> {
    const start = Buffer.from(prefix);
    return (await this.etcd.kv.range({ key: start, range_end: prefixEnd(start) })).kvs;
  }

  /** Registers (or updates) a host under its session's lease. Idempotent. */
  async putHost(record: HostRecord, leaseId: string): Promise<void> {
    await this.etcd.kv.put({ key: Buffer.from(this.key('hosts', record.nodeId)), value: Buffer.from(JSON.stringify(record)), lease: leaseId });
  }

  /** Every host with a live session, by node id. */
  async hosts(): Promise<HostRecord[]> {
    return (await this.range(this.key('hosts', ''))).map((kv) => json<HostRecord>(kv)!).sort((a, b) => a.nodeId.localeCompare(b.nodeId));
  }

  async host(nodeId: string): Promise<HostRecord | null> {
    return json<HostRecord>((await this.etcd.kv.range({ key: Buffer.from(this.key('hosts', nodeId)) })).kvs[0]);
  }

  /** Records that `owner` serves `pool` under its grant; bound to the owner's lease. */
  async putOwner(pool: string, owner: OwnerRecord, leaseId: string): Promise<void> {
    await this.etcd.kv.put({ key: Buffer.from(this.key('owners', pool)), value: Buffer.from(JSON.stringify(owner)), lease: leaseId });
  }

  /** Removes the owner record if `nodeId` wrote it (a release must not erase the next holder's). */
  async deleteOwner(pool: string, nodeId: string): Promise<void> {
    const key = Buffer.from(this.key('owners', pool));
    const current = json<OwnerRecord>((await this.etcd.kv.range({ key })).kvs[0]);
    if (current === null || current.nodeId !== nodeId) return;
    await this.etcd.kv.txn({
      compare: [{ key, target: 'Value', result: 'Equal', value: Buffer.from(JSON.stringify(current)) }],
      success: [{ request_delete_range: { key } }],
    });
  }

  async owner(pool: string): Promise<OwnerRecord | null> {
    return json<OwnerRecord>((await this.etcd.kv.range({ key: Buffer.from(this.key('owners', pool)) })).kvs[0]);
  }

  /** The pool's lock: holder, token and waiters, read in one range of its keys. */
  async lockView(pool: string): Promise<LockView> {
    return lockViewOf(`${this.lockPrefix}${pool}/`, await this.range(`${this.lockPrefix}${pool}/`));
  }

  /** Every pool's lock, by pool name, read in one range. */
  async lockViews(): Promise<Map<string, LockView>> {
    const byPool = new Map<string, IKeyValue[]>();
    for (const kv of await this.range(this.lockPrefix)) {
      const rest = kv.key.toString().slice(this.lockPrefix.length);
      const pool = rest.slice(0, Math.max(0, rest.indexOf('/')));
      // The lock space's own keys (_cluster-id, _sessions/) are no pool's.
      if (!POOL_NAME_PATTERN.test(pool)) continue;
      byPool.set(pool, [...(byPool.get(pool) ?? []), kv]);
    }
    return new Map([...byPool].map(([pool, kvs]) => [pool, lockViewOf(`${this.lockPrefix}${pool}/`, kvs)]));
  }

  /**
   * The locks and indexed volumes of `pools` only, read in a few transactions (etcd caps a
   * transaction at 128 operations: {@link POOLS_PER_READ} pools, two ranges each, per round trip,
   * all at once). What the failover supervisor reads when a session ended, instead of every
   * pool's keys. Pools without lock keys are left out of `locks`.
   */
  async lockViewsAndVolumesOf(pools: readonly string[]): Promise<{ locks: Map<string, LockView>; volumes: IndexedVolume[] }> {
    const chunks: string[][] = [];
    for (let i = 0; i < pools.length; i += POOLS_PER_READ) chunks.push(pools.slice(i, i + POOLS_PER_READ));
    const range = (prefix: string): { request_range: { key: Buffer; range_end: Buffer } } => {
      const key = Buffer.from(prefix);
      return { request_range: { key, range_end: prefixEnd(key) } };
    };
    const answers = await Promise.all(
      chunks.map((chunk) => this.etcd.kv.txn({ compare: [], success: chunk.flatMap((pool) => [range(`${this.lockPrefix}${pool}/`), range(this.key('volumes', pool, ''))]) })),
    );
    const locks = new Map<string, LockView>();
    const volumes: IndexedVolume[] = [];
    answers.forEach((answer, c) =>
      chunks[c]!.forEach((pool, i) => {
        const lockKvs = answer.responses[2 * i]!.response_range.kvs;
        if (lockKvs.length > 0) locks.set(pool, lockViewOf(`${this.lockPrefix}${pool}/`, lockKvs));
        for (const kv of answer.responses[2 * i + 1]!.response_range.kvs) volumes.push(...json<IndexedVolume[]>(kv)!);
      }),
    );
    return { locks, volumes };
  }

  /**
   * Watches what decides who serves `pool`: its owner record and its lock's keys. Open it before
   * reading them; close it when done. @throws as {@link KeyChanges.open}
   */
  watchPool(pool: string, untilMs: number): Promise<KeyChanges> {
    return KeyChanges.open(this.etcd, [{ key: this.key('owners', pool) }, { prefix: `${this.lockPrefix}${pool}/` }], untilMs);
  }

  /**
   * Watches every owner record and host record: a pool's next holder writes its owner record once
   * it has the pool ready (and the pool's jobs adopted), a host its record when its session starts.
   */
  watchOwnersAndHosts(untilMs: number): Promise<KeyChanges> {
    return KeyChanges.open(this.etcd, [{ prefix: this.key('owners', '') }, { prefix: this.key('hosts', '') }], untilMs);
  }

  /** Asks `nodeId` (through whichever coordinator serves its stream) to take and serve `pool`. */
  async requestAcquire(nodeId: string, pool: string, leaseId: string): Promise<void> {
    await this.etcd.kv.put({ key: Buffer.from(this.key('acquire', nodeId, pool)), value: Buffer.from(pool), lease: leaseId });
  }

  /** The key prefix a session watches for acquire requests to its host. */
  acquirePrefix(nodeId: string): string {
    return this.key('acquire', nodeId, '');
  }

  /**
   * Decides, once per dead grant, which host takes an ownerless pool: writes the claim and the
   * acquire request in one transaction that holds only if `failover/<pool>` is still as read
   * (`seenRevision`, "0" when absent). Two coordinators deciding at once: one wins, the other
   * changes nothing. @returns false when another decision came first
   */
  async claimFailover(pool: string, claim: FailoverClaim, seenRevision: string, leaseId: string): Promise<boolean> {
    const key = Buffer.from(this.key('failover', pool));
    const result = await this.etcd.kv.txn({
      compare: [{ key, target: 'Mod', result: 'Equal', mod_revision: seenRevision }],
      success: [
        { request_put: { key, value: Buffer.from(JSON.stringify(claim)) } },
        { request_put: { key: Buffer.from(this.key('acquire', claim.node, pool)), value: Buffer.from(pool), lease: leaseId } },
      ],
    });
    return result.succeeded;
  }

  /** Every failover claim, by pool, with its mod revision. */
  async failoverClaims(): Promise<Map<string, { claim: FailoverClaim; revision: string }>> {
    const prefix = this.key('failover', '');
    return new Map((await this.range(prefix)).map((kv) => [kv.key.toString().slice(prefix.length), { claim: json<FailoverClaim>(kv)!, revision: kv.mod_revision }]));
  }

  /** Forgets the failover claim of `pool` if it is still the one at `revision`. */
  async deleteFailoverClaim(pool: string, revision: string): Promise<void> {
    const key = Buffer.from(this.key('failover', pool));
    await this.etcd.kv.txn({ compare: [{ key, target: 'Mod', result: 'Equal', mod_revision: revision }], success: [{ request_delete_range: { key } }] });
  }

  /** The volumes of `pool` that were active on a holder that died, or null. */
  async wasActive(pool: string): Promise<WasActiveRecord | null> {
    return json<WasActiveRecord>((await this.etcd.kv.range({ key: Buffer.from(this.key('was-active', pool)) })).kvs[0]);
  }

  /** Every was-active record, by pool: the uuids of the volumes. */
  async wasActiveAll(): Promise<Map<string, Set<string>>> {
    const prefix = this.key('was-active', '');
    return new Map((await this.range(prefix)).map((kv) => [kv.key.toString().slice(prefix.length), new Set(json<WasActiveRecord>(kv)!.volumes)]));
  }

  /**
   * Changes `was-active/<pool>` by `fn` (null deletes it), retried while another writer gets in
   * between (compare-and-swap on its mod revision). Idempotent when `fn` is.
   */
  async updateWasActive(pool: string, fn: (current: WasActiveRecord | null) => WasActiveRecord | null): Promise<void> {
    const key = Buffer.from(this.key('was-active', pool));
    for (let attempt = 0; attempt < 5; attempt++) {
      const kv = (await this.etcd.kv.range({ key })).kvs[0];
      const current = json<WasActiveRecord>(kv);
      const next = fn(current);
      const empty = next === null || next.volumes.length === 0;
      if (empty ? current === null : JSON.stringify(next) === JSON.stringify(current)) return;
      const write = empty ? { request_delete_range: { key } } : { request_put: { key, value: Buffer.from(JSON.stringify(next)) } };
      const result = await this.etcd.kv.txn({ compare: [{ key, target: 'Mod', result: 'Equal', mod_revision: kv?.mod_revision ?? '0' }], success: [write] });
      if (result.succeeded) return;
    }
    throw new Error(`was-active record of pool ${pool}: too many concurrent changes`);
  }

  async deleteAcquire(nodeId: string, pool: string): Promise<void> {
    await this.etcd.kv.deleteRange({ key: Buffer.from(this.key('acquire', nodeId, pool)) });
  }

  /**
   * Writes a pool's record; fields `record` leaves out keep their last value while the uuid is
   * the same (a host's report carries data use only, the holder's refresh everything).
   */
  async putPool(record: PoolRecord): Promise<void> {
    const key = Buffer.from(this.key('pools', record.name));
    const current = json<PoolRecord>((await this.etcd.kv.range({ key })).kvs[0]);
    const merged = current !== null && current.uuid === record.uuid ? { ...current, ...record } : record;
    await this.etcd.kv.put({ key, value: Buffer.from(JSON.stringify(merged)) });
  }

  async pools(): Promise<PoolRecord[]> {
    return (await this.range(this.key('pools', ''))).map((kv) => json<PoolRecord>(kv)!);
  }

  /**
   * Replaces the index of `pool`'s volumes in one transaction (the new chunks written, the old
   * ones past them deleted), so a reader sees the old list or the new one, never a mix.
   */
  async putVolumes(pool: string, volumes: readonly IndexedVolume[]): Promise<void> {
    const prefix = Buffer.from(this.key('volumes', pool, ''));
    const puts = [];
    for (let i = 0; i * VOLUMES_PER_KEY < Math.max(1, volumes.length); i++) {
      const chunk = volumes.slice(i * VOLUMES_PER_KEY, (i + 1) * VOLUMES_PER_KEY);
      puts.push({ request_put: { key: Buffer.concat([prefix, Buffer.from(String(i).padStart(5, '0'))]), value: Buffer.from(JSON.stringify(chunk)) } });
    }
    // Chunks past the new last one go; etcd refuses a delete range overlapping a put of the same txn.
    const after = Buffer.concat([prefix, Buffer.from(String(puts.length).padStart(5, '0'))]);
    await this.etcd.kv.txn({ compare: [], success: [...puts, { request_delete_range: { key: after, range_end: prefixEnd(prefix) } }] });
  }

  /** The indexed volumes of `pool`, or of every pool when null; by pool, then name. */
  async volumes(pool: string | null): Promise<IndexedVolume[]> {
    const kvs = await this.range(pool === null ? this.key('volumes', '') : this.key('volumes', pool, ''));
    const all = kvs.flatMap((kv) => json<IndexedVolume[]>(kv)!);
    return all.sort((a, b) => a.pool.localeCompare(b.pool) || a.name.localeCompare(b.name));
  }
}

/** A lock's view from its keys (`prefix` is `<lockPrefix><pool>/`). Pure. */
function lockViewOf(prefix: string, kvs: readonly IKeyValue[]): LockView {
  const epochKey = `${prefix}epoch`;
  const queuePrefix = `${prefix}q/`;
  const epochKv = kvs.find((kv) => kv.key.toString() === epochKey);
  const queue = kvs
    .filter((kv) => kv.key.toString().startsWith(queuePrefix))
    .sort((a, b) => (BigInt(a.create_revision) < BigInt(b.create_revision) ? -1 : 1))
    .map((kv) => ({ session: kv.key.toString().slice(queuePrefix.length), nodeId: kv.value.toString() }));
  const epoch = parseEpoch(epochKv?.value);
  const lastGrant = epoch === null ? null : { holder: epoch.holder, revision: epochKv!.mod_revision, released: epoch.released };
  const head = queue[0];
  // Held: the epoch names a grant not released, to the session at the head of the queue.
  if (epoch !== null && !epoch.released && head !== undefined && head.session === epoch.lease) {
    return { holder: epoch.holder, holderSession: epoch.lease, token: epochKv!.mod_revision, waiters: queue.slice(1).map((q) => q.nodeId), lastGrant };
  }
  return { holder: null, holderSession: null, token: null, waiters: queue.map((q) => q.nodeId), lastGrant };
}
