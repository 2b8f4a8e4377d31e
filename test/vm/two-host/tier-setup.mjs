/**
 * What the two-host tier (cluster-tier.mjs) and bench:failover (failover-bench.mjs) share: the
 * lease and fence timing, the check for what must be installed, the run directory.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { EXIT_MISSING, prepareVm, repoRoot, VmSetupError } from '../vm.mjs';

/** Lease and fence timing of the tier: lockDelayMs = watchdog - margin + 1 s (the coordinator's rule). */
export const TIER_LOCK = { ttlSeconds: 5, marginMs: 1000, watchdogTimeoutSeconds: 3, lockDelayMs: 3000 };

/** Exits 2 with the install line when something the tier needs is not installed. */
export function requireTools(who = 'two-host tier') {
  try {
    prepareVm();
  } catch (err) {
    if (err instanceof VmSetupError) {
      console.error(`${who}: ${err.message}`);
      process.exit(EXIT_MISSING);
    }
    throw err;
  }
  const missing = [
    ['thin_check', 'thin-provisioning-tools'],
    ['thin_dump', 'thin-provisioning-tools'],
    ['etcd', 'etcd-server'],
    ['openssl', 'openssl'],
    ['busybox', 'busybox-static'],
  ].filter(([bin]) => spawnSync('sh', ['-c', `command -v ${bin} || test -x /usr/bin/${bin}`], { stdio: 'ignore' }).status !== 0);
  if (missing.length > 0) {
    console.error(`${who}: missing ${missing.map(([b]) => b).join(', ')}\ninstall with: apt-get install -y ${[...new Set(missing.map(([, p]) => p))].join(' ')}`);
    process.exit(EXIT_MISSING);
  }
}

/** A new run directory under .cache/<kind>/ in the work tree (the guests see it over 9p). */
export function newRunDir(kind) {
  const id = `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${process.pid}`;
  return join(repoRoot, '.cache', kind, id);
}
