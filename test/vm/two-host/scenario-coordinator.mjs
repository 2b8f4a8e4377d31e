/**
 * Scenario 4 of the two-host tier: the coordinator is killed (SIGKILL) while both hosts hold a
 * pool and write into it. A second coordinator on the same etcd, started beforehand, takes over:
 * each agent resumes its session there within its lease, no pool is fenced (no fence in the
 * agents' logs, the writers never stall for a lease's length, the pools are taken again only
 * by their holders, clean), calls routed through the second coordinator work, every write
 * acknowledged reads back, thin_check is clean and no data block belongs to two volumes.
 *
 * With agents that know several coordinator endpoints (`cluster.coordinators`), each agent has
 * both (192.0.2.100:9750 -> the first, :9752 -> the second) and moves by itself; with a build
 * that knows only one, the guests' relay behind their one endpoint is pointed at the second
 * coordinator once the first is dead (a coordinator replaced behind one address).
 */
import { AgentClient } from '@thinfleet/client';
import { Checks, secs } from './checks.mjs';
import { checkPoolMetadata, metadataExtent } from './pool-check.mjs';
import { waitFor } from './two-host.mjs';

const MiB = 1024 * 1024;
const STRIDE_BYTES = 64 * 1024;
const VOLUME_BYTES = 128 * MiB;

const acksOf = (host, tag) => host.channel.events.filter((e) => e.event === 'ack' && e.tag === tag);
const records = (acks) => acks.map(({ tag, seq, offset, sum }) => ({ tag, seq, offset, sum }));
const fenceLine = (l) => /fenc|session lost|lock lost/i.test(String(l.msg));

/** The longest gap between consecutive acknowledged writes in [fromMs, toMs]. */
function longestGapMs(acks, fromMs, toMs) {
  const times = [fromMs, ...acks.map((a) => a.atMs).filter((t) => t > fromMs && t < toMs), toMs];
  let gap = 0;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i] - times[i - 1]);
  return gap;
}

/** After the switch: `s`'s writes read back on its host; thin_check and block ownership of its pool. */
async function verifySide(h, checks, s) {
  try {
    await s.host.channel.call('stopWriter');
    const back = await s.host.channel.call('readBack', { device: `/dev/mapper/tf-${s.pool}-cw`, records: records(acksOf(s.host, s.tag)) }, 300_000);
    checks.check(`every write ${s.host.nodeId} acknowledged reads back`, back.checked > 0 && back.mismatchCount === 0, `${back.checked - back.mismatchCount} of ${back.checked} intact`);
    await h.via.deactivateVolume({ pool: s.pool, name: 'cw' });
    const extent = await metadataExtent(s.host, s.pool);
    await s.host.client.deactivatePool({ name: s.pool });
    const meta = checkPoolMetadata({ image: h.images[s.imageIndex], extent, runDir: h.runDir, label: `${s.pool}-coordinator` });
    checks.check(
      `thin_check on ${s.pool}, no block owned twice`,
      meta.thinCheckOk && meta.dumpError === undefined && meta.shared.length === 0,
      meta.thinCheckOk ? `${meta.mappedBlocks} mapped blocks, ${meta.shared.length} shared` : meta.thinCheckOutput.replace(/\s+/g, ' ').slice(0, 300),
    );
  } catch (err) {
    checks.broken(`${s.host.nodeId}'s writes and ${s.pool}'s metadata after the switch`, err);
  }
}

