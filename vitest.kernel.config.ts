/**
 * Kernel tier: the conformance suites and kernel tests against NativeDmClient on a real
 * device-mapper. Run by test/vm/kernel-tier.mjs inside the qemu guest (or on a Linux host as
 * root with THINFLEET_KERNEL_TIER=host). One kernel, so test files run one at a time.
 */
import { defineConfig } from 'vitest/config';
import { workspaceAliases } from './vitest.shared.js';

export default defineConfig({
  resolve: { alias: workspaceAliases },
  test: {
    include: ['packages/*/test/**/*.conformance.test.ts', 'packages/*/test/**/*.kernel.test.ts', 'services/*/test/**/*.kernel.test.ts'],
    exclude: ['**/node_modules/**'],
    env: { THINFLEET_DM: 'native' },
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
