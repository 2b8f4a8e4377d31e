/**
 * Where a pool's lock lives in etcd:
 *   <prefix><pool>/q/<leaseHex>  one key per session queued for the lock, bound to its lease;
 *                                the lowest create revision holds the lock
 *   <prefix><pool>/epoch         {holder, lease, released[, handedBy]} written by each grant and
 *                                release (a release that hands the lock over writes the next
 *                                holder's grant instead); its mod revision is what "dirty"
 *                                compares against
 */
export interface LockKeys {
  readonly queuePrefix: Buffer;
  /** The end of the queue's key range (the prefix with its last byte incremented). */
  readonly queueEnd: Buffer;
  readonly epoch: Buffer;
  /** This session's queue key. */
  queueKey(leaseHex: string): Buffer;
}

/** The first key after every key that starts with `prefix`. */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // the whole key space
}

/** The keys of lock `name` under `prefix`. */
export function lockKeys(prefix: string, name: string): LockKeys {
  const queuePrefix = Buffer.from(`${prefix}${name}/q/`);
  return {
    queuePrefix,
    queueEnd: prefixEnd(queuePrefix),
    epoch: Buffer.from(`${prefix}${name}/epoch`),
    queueKey: (leaseHex) => Buffer.concat([queuePrefix, Buffer.from(leaseHex)]),
  };
}

/** What the epoch key holds. */
export interface EpochValue {
  /** The node id of the session that was granted the lock last. */
  readonly holder: string;
  /** Its lease, hex. */
  readonly lease: string;
  /** True once that holder released it. */
  readonly released: boolean;
  /**
   * Set when the grant was written by the previous holder's release (a hand-over): that holder's
   * node id. Absent for a grant the holder took itself.
   */
  readonly handedBy?: string;
}

export function parseEpoch(value: Buffer | undefined): EpochValue | null {
  if (value === undefined || value.length === 0) return null;
  try {
    const v = JSON.parse(value.toString('utf8')) as Partial<EpochValue>;
    if (typeof v.holder !== 'string' || typeof v.lease !== 'string' || typeof v.released !== 'boolean') return null;
    if (v.handedBy !== undefined && typeof v.handedBy !== 'string') return null;
    return v.handedBy === undefined ? { holder: v.holder, lease: v.lease, released: v.released } : { holder: v.holder, lease: v.lease, released: v.released, handedBy: v.handedBy };
  } catch {
    return null;
  }
}
