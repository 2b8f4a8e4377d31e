/** Unit tier: no root, no device-mapper, SimDmClient; runs on any machine. */
import { defineConfig } from 'vitest/config';
import { workspaceAliases } from './vitest.shared.js';

export default defineConfig({
  resolve: { alias: workspaceAliases },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/*.kernel.test.ts', '**/*.integration.test.ts'],
    env: { THINFLEET_DM: 'sim' },
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 20_000,
  },
});
