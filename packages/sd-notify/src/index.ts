/**
 * @thinfleet/sd-notify: systemd's service notification protocol (sd_notify(3)) for the agent and
 * the coordinator. Node cannot send an AF_UNIX datagram, so one tiny Node-API addon does
 * (`src/native/notify.cc`, built by node-gyp like @thinfleet/dm-native); nothing else is native.
 *
 * Importing never throws. When the addon is not built, a send rejects with an error (code
 * `ERR_SD_NOTIFY_NOT_BUILT`) that says to run `npm run build -w @thinfleet/sd-notify`;
 * {@link addonLoadError} tells ahead of time. Without NOTIFY_SOCKET nothing is loaded at all.
 *
 * @example
 * ```ts
 * import { notifySystemd } from '@thinfleet/sd-notify';
 * await notifySystemd('READY=1'); // false when systemd did not ask (NOTIFY_SOCKET unset)
 * ```
 */
export { addonLoadError, BUILD_COMMAND } from './binding.js';
export { notifySocket, notifySystemd, SOCKET_PATH_MAX_BYTES, type NotifyEnv, type NotifyError } from './notify.js';
