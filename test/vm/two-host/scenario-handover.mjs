/**
 * Scenario 2 of the two-host tier: a clean hand-over of a pool from A to B and back, with
 * volumes, snapshots and a chunked delete job in flight. Each take must be granted with
 * dirty=true (the other host held the pool meanwhile) and the new holder, reading the pool
 * afresh from the shared disk, must show the other host's changes: its volumes and snapshots,
 * the data it wrote (read back through the agent API), the job it was running (adopted from the
 * pool's delete mark). Ends with thin_check on the pool's metadata.
 */
import { Checks, secs } from './checks.mjs';
import { checkPoolMetadata, metadataExtent } from './pool-check.mjs';
import { waitFor } from './two-host.mjs';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

const page = (text) => {
  const data = Buffer.alloc(4096);
  data.write(text);
  return data;
};

/** Asks `taker` to activate `pool` (it queues; the holder hands over) and checks the grant. */
async function takeOver(h, checks, { pool, from, to }) {
  const before = h.grants(pool).length;
  const asked = Date.now();
  await to.client.activatePool({ name: pool, devices: [] }, { deadlineMs: 180_000 });
  const tookMs = Date.now() - asked;
  const grant = h
    .grants(pool)
    .slice(before)
    .find((g) => g.node === to.nodeId);
  checks.check(
    `${to.nodeId} takes ${pool} from ${from.nodeId} with dirty=true`,
    grant?.dirty === true && grant.previousHolder === from.nodeId && grant.previousHolderDied === false,
    grant ? `dirty ${grant.dirty}, previous holder ${grant.previousHolder} (died ${grant.previousHolderDied}), in ${secs(tookMs)}` : 'no grant logged',
  );
  return tookMs;
}

const names = (list) => list.volumes.map((v) => v.name).sort();

/** Activates v1 (on whichever host holds the pool now), checks the page at `offsetBytes` reads `text`. */
async function checkPage(h, checks, { pool, offsetBytes, text, what }) {
  await h.via.activateVolume({ pool, name: 'v1' });
  const { data } = await h.via.readVolume({ pool, name: 'v1', offsetBytes, lengthBytes: 4096 });
  const got = Buffer.from(data);
  checks.check(what, got.equals(page(text)), got.subarray(0, 24).toString('latin1').replace(/\0+$/, ''));
}

export async function runHandoverScenario(h, { a, b, pool, imageIndex }) {
  const checks = new Checks('handover: A to B and back with volumes, snapshots and a delete job in flight');
  console.log(`\n== ${checks.scenario}`);
  const device = `/dev/vd${String.fromCharCode(97 + imageIndex)}`;
  const times = {};
  try {
    await a.client.createPool({ name: pool, devices: [device] });
    await b.client.joinPool({ name: pool, devices: [device], prefer: false });

    // A's changes: a volume with data, a snapshot of it, a long chunked delete.
    await h.via.createVolume({ pool, name: 'v1', sizeBytes: 64 * MiB, activate: true });
    await h.via.writeVolume({ pool, name: 'v1', offsetBytes: 0, data: page('written on host-a') });
    await h.via.snapshotVolume({ pool, source: 'v1', name: 's1', activate: false });
    await h.via.deactivateVolume({ pool, name: 'v1' });
    await h.via.createVolume({ pool, name: 'big', sizeBytes: 8 * GiB, activate: false });
    const { jobId } = await h.via.deleteVolume({ pool, name: 'big', mode: 'DELETE_MODE_CHUNKED' });
    await waitFor('the delete job to make progress on host-a', async () => Number((await a.client.getJob({ id: jobId })).job.doneBytes) > 0, 60_000, 250);

    times.aToBMs = await takeOver(h, checks, { pool, from: a, to: b });
    const onB = await b.client.listVolumes({ pool });
    checks.check(
      "host-b's view of the pool has host-a's volumes and snapshot",
      ['big', 's1', 'v1'].every((n) => names(onB).includes(n)),
      names(onB).join(' '),
    );
    const adoptedOnB = await waitFor('host-b to run the delete job', async () => {
      const jobs = await b.client.listJobs({});
      return jobs.jobs.find((j) => j.id === jobId) ?? null;
    });
    checks.check(
      'the delete job went with the pool to host-b',
      ['JOB_STATE_RUNNING', 'JOB_STATE_SUCCEEDED'].includes(adoptedOnB.state),
      `${adoptedOnB.state} at ${Number(adoptedOnB.doneBytes) / MiB} MiB`,
    );
    await checkPage(h, checks, { pool, offsetBytes: 0, text: 'written on host-a', what: "host-b reads host-a's data in v1" });

    // B's changes: data, a new volume, a new snapshot, a snapshot deleted.
    await h.via.writeVolume({ pool, name: 'v1', offsetBytes: 4096, data: page('written on host-b') });
    await h.via.deactivateVolume({ pool, name: 'v1' });
    await h.via.createVolume({ pool, name: 'v2', sizeBytes: 64 * MiB, activate: false });
    await h.via.snapshotVolume({ pool, source: 'v1', name: 's2', activate: false });
    await h.via.deleteVolume({ pool, name: 's1', mode: 'DELETE_MODE_AUTO' });

    times.bToAMs = await takeOver(h, checks, { pool, from: b, to: a });
    const onA = await a.client.listVolumes({ pool });
    checks.check(
      "host-a's view has host-b's changes (v2 and s2 made, s1 deleted)",
      names(onA).includes('v2') && names(onA).includes('s2') && !names(onA).includes('s1'),
      names(onA).join(' '),
    );
    await checkPage(h, checks, { pool, offsetBytes: 4096, text: 'written on host-b', what: "host-a reads host-b's data in v1" });
    await h.via.deactivateVolume({ pool, name: 'v1' });
    const job = (await h.via.getJob({ id: jobId })).job;
    checks.check(
      'the delete job is back on host-a, still running or done',
      ['JOB_STATE_RUNNING', 'JOB_STATE_SUCCEEDED'].includes(job.state),
      `${job.state} at ${Number(job.doneBytes) / MiB} of ${Number(job.totalBytes) / MiB} MiB`,
    );
    if (job.state === 'JOB_STATE_RUNNING') await h.via.cancelJob({ id: jobId });

    const extent = await metadataExtent(a, pool);
    await a.client.deactivatePool({ name: pool });
    const meta = checkPoolMetadata({ image: h.images[imageIndex], extent, runDir: h.runDir, label: `${pool}-handover` });
    checks.check(
      'thin_check on the pool metadata',
      meta.thinCheckOk,
      meta.thinCheckOk ? `${meta.devices} thin devices, ${meta.mappedBlocks} mapped blocks` : meta.thinCheckOutput.replace(/\s+/g, ' ').slice(0, 300),
    );
  } catch (err) {
    checks.broken('the hand-over scenario ran to its end', err);
  }
  console.log(`  hand-over A to B ${secs(times.aToBMs)}, B to A ${secs(times.bToAMs)}`);
  return checks;
}
