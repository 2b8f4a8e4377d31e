/**
 * External origins that are regular files (base images): each is attached read-only to a loop
 * device, recorded in the pool's registry entry (`origins`: file → loop device), and the pool's
 * volumes name the file; the engine maps the file to its loop device when it builds a volume's
 * table (EngineOptions.resolveExternalOrigin). A file's loop device is released only when no
 * volume of the pool uses it any more (after volume calls, and at pool activation), when the
 * pool is deactivated (the record keeps the file, and the next activation attaches it again),
 * destroyed or forgotten.
 *
 * Crash story: a file is recorded (with its loop device) before any volume names it, so a crash
 * leaves at worst a recorded file no volume uses, released at the next activation; a crash
 * after a volume stopped using it leaves the same. A loop device is detached only while it is
 * still attached to the recorded file, so a reused loop device is never taken from its owner.
 */
import { stat } from 'node:fs/promises';
import type { Engine } from '@thinfleet/engine';
import { KeyedMutex } from './keyed-mutex.js';
import type { Logger } from 'pino';
import { sameBackingFile, type DeviceAttachments } from './device-attachments.js';
import type { KnownPool, PoolRegistry } from './pool-registry.js';

export class OriginAttachments {
  private readonly locks = new KeyedMutex();

  constructor(
    private readonly registry: PoolRegistry,
    private readonly attachments: DeviceAttachments,
    private readonly engine: Engine,
    private readonly logger: Logger,
  ) {}

  private lock<T>(pool: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(pool, fn);
  }

  /** The block device for external origin `path` of `pool`: its loop device for a recorded file, else `path`. */
  resolve(pool: string, path: string): string {
    const loop = this.registry.get(pool)?.origins?.[path];
    return loop === undefined || loop === '' ? path : loop;
  }

  /** True when `file` is recorded as an external origin of `pool`. */
  isRecorded(pool: string, file: string): boolean {
    return this.registry.get(pool)?.origins?.[file] !== undefined;
  }

  /**
   * Attaches regular file `file` read-only for `pool` (or reuses its recorded loop device while
   * still attached to it) and records it, durably, before returning the loop device.
   * @throws AgentError NO_SUCH_DEVICE naming `field`; the registry is unchanged then
   */
  async attach(pool: string, field: string, file: string): Promise<string> {
    return this.lock(pool, async () => {
      const known = this.registry.get(pool);
      const recorded = known?.origins?.[file];
      const attached = await this.attachments.attach(field, [file], recorded ? { [file]: recorded } : {}, { readOnly: true });
      const loop = attached.loops[file]!;
      try {
        await this.registry.update(pool, (k) => ({ ...k, origins: { ...(k.origins ?? {}), [file]: loop } }));
      } catch (err) {
        if (loop !== recorded) await this.attachments.detach({ [file]: loop });
        throw err;
      }
      return loop;
    });
  }

  /** Attaches every recorded origin file of `known` (before its activation builds tables). */
  async attachRecorded(known: KnownPool): Promise<void> {
    for (const file of Object.keys(known.origins ?? {})) {
      try {
        await this.attach(known.name, 'external origin', file);
      } catch (err) {
        // The volumes over it fail to activate; the pool itself still does.
        this.logger.error({ pool: known.name, file, err }, 'external origin file could not be attached');
      }
    }
  }

  /**
   * Attaches the regular files that volumes of active pool `pool` name as external origins but
   * this host has not recorded (the pool was made on another host of the cluster, or imported).
   * A file that cannot be attached is logged: only the volumes over it fail to activate.
   */
  async adoptFromCatalog(pool: string): Promise<void> {
    const active = this.engine.pools().find((p) => p.name === pool);
    if (active === undefined) return;
    const recorded = this.registry.get(pool)?.origins ?? {};
    const named = active.externalOriginsInUse();
    for (const file of named) {
      if (recorded[file] !== undefined && recorded[file] !== '') continue;
      const isFile = await stat(file).then(
        (s) => s.isFile(),
        () => false,
      );
      if (!isFile) continue;
      try {
        await this.attach(pool, 'external origin', file);
      } catch (err) {
        this.logger.error({ pool, file, err }, 'external origin file could not be attached');
      }
    }
  }

  /** Detaches and forgets the origin files no volume of active pool `pool` uses. */
  async releaseUnused(pool: string): Promise<void> {
    await this.lock(pool, async () => {
      const active = this.engine.pools().find((p) => p.name === pool);
      const origins = this.registry.get(pool)?.origins ?? {};
      if (active === undefined || Object.keys(origins).length === 0) return;
      const used = active.externalOriginsInUse();
      const unused = Object.fromEntries(Object.entries(origins).filter(([file]) => !used.has(file)));
      if (Object.keys(unused).length === 0) return;
      await this.registry.update(pool, (k) => ({ ...k, origins: Object.fromEntries(Object.entries(k.origins ?? {}).filter(([file]) => used.has(file))) }));
      await this.detach(pool, unused);
    });
  }

  /** Detaches every origin loop device of `pool`, keeping the files recorded (pool deactivated). */
  async detachAll(pool: string): Promise<void> {
    await this.lock(pool, async () => {
      const origins = this.registry.get(pool)?.origins ?? {};
      if (Object.keys(origins).length === 0) return;
      await this.detach(pool, origins);
      await this.registry.update(pool, (k) => ({ ...k, origins: Object.fromEntries(Object.keys(k.origins ?? {}).map((file) => [file, ''])) }));
    });
  }

  private async detach(pool: string, loops: Readonly<Record<string, string>>): Promise<void> {
    const attached = Object.fromEntries(Object.entries(loops).filter(([, loop]) => loop !== ''));
    for (const err of await this.attachments.detach(attached)) this.logger.warn({ pool, err }, 'external origin loop device did not detach');
  }

  /** For tests and diagnostics: whether `loop` is still attached to `file`. */
  async attachedTo(loop: string, file: string): Promise<boolean> {
    return sameBackingFile(await this.attachments.backingFile(loop), file);
  }
}
