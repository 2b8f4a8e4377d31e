/**
 * Who a session's lease belongs to: `<prefix>_sessions/<leaseHex>` = {nodeId, credential}, bound
 * to the lease, written right after the lease is granted. Resuming a lease (an agent reconnecting
 * through another stream or coordinator) is allowed only to the same node id with the same
 * credential (the coordinator passes the SHA-256 fingerprint of the agent's client certificate,
 * '' without TLS), so a copied session id cannot adopt another host's lease and its locks.
 *
 * `_` cannot start a lock name (NAME_PATTERN), so these keys never mix with a lock's keys.
 *
 * Crash story: the record is written after the grant; a crash in between leaves a lease without
 * a record, which nobody was told about (no Welcome went out) and which cannot be resumed: it
 * expires after its TTL. A lease granted before this record existed cannot be resumed either
 * (the safe side: its holder starts a new session).
 */
import type { Etcd3 } from 'etcd3';

/** What a session's owner record holds. */
export interface SessionOwner {
  readonly nodeId: string;
  /** An opaque credential of the node (a certificate fingerprint), '' for none. */
  readonly credential: string;
}

/** Why a lease was not resumed. */
export type ResumeRefusal = 'gone' | 'no owner record' | 'another node' | 'another credential';

/** The key of `leaseHex`'s owner record under the lock prefix. */
export function sessionOwnerKey(prefix: string, leaseHex: string): Buffer {
  return Buffer.from(`${prefix}_sessions/${leaseHex}`);
}

/** Records `owner` for the lease `leaseId` (decimal), bound to it. */
export async function putSessionOwner(etcd: Etcd3, prefix: string, leaseId: string, owner: SessionOwner): Promise<void> {
  const hex = BigInt(leaseId).toString(16);
  await etcd.kv.put({ key: sessionOwnerKey(prefix, hex), value: Buffer.from(JSON.stringify({ nodeId: owner.nodeId, credential: owner.credential })), lease: leaseId });
}

/**
 * Whether `claimant` may resume the lease `leaseHex`: null when it may, else why not (a missing
 * record means the lease is gone or predates owner records).
 */
export async function checkSessionOwner(etcd: Etcd3, prefix: string, leaseHex: string, claimant: SessionOwner): Promise<ResumeRefusal | null> {
  const kv = (await etcd.kv.range({ key: sessionOwnerKey(prefix, leaseHex) })).kvs[0];
  if (kv === undefined) return 'no owner record';
  let owner: Partial<SessionOwner>;
  try {
    owner = JSON.parse(kv.value.toString('utf8')) as Partial<SessionOwner>;
  } catch {
    return 'no owner record';
  }
  if (owner.nodeId !== claimant.nodeId) return 'another node';
  if ((owner.credential ?? '') !== claimant.credential) return 'another credential';
  return null;
}
