/** The catalog's I/O over a block device through a BlockClient (O_DIRECT reads, O_DIRECT|O_DSYNC writes). */
import type { CatalogDevice } from '@thinfleet/catalog';
import type { BlockClient } from '@thinfleet/devmapper';

/**
 * A CatalogDevice on block device `path`. Writes are durable when they return.
 *
 * With `keepOpen` (a pool's catalog store): the first write asks the client to keep `path` open
 * for writing (BlockClient.keepOpen, when it has it), so a catalog append is one pwrite and no
 * open or close; `close` releases it (the pool's deactivate, a fence, a failed activation) and a
 * later write keeps it again. A client that cannot keep it open, or fails to, opens per write as
 * before (the write then reports any error). Without `keepOpen` (labels: one write each), every
 * write opens and closes the device, and `close` does nothing.
 */
export function blockCatalogDevice(block: BlockClient, path: string, options: { keepOpen?: boolean } = {}): CatalogDevice {
  let kept: Promise<boolean> | undefined;
  const keep = (): Promise<boolean> => {
    if (!options.keepOpen || block.keepOpen === undefined) return Promise.resolve(false);
    kept ??= block.keepOpen(path).then(
      () => true,
      () => false,
    );
    return kept;
  };
  return {
    read: (offsetBytes, lengthBytes) => block.read(path, offsetBytes, lengthBytes),
    write: async (offsetBytes, data) => {
      await keep();
      return block.write(path, offsetBytes, data);
    },
    close: async () => {
      const was = kept;
      kept = undefined;
      if ((await was) === true) await block.release?.(path);
    },
  };
}
