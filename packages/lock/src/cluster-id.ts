/**
 * The id of a lock space (one etcd cluster and key prefix): `<prefix>_cluster-id`, created once
 * by whoever asks first, in one transaction that writes it only while the key does not exist, so
 * concurrent first callers all end up with the same id. Agents keep it and refuse a coordinator
 * that serves another lock space (it would grant them locks nobody else's grants exclude).
 *
 * Crash story: the key is written by a single etcd transaction or not at all; it is never changed
 * or deleted afterwards (deleting it by hand makes every agent refuse the cluster's coordinators
 * until their saved id is removed).
 */
import { randomBytes } from 'node:crypto';
import type { Etcd3 } from 'etcd3';

/** The cluster id's key under the lock prefix (`_` cannot start a lock name). */
export function clusterIdKey(prefix: string): Buffer {
  return Buffer.from(`${prefix}_cluster-id`);
}

/** What a cluster id looks like: 1-64 letters, digits, `_` or `-`. */
export const CLUSTER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The lock space's id, created on first use (21 random url-safe characters). Idempotent.
 * @throws Error from etcd when it cannot be read or created
 */
export async function ensureClusterId(etcd: Etcd3, prefix: string): Promise<string> {
  const key = clusterIdKey(prefix);
  const fresh = randomBytes(16).toString('base64url').slice(0, 21);
  const result = await etcd.kv.txn({
    compare: [{ key, target: 'Create', result: 'Equal', create_revision: '0' }],
    success: [{ request_put: { key, value: Buffer.from(fresh) } }],
    failure: [{ request_range: { key } }],
  });
  if (result.succeeded) return fresh;
  const existing = result.responses[0]?.response_range?.kvs[0]?.value.toString('utf8');
  if (existing === undefined) throw new Error(`${key.toString()}: created and gone at once`);
  return existing;
}
