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
    // Hang guards, not timing goals: under TCG a test's wall time follows the host's load (a
    // CLI test that takes 40 s on a quiet host took 125 s beside three busy processes).
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
