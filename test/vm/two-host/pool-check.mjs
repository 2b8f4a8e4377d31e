/**
 * The after-the-fact checks of a pool on a shared image, on the host: the pool's kernel metadata
 * is copied out of the image (where the holder's `_tmeta` table says it lies) once the pool is
 * deactivated, then `thin_check` must pass and `thin_dump` must not show one data block mapped
 * by two thin devices. A split brain passes thin_check (whichever kernel committed last wins the
 * metadata) yet leaves blocks that two volumes own, and acknowledged writes that read back as
 * zeros: so the pattern log and this block-ownership check go with it.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where `_tmeta` of `pool` lies, from `dmsetup table` run in the guest that has the pool active. */
export async function metadataExtent(host, pool) {
  const dmName = `tf-${pool.replaceAll('-', '--')}-_tmeta`;
  const r = await host.channel.call('exec', { argv: ['dmsetup', 'table', dmName] });
  if (r.code !== 0) throw new Error(`dmsetup table ${dmName} on ${host.name}: ${r.stderr.trim()}`);
  const [, lengthSectors, target, , offsetSectors] = r.stdout.trim().split(/\s+/);
  if (target !== 'linear') throw new Error(`${dmName} on ${host.name} is not linear: ${r.stdout.trim()}`);
  return { offsetBytes: Number(offsetSectors) * 512, lengthBytes: Number(lengthSectors) * 512 };
}

/** Data blocks mapped by more than one thin device in thin_dump's XML: `[{block, devices}]`. */
export function sharedDataBlocks(xml) {
  const owners = new Map();
  let dev;
  const own = (block) => {
    const set = owners.get(block) ?? new Set();
    set.add(dev);
    owners.set(block, set);
  };
  for (const m of xml.matchAll(/<(device|range_mapping|single_mapping)\b([^>]*)>/g)) {
    const attr = (name) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(m[2])?.[1]);
    if (m[1] === 'device') dev = attr('dev_id');
    else if (m[1] === 'single_mapping') own(attr('data_block'));
    else for (let i = 0; i < attr('length'); i++) own(attr('data_begin') + i);
  }
  return [...owners].filter(([, set]) => set.size > 1).map(([block, set]) => ({ block, devices: [...set] }));
}

/**
 * Copies the metadata extent of `image` to `<runDir>/<label>.meta`, runs thin_check and
 * thin_dump on it. The pool must be inactive everywhere (its metadata committed).
 * @returns {{file: string, thinCheckOk: boolean, thinCheckOutput: string, dumpError: string|undefined, devices: number, mappedBlocks: number, shared: Array<{block: number, devices: number[]}>}}
 *   `dumpError`: thin_dump's complaint when it could not read the metadata (then no mappings)
 */
export function checkPoolMetadata({ image, extent, runDir, label }) {
  const bytes = Buffer.alloc(extent.lengthBytes);
  const fd = openSync(image, 'r');
  try {
    readSync(fd, bytes, 0, bytes.length, extent.offsetBytes);
  } finally {
    closeSync(fd);
  }
  const file = join(runDir, `${label}.meta`);
  writeFileSync(file, bytes);
  const check = spawnSync('thin_check', [file], { encoding: 'utf8' });
  const dump = spawnSync('thin_dump', [file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (dump.status !== 0) {
    return {
      file,
      thinCheckOk: check.status === 0,
      thinCheckOutput: `${check.stdout}${check.stderr}`.trim(),
      dumpError: dump.stderr.trim() || `exit ${dump.status}`,
      devices: 0,
      mappedBlocks: 0,
      shared: [],
    };
  }
  const devices = [...dump.stdout.matchAll(/<device\b/g)].length;
  const mappedBlocks = [...dump.stdout.matchAll(/mapped_blocks="(\d+)"/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  return {
    file,
    thinCheckOk: check.status === 0,
    thinCheckOutput: `${check.stdout}${check.stderr}`.trim(),
    dumpError: undefined,
    devices,
    mappedBlocks,
    shared: sharedDataBlocks(dump.stdout),
  };
}
