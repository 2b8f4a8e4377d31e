/**
 * The simulated thin pool's target messages (`create_thin`, `create_snap`, `delete`,
 * `set_transaction_id`, `reserve_metadata_snap`, `release_metadata_snap`), checked as the
 * kernel's pool_message checks them, with its errnos. A message changes the pool's state in
 * memory only; the pool commits it afterwards.
 */
import { DmError } from '../dm-error.js';
import { MAX_THIN_ID } from '../thin-id.js';
import type { DataBlockRefs } from './sim-data-block-refs.js';
import type { PoolState } from './sim-pool-state.js';

/** What a message may look at and change. */
export interface PoolMessageContext {
  /** The pool's state; changed in place. */
  readonly state: PoolState;
  /** The data blocks' reference counts; kept in step with `state.devices`. */
  readonly refs: DataBlockRefs;
  /** The root a metadata snapshot reserved by this message reports. */
  readonly heldRoot: number;
  /** Whether a thin target has thin id `id` open. */
  isOpen(id: number): boolean;
}

/**
 * Applies the pool message `words` (split on white space) to `ctx`. On an error nothing has
 * changed. The caller checks the pool's mode first and commits after.
 * @throws DmError EINVAL (bad message or arguments, transaction id mismatch, no snapshot to
 *   release), EEXIST (thin id in use), ENODATA (no such thin id), EBUSY (thin id open, a
 *   snapshot already held)
 */
export function applyPoolMessage(words: readonly string[], ctx: PoolMessageContext): void {
  const invalid = (why: string): never => {
    throw new DmError('EINVAL', 'DM_TARGET_MSG', undefined, why);
  };
  const argc = (n: number): void => {
    if (words.length !== n) invalid(`${words[0]} takes ${n - 1} arguments`);
  };
  const devId = (word: string): number => {
    if (!/^\d+$/.test(word) || Number(word) > MAX_THIN_ID) invalid(`invalid device id ${word}`);
    return Number(word);
  };
  const u64 = (word: string): bigint => {
    if (!/^\d+$/.test(word) || BigInt(word) >= 1n << 64n) invalid(`invalid transaction id ${word}`);
    return BigInt(word);
  };
  const s = ctx.state;
  switch (words[0]?.toLowerCase()) {
    case 'create_thin': {
      argc(2);
      const id = devId(words[1]!);
      if (s.devices.has(id)) throw new DmError('EEXIST', 'DM_TARGET_MSG', undefined, `thin id ${id} exists`);
      s.devices.set(id, new Map());
      break;
    }
    case 'create_snap': {
      argc(3);
      const id = devId(words[1]!);
      const origin = devId(words[2]!);
      if (s.devices.has(id)) throw new DmError('EEXIST', 'DM_TARGET_MSG', undefined, `thin id ${id} exists`);
      const source = s.devices.get(origin);
      if (source === undefined) {
        throw new DmError('ENODATA', 'DM_TARGET_MSG', undefined, `origin thin id ${origin} does not exist`);
      }
      s.devices.set(id, new Map(source));
      ctx.refs.share(source);
      break;
    }
    case 'delete': {
      argc(2);
      const id = devId(words[1]!);
      const map = s.devices.get(id);
      if (map === undefined) throw new DmError('ENODATA', 'DM_TARGET_MSG', undefined, `thin id ${id} does not exist`);
      if (ctx.isOpen(id)) throw new DmError('EBUSY', 'DM_TARGET_MSG', undefined, `thin id ${id} is open`);
      s.devices.delete(id);
      for (const db of map.values()) ctx.refs.release(db);
      break;
    }
    case 'set_transaction_id': {
      argc(3);
      const current = u64(words[1]!);
      const next = u64(words[2]!);
      if (current !== s.transactionId) {
        invalid(`attempt to set transaction id from ${current} to ${next}, but current is ${s.transactionId}`);
      }
      s.transactionId = next;
      break;
    }
    case 'reserve_metadata_snap': {
      argc(1);
      if (s.held !== null) throw new DmError('EBUSY', 'DM_TARGET_MSG', undefined, 'metadata snapshot already held');
      const copy = new Map([...s.devices].map(([id, m]) => [id, new Map(m)] as const));
      s.held = {
        root: ctx.heldRoot,
        devices: copy,
        transactionId: s.transactionId,
        dataBlockSectors: s.dataBlockSectors,
        dataBlocks: s.dataBlocks,
      };
      break;
    }
    case 'release_metadata_snap': {
      argc(1);
      if (s.held === null) invalid('no pool metadata snapshot found: nothing to release');
      s.held = null;
      break;
    }
    default:
      invalid(`unrecognised thin pool message ${words[0]}`);
  }
}
