/** Unit tier: no root, no device-mapper, SimDmClient; runs on any machine. */
import { defineConfig } from 'vitest/config';
import { workspaceAliases } from './vitest.shared.js';

export default defineConfig({
  resolve: { alias: workspaceAliases },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/*.kernel.test.ts', '**/*.integration.test.ts'],
    // THINFLEET_NO_REAL_WATCHDOG: dm-native refuses to arm a character device, so no host test can open a real watchdog.
    env: { THINFLEET_DM: 'sim', THINFLEET_NO_REAL_WATCHDOG: '1' },
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 20_000,
  },
});
