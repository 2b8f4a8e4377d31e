/**
 * deploy/systemd/thinfleet-coordinator.service: the settings the coordinator depends on (notify
 * readiness from the main process, its command line and directories, KillMode=mixed so it stops
 * its own etcd), the ones that would break it (MemoryDenyWriteExecute under V8, anything
 * forbidding the etcd child), and `systemd-analyze verify` on a copy whose ExecStart exists.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_COORDINATOR_CONFIG } from '../src/coordinator-config.js';

const UNIT_TEXT = readFileSync(fileURLToPath(new URL('../../../deploy/systemd/thinfleet-coordinator.service', import.meta.url)), 'utf8');

/** `[Section]` -> key -> values in order of assignment (comments, blank lines and continuations handled). */
function sections(text: string): Map<string, Map<string, string[]>> {
  const result = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  const logical = text.replace(/\\\n\s*/g, ' ').split('\n');
  logical.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[(.+)\]$/.exec(line);
    if (header !== null) {
      current = new Map();
      result.set(header[1] as string, current);
      return;
    }
    const eq = line.indexOf('=');
    if (current === undefined || eq <= 0) throw new Error(`line ${index + 1}: expected [Section] or Key=Value, got ${line}`);
    const key = line.slice(0, eq).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()]);
  });
  return result;
}

const unit = sections(UNIT_TEXT);
const service = unit.get('Service') ?? new Map<string, string[]>();
/** What systemd uses for a single-valued setting: the last assignment. */
const value = (key: string): string | undefined => service.get(key)?.at(-1);
const words = (key: string): string[] => (service.get(key) ?? []).flatMap((v) => v.split(/\s+/)).filter((w) => w !== '');

describe('thinfleet-coordinator.service', () => {
  it('is a notify service of the main process that restarts on failure, installed into multi-user.target', () => {
    expect([...unit.keys()]).toEqual(['Unit', 'Service', 'Install']);
    expect(unit.get('Install')?.get('WantedBy')).toEqual(['multi-user.target']);
    expect(value('Type')).toBe('notify');
    expect(value('NotifyAccess')).toBe('main');
    expect(value('Restart')).toBe('on-failure');
  });

  it('runs the installed command with the config in /etc/thinfleet and owns its state directory', () => {
    expect(service.get('ExecStart')).toEqual(['/usr/local/bin/thinfleet-coordinator --config /etc/thinfleet/coordinator.json']);
    expect(value('ConfigurationDirectory')).toBe('thinfleet');
    // The state directory is the config's default stateDir, where the embedded etcd lives.
    expect(`/var/lib/${value('StateDirectory')}`).toBe(DEFAULT_COORDINATOR_CONFIG.stateDir);
    expect(value('StateDirectoryMode')).toBe('0700');
    expect(value('ProtectSystem')).toBe('strict');
    expect(words('ReadWritePaths')).toContain(DEFAULT_COORDINATOR_CONFIG.stateDir);
  });

  it('lets the coordinator stop its etcd itself, in time', () => {
    expect(value('KillMode')).toBe('mixed');
    const seconds = (v: string | undefined): number => {
      const m = /^(\d+)(s|min)$/.exec(v ?? '');
      if (m === null) throw new Error(`not a time span: ${v}`);
      return Number(m[1]) * (m[2] === 'min' ? 60 : 1);
    };
    expect(seconds(value('TimeoutStopSec'))).toBeGreaterThanOrEqual(10); // 2 s of calls + 5 s of etcd shutdown
    expect(seconds(value('TimeoutStartSec'))).toBeGreaterThanOrEqual(30); // etcd may take 15 s
  });

  it('is hardened without forbidding node (V8 JIT) or the etcd child', () => {
    expect(service.has('MemoryDenyWriteExecute')).toBe(false);
    expect(service.has('SystemCallFilter')).toBe(false);
    expect(service.has('User') || service.has('DynamicUser')).toBe(false);
    expect(service.get('CapabilityBoundingSet')).toEqual(['']);
    const expected: Record<string, string> = {
      NoNewPrivileges: 'yes',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      PrivateDevices: 'yes',
      ProtectKernelTunables: 'yes',
      ProtectKernelModules: 'yes',
      ProtectControlGroups: 'yes',
      RestrictNamespaces: 'yes',
      RestrictSUIDSGID: 'yes',
      LockPersonality: 'yes',
      SystemCallArchitectures: 'native',
      UMask: '0077',
      RestrictAddressFamilies: 'AF_UNIX AF_INET AF_INET6 AF_NETLINK',
    };
    for (const [key, v] of Object.entries(expected)) expect([key, value(key)]).toEqual([key, v]);
  });

  it('passes systemd-analyze verify', async () => {
    if (spawnSync('systemd-analyze', ['--version']).status !== 0) {
      throw new Error('systemd-analyze is missing: install it with `apt-get install systemd` (scripts/setup.sh does)');
    }
    const dir = await mkdtemp(join(tmpdir(), 'tf-coord-unit-'));
    try {
      // verify insists that ExecStart's binary exists; everything else is checked as written.
      const copy = join(dir, 'thinfleet-coordinator.service');
      await writeFile(copy, UNIT_TEXT.replace('/usr/local/bin/thinfleet-coordinator', process.execPath));
      const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
