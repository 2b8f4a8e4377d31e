/**
 * The volumes as a batch's earlier items leave them: an overlay of changes over the committed
 * state, so planning costs what the batch touches, not what the pool holds. Pure: it changes
 * nothing but itself, and is thrown away with the plan.
 */
import { MAX_THIN_ID } from '@thinfleet/devmapper';
import { applyOp, catalogIndex, thinIdsInUse, type CatalogIndex, type CatalogState, type PlannedOp, type VolumeRecord, type VolumeTable } from './catalog-state.js';
import { EngineError } from './engine-error.js';
import { checkVolumeName } from './names.js';
import { quoted } from '@thinfleet/units';

/**
 * The committed state plus the changes of the items planned so far. Thin ids it hands out are
 * never reused within the batch; ids the batch frees stay taken until the commit.
 */
export class WorkingVolumes implements VolumeTable {
  /** Changed volumes by uuid; null for deleted. */
  private readonly changed = new Map<string, VolumeRecord | null>();
  /** Changed names: name -> uuid, or null for a name freed by this batch. */
  private readonly names = new Map<string, string | null>();
  private readonly index: CatalogIndex;
  private readonly pendingIds: ReadonlySet<number>;
  private readonly allocated = new Set<number>();
  private nextCandidate = 0;

  constructor(readonly state: CatalogState) {
    this.index = catalogIndex(state);
    this.pendingIds = thinIdsInUse(state);
    // Every id below it is committed, so taken: the search for the lowest free id starts there.
    this.nextCandidate = this.index.freeThinIdFrom;
  }

  /** The volume with `uuid` as of now, or undefined when it does not exist (or was deleted). */
  get(uuid: string): VolumeRecord | undefined {
    const v = this.changed.get(uuid);
    return v === undefined ? this.state.volumes[uuid] : (v ?? undefined);
  }

  /** Records `volume` (new or changed) by its uuid and name. */
  set(volume: VolumeRecord): void {
    const old = this.get(volume.uuid);
    if (old && old.name !== volume.name) this.names.set(old.name, null);
    this.names.set(volume.name, volume.uuid);
    this.changed.set(volume.uuid, volume);
  }

  /** Records the volume with `uuid` as deleted; its name is free from now on. */
  delete(uuid: string): void {
    const old = this.get(uuid);
    if (old) this.names.set(old.name, null);
    this.changed.set(uuid, null);
  }

  /** Every volume as of now (costs the whole pool: only for revision rotation). */
  all(): VolumeRecord[] {
    const out: VolumeRecord[] = [];
    for (const v of Object.values(this.state.volumes)) if (!this.changed.has(v.uuid)) out.push(v);
    for (const v of this.changed.values()) if (v !== null) out.push(v);
    return out;
  }

  private uuidOfName(name: string): string | undefined {
    const changed = this.names.get(name);
    return changed === undefined ? this.index.byName.get(name) : (changed ?? undefined);
  }

  /** @throws EngineError NO_SUCH_VOLUME naming `item` when no volume has the name `name` now */
  find(name: unknown, item: string): VolumeRecord {
    const uuid = typeof name === 'string' ? this.uuidOfName(name) : undefined;
    const v = uuid === undefined ? undefined : this.get(uuid);
    if (!v) throw new EngineError('NO_SUCH_VOLUME', `no volume ${quoted(name)} in pool ${this.state.pool.name}`, { item });
    return v;
  }

  /** True when no volume (committed, or made by an earlier item) has `name`. */
  isNameFree(name: string): boolean {
    return this.uuidOfName(name) === undefined;
  }

  /**
   * `name` checked as a volume name that no volume has now.
   * @throws EngineError INVALID_ARGUMENT naming `argument`, or NAME_EXISTS
   */
  freshName(name: unknown, item: string, argument = 'volume'): string {
    const checked = checkVolumeName(this.state.pool.name, name, item, argument);
    if (this.uuidOfName(checked) !== undefined) throw new EngineError('NAME_EXISTS', `volume "${checked}" already exists in pool ${this.state.pool.name}`, { item });
    return checked;
  }

  /**
   * The lowest thin id no committed volume and no earlier item uses (freed ids wait for the commit).
   * @throws EngineError NO_FREE_THIN_ID
   */
  allocateThinId(item: string): number {
    let id = this.nextCandidate;
    while (this.pendingIds.has(id) || this.allocated.has(id)) id++;
    if (id > MAX_THIN_ID) throw new EngineError('NO_FREE_THIN_ID', `all ${MAX_THIN_ID + 1} thin ids of the pool are in use`, { item });
    this.allocated.add(id);
    this.nextCandidate = id + 1;
    return id;
  }

  /** Applies an item's ops, as the commit will. */
  apply(ops: readonly PlannedOp[]): void {
    for (const op of ops) applyOp(this, op);
  }

  /** True when `candidate` descends (through snapshot origins) from the volume `ancestorUuid`. */
  isDescendant(candidate: VolumeRecord, ancestorUuid: string): boolean {
    const seen = new Set<string>();
    let at: VolumeRecord | undefined = candidate;
    while (at?.originUuid != null && !seen.has(at.uuid)) {
      seen.add(at.uuid);
      if (at.originUuid === ancestorUuid) return true;
      at = this.get(at.originUuid);
    }
    return false;
  }
}
