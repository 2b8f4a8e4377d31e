/** The catalog's I/O over a block device through a BlockClient (O_DIRECT reads, O_DIRECT|O_DSYNC writes). */
import type { CatalogDevice } from '@thinfleet/catalog';
import type { BlockClient } from '@thinfleet/devmapper';

/** A CatalogDevice on block device `path`. Writes are durable when they return. */
export function blockCatalogDevice(block: BlockClient, path: string): CatalogDevice {
  return {
    read: (offsetBytes, lengthBytes) => block.read(path, offsetBytes, lengthBytes),
    write: (offsetBytes, data) => block.write(path, offsetBytes, data),
  };
}
