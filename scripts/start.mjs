#!/usr/bin/env node
// The README's main job, for now: reports the device-mapper this host offers thinfleet.
// Later issues make it start the local agent and coordinator.
import { NativeDmClient } from '@thinfleet/devmapper';
import { hasDeviceMapper } from '@thinfleet/dm-native';

if (!hasDeviceMapper()) {
  console.log('thinfleet: this host has no device-mapper (/dev/mapper/control is missing).');
  console.log('thinfleet: volumes would run on the SIMULATED device-mapper here; load dm_thin_pool as root for real ones.');
  process.exit(0);
}
const dm = new NativeDmClient();
const version = await dm.version();
const targets = await dm.targetVersions();
const devices = await dm.list();
console.log(`thinfleet: device-mapper ioctl interface ${version.major}.${version.minor}.${version.patch}`);
console.log(`thinfleet: targets: ${targets.map((t) => `${t.name} ${t.version.join('.')}`).join(', ')}`);
if (!targets.some((t) => t.name === 'thin-pool')) console.log('thinfleet: thin-pool target not loaded yet (modprobe dm_thin_pool)');
console.log(`thinfleet: ${devices.length} device-mapper device(s): ${devices.map((d) => d.name).join(', ') || 'none'}`);
