/**
 * Integration tier: real etcd spawned on 127.0.0.1, the coordinator and several agents as
 * separate processes (built binaries, simulated device-mapper), faults injected by signals.
 * One file at a time: each runs a whole cluster on a 2-core machine.
 */
import { defineConfig } from 'vitest/config';
import { workspaceAliases } from './vitest.shared.js';

export default defineConfig({
  resolve: { alias: workspaceAliases },
  test: {
    include: ['packages/*/test/**/*.integration.test.ts', 'services/*/test/**/*.integration.test.ts', 'test/**/*.integration.test.ts'],
    exclude: ['**/node_modules/**'],
    // THINFLEET_NO_REAL_WATCHDOG: dm-native refuses to arm a character device, so no host test can open a real watchdog.
    env: { THINFLEET_DM: 'sim', THINFLEET_NO_REAL_WATCHDOG: '1' },
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
