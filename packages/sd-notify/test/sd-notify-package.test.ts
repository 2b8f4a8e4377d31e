/**
 * The package on its own: its addon is built by the workspace build and loads; without
 * NOTIFY_SOCKET nothing is sent; arguments are checked before the addon sees them. The datagrams
 * themselves are tested against a real receiver in services/agent/test/sd-notify.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { addonLoadError, BUILD_COMMAND, notifySocket, notifySystemd } from '@thinfleet/sd-notify';

describe('@thinfleet/sd-notify', () => {
  it('has its addon built and loadable', () => {
    expect(addonLoadError()).toBeNull();
    expect(BUILD_COMMAND).toBe('npm run build -w @thinfleet/sd-notify');
  });

  it('sends nothing without NOTIFY_SOCKET and checks its arguments first', async () => {
    expect(await notifySystemd('READY=1', {})).toBe(false);
    await expect(notifySocket(42 as unknown as string, 'READY=1')).rejects.toThrow(TypeError);
    await expect(notifySocket('/run/x.sock', 'READY=1\0')).rejects.toThrow(/message must not contain NUL/);
  });
});
