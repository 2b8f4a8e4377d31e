/**
 * The thin-pool target's messages as typed calls. Each successful message commits the pool's
 * kernel metadata, so after it returns the change survives a crash of this process or the host.
 */
import type { DmClient } from './dm-client.js';
import { thinId, type ThinId } from './thin-id.js';
import { parseThinPoolStatus, type ThinPoolStatus } from './targets/thin-pool-status.js';
import { DmError } from './dm-error.js';

export type ThinPoolMessage =
  | { readonly kind: 'create_thin'; readonly id: ThinId }
  | { readonly kind: 'create_snap'; readonly id: ThinId; readonly originId: ThinId }
  | { readonly kind: 'delete'; readonly id: ThinId }
  | { readonly kind: 'set_transaction_id'; readonly current: bigint; readonly next: bigint }
  | { readonly kind: 'reserve_metadata_snap' }
  | { readonly kind: 'release_metadata_snap' };

const MAX_TRANSACTION_ID = (1n << 64n) - 1n;

/** Formats a message as the kernel parses it. Checks ids and transaction ids first. */
export function formatThinPoolMessage(message: ThinPoolMessage): string {
  switch (message.kind) {
    case 'create_thin':
    case 'delete':
      return `${message.kind} ${thinId(message.id)}`;
    case 'create_snap':
      return `create_snap ${thinId(message.id)} ${thinId(message.originId)}`;
    case 'set_transaction_id':
      for (const v of [message.current, message.next]) {
        if (v < 0n || v > MAX_TRANSACTION_ID) throw new RangeError(`transaction id ${v} is not 64-bit unsigned`);
      }
      return `set_transaction_id ${message.current} ${message.next}`;
    case 'reserve_metadata_snap':
    case 'release_metadata_snap':
      return message.kind;
  }
}

/**
 * A live thin-pool device, driven by typed messages. Holds no state: every call goes to the
 * kernel. Errors are the kernel's: EEXIST (id in use), ENODATA (no such id), EBUSY (deleting an
 * open thin device; a metadata snapshot already held), EINVAL (transaction id mismatch; no
 * metadata snapshot to release), EOPNOTSUPP (pool read-only or failed).
 */
export class ThinPoolControl {
  constructor(
    private readonly dm: DmClient,
    /** The device-mapper name of the pool device. */
    readonly poolName: string,
  ) {}

  /** Sends one message to the pool's target at sector 0. Not idempotent. */
  async send(message: ThinPoolMessage): Promise<string> {
    return this.dm.message(this.poolName, 0, formatThinPoolMessage(message));
  }

  /** Provisions a new, empty thin device. EEXIST if `id` is taken. */
  async createThin(id: ThinId): Promise<void> {
    await this.send({ kind: 'create_thin', id });
  }

  /**
   * Creates thin device `id` as a snapshot of `originId`. The caller must have suspended every
   * active device of the origin so its data is flushed. EEXIST / ENODATA as above.
   */
  async createSnap(id: ThinId, originId: ThinId): Promise<void> {
    await this.send({ kind: 'create_snap', id, originId });
  }

  /** Deletes thin device `id` and frees its blocks. ENODATA if unknown, EBUSY if active. */
  async delete(id: ThinId): Promise<void> {
    await this.send({ kind: 'delete', id });
  }

  /** Compare-and-set of the pool's transaction id: EINVAL unless it is `current`. */
  async setTransactionId(current: bigint, next: bigint): Promise<void> {
    await this.send({ kind: 'set_transaction_id', current, next });
  }

  /** Takes the pool's one metadata snapshot (for reading metadata while live). EBUSY if held. */
  async reserveMetadataSnap(): Promise<void> {
    await this.send({ kind: 'reserve_metadata_snap' });
  }

  /** Releases the metadata snapshot. EINVAL if none is held. */
  async releaseMetadataSnap(): Promise<void> {
    await this.send({ kind: 'release_metadata_snap' });
  }

  /**
   * The pool's parsed status. With `noFlush`, the kernel reports without committing first.
   * @throws DmError EIO when the pool has failed (status `Fail`).
   */
  async status(options: { noFlush?: boolean } = {}): Promise<ThinPoolStatus> {
    const lines = await this.dm.status(this.poolName, options);
    const line = lines[0];
    if (line === undefined || line.type !== 'thin-pool') {
      throw new DmError('EINVAL', 'DM_TABLE_STATUS', this.poolName, 'device is not a thin-pool');
    }
    const status = parseThinPoolStatus(line.params);
    if (status.failed) throw new DmError('EIO', 'DM_TABLE_STATUS', this.poolName, 'thin-pool has failed');
    return status;
  }
}
