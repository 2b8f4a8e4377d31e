/** See catalog-fingerprint.mjs. */
export function volumesFingerprint(volumes: Readonly<Record<string, unknown>>): string;