export async function runCoordinatorScenario(h, { a, b, imageIndexes }) {
  const checks = new Checks('coordinator: the coordinator killed while both hosts hold pools and write');
  console.log(`\n== ${checks.scenario}`);
  const sides = [
    { host: a, pool: 'ca', imageIndex: imageIndexes[0] },
    { host: b, pool: 'cb', imageIndex: imageIndexes[1] },
  ];
  try {
    for (const s of sides) {
      s.device = `/dev/vd${String.fromCharCode(97 + s.imageIndex)}`;
      s.tag = `${s.host.nodeId}-c`;
      await s.host.client.createPool({ name: s.pool, devices: [s.device], dataBlockBytes: STRIDE_BYTES });
      await h.via.createVolume({ pool: s.pool, name: 'cw', sizeBytes: VOLUME_BYTES, activate: true });
      await s.host.channel.call('startWriter', { device: `/dev/mapper/tf-${s.pool}-cw`, tag: s.tag, slots: VOLUME_BYTES / STRIDE_BYTES, strideBytes: STRIDE_BYTES, perSecond: 10 });
    }
    const first = h.cluster.coordinator;
    const second = await h.cluster.startCoordinator('coord-2');
    if (h.multiEndpoint) for (const s of sides) s.host.relays[1].upstreamPort = second.port;
    await waitFor('both writers to have 20 writes acknowledged', () => sides.every((s) => acksOf(s.host, s.tag).length >= 20), 60_000);

    const killAtMs = Date.now();
    first.kill('SIGKILL');
    await first.exited;
    if (!h.multiEndpoint) for (const s of sides) s.host.relays[0].upstreamPort = second.port;
    console.log(`  coordinator coord-1 killed; agents ${h.multiEndpoint ? 'have coord-2 as their second endpoint' : 'reach coord-2 behind the same endpoint'}`);

    for (const s of sides) {
      const open = await waitFor(
        `${s.host.nodeId} to resume its session at coord-2`,
        () => second.log.find((l) => l.msg === 'agent session open' && l.node === s.host.nodeId) ?? null,
        30_000,
      );
      checks.check(`${s.host.nodeId} resumed its session at coord-2`, open.resumed === true, `resumed ${open.resumed}, ${secs(open.time - killAtMs)} after the kill`);
    }
    // Two leases' worth: any deadline that was going to pass has passed.
    const watchedUntilMs = killAtMs + 2 * h.lock.ttlSeconds * 1000;
    await waitFor('two TTLs after the kill', () => Date.now() > watchedUntilMs, 30_000, 250);
    h.via.close();
    h.via = await AgentClient.connectCoordinator(second.address, { deadlineMs: 60_000 });

    for (const s of sides) {
      const fences = s.host.agentLog.filter((l) => l.atMs > killAtMs && fenceLine(l));
      checks.check(
        `${s.host.nodeId} fenced nothing`,
        fences.length === 0,
        fences.length
          ? fences
              .map((l) => l.msg)
              .join('; ')
              .slice(0, 200)
          : 'no fence or lost session in its log',
      );
      const gapMs = longestGapMs(acksOf(s.host, s.tag), killAtMs, watchedUntilMs);
      checks.check(`${s.host.nodeId}'s writer kept writing through the switch`, gapMs < h.lock.ttlSeconds * 1000, `longest pause ${secs(gapMs)}`);
      const foreign = h.grants(s.pool).filter((g) => g.time > killAtMs && (g.node !== s.host.nodeId || g.dirty !== false));
      checks.check(
        `${s.pool} was taken again only by ${s.host.nodeId}, clean`,
        foreign.length === 0,
        foreign.length
          ? JSON.stringify(foreign.map((g) => ({ node: g.node, dirty: g.dirty })))
          : `${h.grants(s.pool).filter((g) => g.time > killAtMs).length} grant(s) after the kill, all its own`,
      );
      const snap = await h.via.snapshotVolume({ pool: s.pool, source: 'cw', name: 'after', activate: false }).then(
        () => 'made',
        (err) => err,
      );
      checks.check(`a change to ${s.pool} routed through coord-2 works`, snap === 'made', snap === 'made' ? 'snapshot made' : String(snap.message).slice(0, 200));
      if (snap === 'made') await h.via.deleteVolume({ pool: s.pool, name: 'after', mode: 'DELETE_MODE_AUTO' });
    }

    for (const s of sides) await verifySide(h, checks, s);
  } catch (err) {
    checks.broken('the coordinator scenario ran to its end', err);
  }
  return checks;
}
