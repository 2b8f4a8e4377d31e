#!/usr/bin/env node
// The usage read on the kernel's metadata format, before and after it stopped reading the
// mapping tree of devices that map nothing. No kernel: thin_restore (thin-provisioning-tools)
// writes a pool of N devices (100 with 50 mapped blocks each, the rest empty) into a file; each
// empty device is then given an empty root block of its own, as the kernel's create_thin does
// (thin_restore shares one). Times, on the same file: "before" = device details, top level, then
// every device's tree (what readThinMetadata read until now); "after" = readThinMetadata. Reads
// go through the page cache (the kernel tier reads O_DIRECT: there the block count dominates).
// Needs the built dist (`npx tsc -b packages/devmapper`).
//
//   node test/bench/usage-read.bench.mjs [N]     (default 10000)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, readSync, rmSync, writeSync, writeFileSync, truncateSync, closeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
const D = new URL('../../packages/devmapper/dist/thin-metadata/', import.meta.url).href;
const { readThinMetadata } = await import(new URL('read-thin-metadata.js', D).href);
const { readMappingRoots, countMappingUsage } = await import(new URL('mapping-usage.js', D).href);
const { readDeviceDetails } = await import(new URL('device-details.js', D).href);
const { MetadataBlockReader } = await import(new URL('metadata-block-reader.js', D).href);
const { DataBlockSharing } = await import(new URL('data-block-sharing.js', D).href);
const { dmChecksum } = await import(new URL('crc32c.js', D).href);
const N = Number(process.argv[2] ?? 10000);
const dir = mkdtempSync(join(tmpdir(), 'tf-usage-read-'));
const lines = [`<superblock uuid="" time="1" transaction="5" flags="0" version="2" data_block_size="128" nr_data_blocks="100000">`];
for (let id = 0; id < N; id++)
  lines.push(
    `  <device dev_id="${id}" mapped_blocks="${id < 100 ? 50 : 0}" transaction="0" creation_time="0" snap_time="0">`,
    ...(id < 100 ? [`    <range_mapping origin_begin="0" data_begin="${id * 50}" length="50" time="0"/>`] : []),
    '  </device>',
  );
lines.push('</superblock>', '');
writeFileSync(`${dir}/m.xml`, lines.join('\n'));
writeFileSync(`${dir}/m.meta`, '');
truncateSync(`${dir}/m.meta`, 256 * 1024 * 1024);
execFileSync('thin_restore', ['-q', '-i', `${dir}/m.xml`, '-o', `${dir}/m.meta`]);
const fd = openSync(`${dir}/m.meta`, 'r+');
const B = 4096;
const rd = (b) => {
  const buf = Buffer.alloc(B);
  readSync(fd, buf, 0, B, b * B);
  return buf;
};
const wr = (b, buf) => {
  buf.writeUInt32LE(dmChecksum(buf.subarray(4), 121107), 0);
  writeSync(fd, buf, 0, B, b * B);
};
// Give every empty device a root block of its own, as the kernel's create_thin does.
let next = 40000;
const sb = rd(0);
const visit = (block) => {
  const n = rd(block);
  const nr = n.readUInt32LE(16),
    max = n.readUInt32LE(20),
    leaf = (n.readUInt32LE(4) & 2) !== 0;
  for (let i = 0; i < nr; i++) {
    const at = 32 + 8 * max + 8 * i;
    const child = Number(n.readBigUInt64LE(at));
    if (!leaf) {
      visit(child);
      continue;
    }
    const root = rd(child);
    if (root.readUInt32LE(16) !== 0) continue; // has mappings
    const b = next++;
    root.writeBigUInt64LE(BigInt(b), 8);
    wr(b, root);
    n.writeBigUInt64LE(BigInt(b), at);
  }
  if (leaf) wr(block, n);
};
visit(Number(sb.readBigUInt64LE(320)));
let reads = 0;
const io = {
  read: async (off, len) => {
    reads++;
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, off);
    return buf;
  },
};
const old = async () => {
  const superblock = rd(0);
  const reader = new MetadataBlockReader(io, 65536);
  await readDeviceDetails(reader, Number(superblock.readBigUInt64LE(328)));
  const roots = await readMappingRoots(reader, Number(superblock.readBigUInt64LE(320)));
  return countMappingUsage(reader, roots, new DataBlockSharing(100000));
};
console.log(
  `usage read of ${N} devices (100 with 50 mapped blocks); load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
for (const [name, fn] of [
  ['before (every root)', old],
  ['after (details first)', () => readThinMetadata(io)],
  ['before (every root)', old],
  ['after (details first)', () => readThinMetadata(io)],
]) {
  reads = 0;
  const t0 = performance.now();
  const r = await fn();
  console.log(`${name}: ${(performance.now() - t0).toFixed(1)} ms, ${reads} block reads, ${r.size ?? r.devices.size} devices`);
}
closeSync(fd);
rmSync(dir, { recursive: true, force: true });
