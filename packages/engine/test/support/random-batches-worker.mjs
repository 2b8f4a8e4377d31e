#!/usr/bin/env node
/**
 * The process the kernel-tier crash test (engine-crash.kernel.test.ts) kills with SIGKILL.
 *
 *   node random-batches-worker.mjs '<json config>'
 *
 * config: {
 *   pool: string, devices: string[],        the pool to activate (recovery runs as usual)
 *   seed: number,                           seeds this run's choices
 *   seedBase: number,                       content seeds this run writes are seedBase + 1, 2, ...
 *   contents: {[volume]: number},           what each volume holds now (a pattern seed, 0 = zeroes)
 *   pauseMs?: number,                       sleep between steps (never inside a step)
 *   maxVolumes?: number, checkBytes?: number,
 *   catalogCheckpointEveryRecords?: number  passed to the Engine (small: crashes land in checkpoints)
 *   slowStepMs?: number                     sleep before every dm call and block write that changes
 *                                           something: spreads a transaction's steps out in time, so a
 *                                           kill at a random moment lands between any two of them
 * }
 *
 * It runs against the built packages (dist), with the real device-mapper, and loops forever
 * doing random steps: batches (creates, snapshots of active and inactive volumes, deletes,
 * renames, grows, reverts, revisions with rotation, pins), pattern writes, and volume
 * (de)activations. Each volume's expected content is a seed: the first `checkBytes` bytes hold
 * pattern(seed), or zeroes for 0. It tells the parent, on stdout, one JSON object per line,
 * written synchronously (stdout is a pipe), what it is about to do before it does it:
 *
 *   {"t":"ready","tx":T,"recovery":outcome}      activated; T is the catalog's committed tx
 *   {"t":"begin","tx":T,"before":F,"items":[...],"after":{name:seed}}   about to run this batch;
 *                                                T is the committed tx and F the committed volumes'
 *                                                fingerprint before it (catalog-fingerprint.mjs);
 *                                                `after` is every volume's content once it commits
 *   {"t":"commit","tx":U}                        the batch returned; U is T (a folded batch,
 *                                                which deletes no thin id) or T+1
 *   {"t":"write","volume":v,"seed":s,"old":o}    about to write pattern(s) over v
 *   {"t":"wrote","volume":v,"seed":s}            the write returned (O_DIRECT|O_DSYNC)
 *   {"t":"activate"|"deactivate","volume":v}     (de)activating, not a transaction
 *
 * After a kill the parent knows: the catalog's committed volumes either still have
 * fingerprint F (state before the announced batch) or not (`after`), and its committed tx is T
 * or T+1; a write announced and not confirmed left each sector of
 * that volume either old or new. Anything unexpected (a refused batch, a model mismatch) is
 * printed as {"t":"error",...} and exits with status 3, so a test sees it as a worker that
 * died on its own instead of being killed.
 */
import { Engine } from '@thinfleet/engine';
import { NativeBlockClient, NativeDmClient } from '@thinfleet/devmapper';
import { pattern, rng } from '../../../../test/support/seeded.mjs';
import { volumesFingerprint } from './catalog-fingerprint.mjs';

const MiB = 1024 * 1024;
const cfg = JSON.parse(process.argv[2] ?? '{}');
const checkBytes = cfg.checkBytes ?? 64 * 1024;
const maxVolumes = cfg.maxVolumes ?? 14;
const minVolumes = 4;
const maxSizeBytes = 16 * MiB;

/** One line to the parent. Writes to a pipe are synchronous on Linux, so it is out before the next step. */
const say = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);

function fail(message, extra = {}) {
  say({ t: 'error', message, ...extra });
  process.stderr.write(`random-batches-worker: ${message}\n`);
  process.exit(3);
}

const random = rng(cfg.seed ?? 1);
const below = (n) => Math.floor(random() * n);
const pick = (list) => (list.length === 0 ? undefined : list[below(list.length)]);
const chance = (p) => random() < p;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let nextSeed = 0;
const freshSeed = () => cfg.seedBase + ++nextSeed;
let nextName = 0;
const freshName = (prefix) => `${prefix}${cfg.seedBase / 1000}x${++nextName}`;

/**
 * `client` with a sleep of `ms` before each call named in `methods`. The calls themselves are
 * the real ones, unchanged; only the time between them grows.
 */
function slowed(client, methods, ms) {
  if (!ms) return client;
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      if (!methods.includes(prop)) return value.bind(target);
      return async (...args) => {
        await sleep(ms);
        return value.apply(target, args);
      };
    },
  });
}

