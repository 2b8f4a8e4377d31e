/**
 * A canonical text of a catalog's committed volumes (keys sorted at every level), so a test can
 * tell whether an interrupted transaction took effect: a folded transaction keeps the committed
 * transaction id, so only the volumes show it. Shared by the random-batches worker and its
 * kernel test.
 * @param {Readonly<Record<string, unknown>>} volumes the catalog state's `volumes`
 * @returns {string}
 */
export function volumesFingerprint(volumes) {
  return JSON.stringify(volumes, (_key, value) =>
    value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : value,
  );
}
