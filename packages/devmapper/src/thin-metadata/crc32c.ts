/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven (slicing by 8), and the
 * checksum device-mapper's persistent-data layer stamps on its metadata blocks.
 */

const POLY_REFLECTED = 0x82f63b78;

/** Eight 256-entry tables: TABLES[0] is the classic byte table, TABLES[k] advances k more bytes. */
const TABLES: readonly Uint32Array[] = buildTables();

function buildTables(): Uint32Array[] {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  const first = tables[0]!;
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? (c >>> 1) ^ POLY_REFLECTED : c >>> 1;
    first[n] = c >>> 0;
  }
  for (let k = 1; k < 8; k++) {
    const prev = tables[k - 1]!;
    const cur = tables[k]!;
    for (let n = 0; n < 256; n++) cur[n] = (first[prev[n]! & 0xff]! ^ (prev[n]! >>> 8)) >>> 0;
  }
  return tables;
}

/**
 * Runs the CRC-32C register over `data` starting from `crc`, with no initial or final
 * inversion (like the kernel's `crc32c(crc, data, len)`).
 */
export function crc32cUpdate(crc: number, data: Uint8Array): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let c = crc >>> 0;
  let i = 0;
  const n = data.length;
  const fast = n - (n % 8);
  while (i < fast) {
    const lo = (c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    c = t7[lo & 0xff]! ^ t6[(lo >>> 8) & 0xff]! ^ t5[(lo >>> 16) & 0xff]! ^ t4[lo >>> 24]! ^ t3[data[i + 4]!]! ^ t2[data[i + 5]!]! ^ t1[data[i + 6]!]! ^ t0[data[i + 7]!]!;
    i += 8;
  }
  while (i < n) c = t0[(c ^ data[i++]!) & 0xff]! ^ (c >>> 8);
  return c >>> 0;
}

/** The standard CRC-32C of `data` (initial and final inversion): "123456789" gives 0xE3069283. */
export function crc32c(data: Uint8Array): number {
  return ~crc32cUpdate(0xffffffff, data) >>> 0;
}

/**
 * The checksum persistent-data writes into a metadata block (the kernel's `dm_bm_checksum`):
 * the CRC-32C register seeded with all ones, not inverted at the end, xor'd with a salt that
 * differs per structure (superblock, btree node, bitmap, index).
 */
export function dmChecksum(data: Uint8Array, xorSalt: number): number {
  return (crc32cUpdate(0xffffffff, data) ^ xorSalt) >>> 0;
}
