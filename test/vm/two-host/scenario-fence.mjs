/**
 * Scenarios 1 and 3 of the two-host tier, and bench:failover's round: the holder's agent is
 * killed (SIGKILL) or stopped (SIGSTOP), or the holder is cut from the coordinator (its relays
 * drop every connection and refuse new ones), while a writer writes into one of the pool's
 * volumes.
 * What must follow: the holder's guest is powered off by its watchdog (QMP WATCHDOG event, qemu
 * exit) before the coordinator grants the pool to the other host; the other host recovers the
 * pool; every write the holder's writer acknowledged reads back there (O_DIRECT); the other
 * host's own writes after the grant read back too; thin_check is clean and no data block belongs
 * to two volumes. Times are host times: the QMP event's, the coordinator log's (pino `time`),
 * the control channel's receive times.
 */
import { Checks, secs } from './checks.mjs';
import { checkPoolMetadata, metadataExtent } from './pool-check.mjs';
import { waitFor } from './two-host.mjs';

const MiB = 1024 * 1024;
const STRIDE_BYTES = 64 * 1024; // the pool's data block: every write maps a new block
const VOLUME_BYTES = 256 * MiB;
const WRITES_PER_SECOND = 20;

const acksOf = (host, tag) => host.channel.events.filter((e) => e.event === 'ack' && e.tag === tag);
const devicePath = (pool, volume) => `/dev/mapper/tf-${pool.replaceAll('-', '--')}-${volume.replaceAll('-', '--')}`;
const records = (acks) => acks.map(({ tag, seq, offset, sum }) => ({ tag, seq, offset, sum }));

/** Brings `pool` (on `/dev/vd<letter>` of image `imageIndex`) to `holder`, joined by `taker`. */
export async function preparePool(h, { holder, taker, pool, imageIndex }) {
  const device = `/dev/vd${String.fromCharCode(97 + imageIndex)}`;
  const known = await holder.client.listPools();
  if (known.pools.some((p) => p.name === pool)) await holder.client.activatePool({ name: pool, devices: [] });
  else {
    const takerKnows = await taker.client.listPools();
    if (takerKnows.pools.some((p) => p.name === pool)) await holder.client.joinPool({ name: pool, devices: [device], prefer: false });
    else await holder.client.createPool({ name: pool, devices: [device], dataBlockBytes: STRIDE_BYTES });
    if (!(await holder.client.getPool({ name: pool })).pool.active) await holder.client.activatePool({ name: pool, devices: [] });
  }
  if (!(await taker.client.listPools()).pools.some((p) => p.name === pool)) await taker.client.joinPool({ name: pool, devices: [device], prefer: false });
  return device;
}

/**
 * Runs one round. `holder` holds `pool` (preparePool); `fault` is SIGKILL or SIGSTOP (sent to
 * the holder's agent) or `cut` (the holder's coordinator relays).
 * @returns {Promise<{checks: Checks, times: object}>}
 */
