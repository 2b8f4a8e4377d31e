/**
 * Loads build/Release/sd_notify.node on first use. Importing this package never throws: when the
 * addon is missing or cannot be loaded, every send rejects with an error (code
 * `ERR_SD_NOTIFY_NOT_BUILT`) that says how to build it.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The addon's one function, as C++ registers it: arguments already validated. */
export interface NotifyBinding {
  notifySocket(socketPath: string, message: string): Promise<void>;
}

/** Where the addon is, relative to this file (src/ and dist/ both sit one level down). */
const ADDON_URL = new URL('../build/Release/sd_notify.node', import.meta.url);

/** The command that builds the addon. */
export const BUILD_COMMAND = 'npm run build -w @thinfleet/sd-notify';

// The lazy load below repeats dm-native's binding.ts on purpose (duplicates pairs them): this package stays independent so the coordinator never loads dm-native.
let loaded: NotifyBinding | undefined;
let loadFailure: Error | null | undefined; // undefined: not tried yet

function tryLoad(): void {
  if (loadFailure !== undefined) return;
  try {
    loaded = createRequire(import.meta.url)(fileURLToPath(ADDON_URL)) as NotifyBinding;
    loadFailure = null;
  } catch (cause) {
    loadFailure = notBuiltError(cause);
  }
}

function notBuiltError(cause: unknown): Error {
  const detail = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
  const err = new Error(`@thinfleet/sd-notify: the native addon is not built or cannot be loaded (${fileURLToPath(ADDON_URL)}: ${detail}); build it with \`${BUILD_COMMAND}\``, { cause });
  return Object.assign(err, { code: 'ERR_SD_NOTIFY_NOT_BUILT' });
}

/** Why the addon could not be loaded, or null when it is loaded. Tries to load it. */
export function addonLoadError(): Error | null {
  tryLoad();
  return loadFailure ?? null;
}

/** The loaded addon; throws (inside async callers: rejects) a fresh not-built error otherwise. */
export function native(): NotifyBinding {
  tryLoad();
  if (loaded === undefined) throw notBuiltError(loadFailure?.cause);
  return loaded;
}
