/**
 * Several metadata block reads in flight at once: O_DIRECT reads of the metadata device are
 * independent, so a walker that knows the next blocks it needs reads them together instead of
 * one after the other.
 */

/** How many metadata blocks are read at once. */
export const READ_CONCURRENCY = 16;

/** Maps `items` through `fn` with at most `limit` calls outstanding; keeps the order. */
export async function mapConcurrently<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