export async function runFenceScenario(h, { title, holder, taker, pool, imageIndex, fault, round }) {
  const checks = new Checks(title);
  console.log(`\n== ${title}`);
  const wName = `w${round}`;
  const tName = `t${round}`;
  const wTag = `${holder.nodeId}-${round}`;
  const tTag = `${taker.nodeId}-${round}`;
  const times = {};

  await h.via.createVolume({ pool, name: wName, sizeBytes: VOLUME_BYTES, activate: true });
  await holder.channel.call('startWriter', { device: devicePath(pool, wName), tag: wTag, slots: VOLUME_BYTES / STRIDE_BYTES, strideBytes: STRIDE_BYTES, perSecond: WRITES_PER_SECOND });
  await waitFor(`${holder.nodeId}'s writer to have 30 writes acknowledged`, () => acksOf(holder, wTag).length >= 30, 60_000);
  const grantsBefore = h.grants(pool).length;

  times.killAtMs = Date.now();
  if (fault === 'cut') for (const relay of holder.relays) relay.cut();
  else await holder.channel.call('signalAgent', { signal: fault });
  times.killAnsweredAtMs = Date.now();
  const what = fault === 'cut' ? `${holder.nodeId} cut from the coordinator` : `${fault} to ${holder.nodeId}'s agent`;
  console.log(`  ${what}; ${acksOf(holder, wTag).length} writes acknowledged so far`);

  const grant = await waitFor(
    `${taker.nodeId} to be granted ${pool}`,
    () =>
      h
        .grants(pool)
        .slice(grantsBefore)
        .find((g) => g.node === taker.nodeId),
    90_000,
  );
  times.grantAtMs = grant.time;
  const ready = await waitFor(`${taker.nodeId} to serve ${pool}`, () => h.readies(pool).find((r) => r.node === taker.nodeId && r.time >= grant.time), 90_000);
  times.readyAtMs = ready.time;
  // The holder's guest has had every chance to be off by now; wait a little for qemu's exit
  // if it is on its way, but not for a guest that nothing stops.
  await Promise.race([holder.vm.done, new Promise((r) => setTimeout(r, 3000))]);
  const watchdogEvent = holder.vm.qmp.first('WATCHDOG');
  times.watchdogAtMs = watchdogEvent?.qemuTimeMs;
  times.qemuExitAtMs = holder.vm.exitedAtMs();
  console.log(
    `  after the ${fault}: watchdog ${secs(times.watchdogAtMs - times.killAtMs)}, qemu exit ${secs(times.qemuExitAtMs - times.killAtMs)}, ` +
      `grant to ${taker.nodeId} ${secs(times.grantAtMs - times.killAtMs)}, served ${secs(times.readyAtMs - times.killAtMs)}`,
  );

  checks.check(
    `${holder.nodeId}'s guest got a WATCHDOG event (action poweroff)`,
    watchdogEvent?.data?.action === 'poweroff',
    watchdogEvent ? JSON.stringify(watchdogEvent.data) : 'no WATCHDOG event: nothing armed the watchdog, or something kept petting it',
  );
  checks.check(
    `${holder.nodeId}'s watchdog fired before ${pool} was granted to ${taker.nodeId}`,
    times.watchdogAtMs !== undefined && times.watchdogAtMs < times.grantAtMs,
    times.watchdogAtMs === undefined ? `granted ${secs(times.grantAtMs - times.killAtMs)} after the ${fault}, no watchdog` : `${secs(times.grantAtMs - times.watchdogAtMs)} before the grant`,
  );
  checks.check(
    `${holder.nodeId}'s qemu had exited before the grant`,
    times.qemuExitAtMs !== undefined && times.qemuExitAtMs < times.grantAtMs,
    times.qemuExitAtMs === undefined ? `still running ${secs(Date.now() - times.grantAtMs)} after the grant` : `${secs(times.grantAtMs - times.qemuExitAtMs)} before the grant`,
  );
  checks.check(
    `the grant names ${holder.nodeId} as a holder that died`,
    grant.previousHolder === holder.nodeId && grant.previousHolderDied === true,
    `previousHolder ${grant.previousHolder}, died ${grant.previousHolderDied}`,
  );

  // The taker writes into a volume of its own: if the old holder's kernel still ran the pool,
  // both would hand out the same free blocks.
  try {
    await h.via.createVolume({ pool, name: tName, sizeBytes: VOLUME_BYTES, activate: true });
    await taker.channel.call('startWriter', { device: devicePath(pool, tName), tag: tTag, slots: VOLUME_BYTES / STRIDE_BYTES, strideBytes: STRIDE_BYTES, perSecond: WRITES_PER_SECOND });
    await waitFor(`${taker.nodeId}'s writer to have 40 writes acknowledged`, () => acksOf(taker, tTag).length >= 40, 60_000);
    await taker.channel.call('stopWriter');
  } catch (err) {
    checks.broken(`${taker.nodeId} writes into a new volume after the grant`, err);
  }

  const late = acksOf(holder, wTag).filter((a) => a.atMs > times.grantAtMs);
  checks.check(`no write of ${holder.nodeId}'s writer acknowledged after the grant`, late.length === 0, `${late.length} of ${acksOf(holder, wTag).length} acknowledged after it`);

  // Stop a holder that nothing stopped before its pool's metadata is read.
  if (holder.vm.exitedAtMs() === undefined) {
    console.log(`  ${holder.nodeId}'s guest is still running: stopping it before the pool is checked`);
    holder.vm.kill();
    await holder.vm.done;
  }

  try {
    await h.via.activateVolume({ pool, name: wName });
    const acked = records(acksOf(holder, wTag));
    const back = await taker.channel.call('readBack', { device: devicePath(pool, wName), records: acked }, 300_000);
    checks.check(
      `every write ${holder.nodeId} acknowledged reads back on ${taker.nodeId} (O_DIRECT)`,
      back.mismatchCount === 0,
      `${back.checked - back.mismatchCount} of ${back.checked} intact${back.mismatchCount ? `; first: ${JSON.stringify(back.mismatches.slice(0, 3))}` : ''}`,
    );
    const own = records(acksOf(taker, tTag));
    const backOwn = await taker.channel.call('readBack', { device: devicePath(pool, tName), records: own }, 300_000);
    checks.check(
      `every write ${taker.nodeId} acknowledged reads back`,
      backOwn.checked > 0 && backOwn.mismatchCount === 0,
      `${backOwn.checked - backOwn.mismatchCount} of ${backOwn.checked} intact`,
    );
    await h.via.deactivateVolume({ pool, name: wName });
    await h.via.deactivateVolume({ pool, name: tName });
  } catch (err) {
    checks.broken('the acknowledged writes read back on the new holder', err);
  }

  try {
    const extent = await metadataExtent(taker, pool);
    await taker.client.deactivatePool({ name: pool });
    const meta = checkPoolMetadata({ image: h.images[imageIndex], extent, runDir: h.runDir, label: `${pool}-${round}` });
    checks.check(
      'thin_check on the pool metadata',
      meta.thinCheckOk,
      meta.thinCheckOk ? `${meta.devices} thin devices, ${meta.mappedBlocks} mapped blocks` : meta.thinCheckOutput.replace(/\s+/g, ' ').slice(0, 300),
    );
    checks.check(
      'no data block belongs to two thin devices',
      meta.dumpError === undefined && meta.shared.length === 0,
      meta.dumpError !== undefined
        ? `thin_dump cannot read the metadata: ${meta.dumpError.slice(0, 200)}`
        : `${meta.shared.length} shared${meta.shared.length ? `, e.g. ${JSON.stringify(meta.shared.slice(0, 3))}` : ''}`,
    );
  } catch (err) {
    checks.broken('thin_check and block ownership', err);
  }
  return { checks, times };
}