const dm = slowed(new NativeDmClient(), ['create', 'remove', 'suspend', 'resume', 'load', 'clear', 'message'], cfg.slowStepMs);
const block = slowed(new NativeBlockClient(), ['write', 'discard', 'zeroOut'], cfg.slowStepMs);
const engine = new Engine({
  dm,
  block,
  ...(cfg.catalogCheckpointEveryRecords === undefined ? {} : { catalogCheckpointEveryRecords: cfg.catalogCheckpointEveryRecords }),
});
const pool = await engine.activatePool(cfg.pool, cfg.devices);

/** Expected content per volume name. */
const contents = new Map(Object.entries(cfg.contents ?? {}));
/** Active volumes, by name (refreshed from the engine after every step). */
let active = new Set();

async function refresh(label) {
  const list = await pool.list();
  const names = list.map((v) => v.name).sort();
  const expected = [...contents.keys()].sort();
  if (JSON.stringify(names) !== JSON.stringify(expected)) fail(`${label}: the pool's volumes are not the ones this worker expects`, { names, expected });
  active = new Set(list.filter((v) => v.active).map((v) => v.name));
}

await refresh('at start');
say({ t: 'ready', tx: pool.core.catalog.state.committedTx, recovery: pool.lastRecovery?.outcome ?? null });

/** The committed catalog record of a volume, by name. */
function record(name) {
  return Object.values(pool.core.catalog.state.volumes).find((v) => v.name === name);
}

/**
 * True when committed volume `candidate` descends from committed volume `ancestor` through
 * origin links, none of them through a volume in `gone` (deleting a volume cuts its children's
 * origin link, so a delete earlier in the batch can break the descent).
 */
function descends(candidate, ancestor, gone) {
  const volumes = pool.core.catalog.state.volumes;
  const seen = new Set();
  let at = candidate;
  while (at?.originUuid != null && !seen.has(at.uuid)) {
    seen.add(at.uuid);
    if (at.originUuid === ancestor.uuid) return true;
    at = volumes[at.originUuid];
    if (at === undefined || gone.has(at.uuid)) return false;
  }
  return false;
}

/**
 * A random batch of 1-4 items and the contents once it commits. Items apply in order, like
 * the planner's. Volumes created in the batch may be snapshotted later in it; rename, grow,
 * revert, revision, pin and delete only take volumes that existed before the batch and that
 * no earlier item of the batch touched, so the committed catalog describes them exactly.
 */
function randomBatch() {
  const after = new Map(contents);
  const touched = new Set();
  /** Uuids of committed volumes this batch deletes (items and revision rotation). */
  const gone = new Set();
  const items = [];
  const untouched = () => [...after.keys()].filter((n) => !touched.has(n) && contents.has(n));
  const wanted = 1 + below(4);
  for (let tries = 0; items.length < wanted && tries < 40; tries++) {
    const item = `i${items.length}`;
    const roll = random();
    const crowded = after.size >= maxVolumes;
    const sparse = after.size <= minVolumes;
    if (roll < 0.16 && !crowded) {
      const volume = freshName('n');
      const sizeBytes = (1 + below(4)) * MiB;
      const activate = chance(0.5);
      items.push({ item, op: 'create', volume, sizeBytes, activate });
      after.set(volume, 0);
      touched.add(volume);
    } else if (roll < 0.36 && !crowded) {
      // Snapshot of anything present at this point: active, inactive, or made earlier in this batch.
      const origin = pick([...after.keys()]);
      if (origin === undefined) continue;
      const volume = freshName('s');
      const activate = chance(0.4);
      items.push({ item, op: 'snapshot', volume, origin, activate });
      after.set(volume, after.get(origin));
      touched.add(volume);
    } else if (roll < 0.5 && !sparse) {
      const volume = pick(untouched());
      if (volume === undefined) continue;
      items.push({ item, op: 'delete', volume });
      gone.add(record(volume).uuid);
      after.delete(volume);
      touched.add(volume);
    } else if (roll < 0.6) {
      const volume = pick(untouched().filter((n) => !active.has(n)));
      if (volume === undefined) continue;
      const newName = freshName('r');
      items.push({ item, op: 'rename', volume, newName });
      after.set(newName, after.get(volume));
      after.delete(volume);
      touched.add(volume).add(newName);
    } else if (roll < 0.7) {
      const volume = pick(untouched().filter((n) => record(n).sizeBytes < maxSizeBytes));
      if (volume === undefined) continue;
      items.push({ item, op: 'grow', volume, sizeBytes: record(volume).sizeBytes + MiB });
      touched.add(volume);
    } else if (roll < 0.8) {
      const choices = [];
      for (const volume of untouched().filter((n) => !active.has(n))) {
        for (const snapshot of untouched()) if (snapshot !== volume && descends(record(snapshot), record(volume), gone)) choices.push([volume, snapshot]);
      }
      const choice = pick(choices);
      if (choice === undefined) continue;
      const [volume, snapshot] = choice;
      items.push({ item, op: 'revert', volume, snapshot });
      after.set(volume, after.get(snapshot));
      touched.add(volume).add(snapshot);
    } else if (roll < 0.93) {
      const choices = untouched().filter((n) => {
        if (n.includes('.rev')) return false;
        const v = record(n);
        const revisions = Object.values(pool.core.catalog.state.volumes).filter((r) => r.revisionOf === v.uuid);
        return revisions.every((r) => after.has(r.name) && !touched.has(r.name)) && !after.has(`${n}.rev${v.revisionsMade + 1}`);
      });
      const volume = pick(choices);
      if (volume === undefined || (crowded && !chance(0.3))) continue;
      const v = record(volume);
      const keep = 1 + below(3);
      const name = `${volume}.rev${v.revisionsMade + 1}`;
      items.push({ item, op: 'revision', volume, keep });
      after.set(name, after.get(volume));
      touched.add(volume).add(name);
      const revisions = Object.values(pool.core.catalog.state.volumes).filter((r) => r.revisionOf === v.uuid);
      for (const r of revisions) touched.add(r.name);
      // The new revision counts as one of the `keep`; older unpinned ones beyond that go.
      const unpinned = revisions.filter((r) => !r.pinned).sort((a, b) => b.revision - a.revision);
      for (const old of unpinned.slice(keep - 1)) {
        after.delete(old.name);
        gone.add(old.uuid);
      }
    } else {
      const volume = pick(untouched().filter((n) => record(n).revisionOf !== null));
      if (volume === undefined) continue;
      items.push({ item, op: 'pin', volume, pinned: !record(volume).pinned });
      touched.add(volume);
    }
  }
  return { items, after };
}

