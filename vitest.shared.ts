/**
 * Settings every test tier shares: workspace packages resolve to their TypeScript sources, so
 * tests never run against a stale build.
 */
import { fileURLToPath } from 'node:url';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export const workspaceAliases: Record<string, string> = {
  '@thinfleet/units': here('./packages/units/src/index.ts'),
  '@thinfleet/dm-native': here('./packages/dm-native/src/index.ts'),
  '@thinfleet/sd-notify': here('./packages/sd-notify/src/index.ts'),
  '@thinfleet/devmapper': here('./packages/devmapper/src/index.ts'),
  '@thinfleet/catalog': here('./packages/catalog/src/index.ts'),
  '@thinfleet/engine': here('./packages/engine/src/index.ts'),
  '@thinfleet/lock': here('./packages/lock/src/index.ts'),
  '@thinfleet/proto': here('./packages/proto/src/index.ts'),
  '@thinfleet/client': here('./packages/client/src/index.ts'),
  '@thinfleet/cli': here('./packages/cli/src/index.ts'),
  '@thinfleet/agent': here('./services/agent/src/index.ts'),
  '@thinfleet/coordinator': here('./services/coordinator/src/index.ts'),
};