async function runBatch() {
  const { items, after } = randomBatch();
  if (items.length === 0) return;
  const state = pool.core.catalog.state;
  const tx = state.committedTx;
  say({ t: 'begin', tx, before: volumesFingerprint(state.volumes), items, after: Object.fromEntries(after) });
  let result;
  try {
    result = await pool.batch(items);
  } catch (err) {
    fail(`batch for tx ${tx} failed: ${err?.stack ?? err}`, { items });
  }
  if (result.tx !== tx && result.tx !== String(BigInt(tx) + 1n)) fail(`batch committed tx ${result.tx}, expected ${tx} or the next`, { items });
  if (result.deferredErrors.length > 0) {
    fail(`batch for tx ${tx} had deferred errors: ${result.deferredErrors.map((e) => `${e.volume}: ${e.error.message}`).join('; ')}`);
  }
  contents.clear();
  for (const [name, seed] of after) contents.set(name, seed);
  say({ t: 'commit', tx: result.tx });
  await refresh(`after tx ${result.tx}`);
}

async function runWrite() {
  const volume = pick([...contents.keys()]);
  if (volume === undefined) return;
  let devicePath;
  if (!active.has(volume)) {
    say({ t: 'activate', volume });
    devicePath = (await pool.activateVolume(volume)).devicePath;
  } else {
    devicePath = (await pool.list()).find((v) => v.name === volume).devicePath;
  }
  const seed = freshSeed();
  say({ t: 'write', volume, seed, old: contents.get(volume) });
  await block.write(devicePath, 0, pattern(seed, checkBytes));
  contents.set(volume, seed);
  say({ t: 'wrote', volume, seed });
  if (chance(0.4)) {
    say({ t: 'deactivate', volume });
    await pool.deactivateVolume(volume);
  }
  await refresh(`after writing ${volume}`);
}

async function runToggle() {
  const volume = pick([...contents.keys()]);
  if (volume === undefined) return;
  if (active.has(volume)) {
    say({ t: 'deactivate', volume });
    await pool.deactivateVolume(volume);
  } else {
    say({ t: 'activate', volume });
    await pool.activateVolume(volume);
  }
  await refresh(`after toggling ${volume}`);
}

for (;;) {
  if (cfg.pauseMs) await sleep(cfg.pauseMs);
  const roll = random();
  try {
    if (roll < 0.65) await runBatch();
    else if (roll < 0.9) await runWrite();
    else await runToggle();
  } catch (err) {
    fail(`step failed: ${err?.stack ?? err}`);
  }
}
