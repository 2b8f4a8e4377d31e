/**
 * deploy/systemd/thinfleet-agent.service: the settings the agent depends on (notify readiness,
 * its command line, device access for device-mapper and loop) and the ones that would break
 * it (MemoryDenyWriteExecute under V8, PrivateDevices hiding /dev/mapper/control), and
 * `systemd-analyze verify` on a copy whose ExecStart points at a binary that exists.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const UNIT_PATH = fileURLToPath(new URL('../../../deploy/systemd/thinfleet-agent.service', import.meta.url));
const UNIT_TEXT = readFileSync(UNIT_PATH, 'utf8');

/** Section → key → every value assigned, in order (systemd unit syntax, enough of it for this file). */
type Unit = Map<string, Map<string, string[]>>;

function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section: Map<string, string[]> | null = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = (lines[i] as string).trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${(lines[++i] as string).trim()}`;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      section = new Map();
      unit.set(header[1] as string, section);
      continue;
    }
    const eq = line.indexOf('=');
    if (section === null || eq < 1) throw new Error(`unit line ${i + 1} is neither a section nor KEY=VALUE: ${line}`);
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    section.set(key, [...(section.get(key) ?? []), value]);
  }
  return unit;
}

const unit = parseUnit(UNIT_TEXT);
const service = unit.get('Service') ?? new Map<string, string[]>();

/** The last value of `key` in [Service] (the one systemd uses for single-valued settings). */
function last(key: string): string | undefined {
  return service.get(key)?.at(-1);
}

function seconds(value: string | undefined): number {
  const m = /^(\d+)\s*(s|sec|min|m)?$/.exec(value ?? '');
  if (!m) throw new Error(`cannot read a time span from ${value}`);
  return Number(m[1]) * (m[2] === 'min' || m[2] === 'm' ? 60 : 1);
}

describe('thinfleet-agent.service', () => {
  it('has the three sections and installs into multi-user.target', () => {
    expect([...unit.keys()]).toEqual(['Unit', 'Service', 'Install']);
    expect(unit.get('Install')?.get('WantedBy')).toEqual(['multi-user.target']);
  });

  it('waits for READY=1 from the main process', () => {
    expect(last('Type')).toBe('notify');
    expect(last('NotifyAccess')).toBe('main');
  });

  it('runs the installed agent with the config in /etc/thinfleet', () => {
    const exec = service.get('ExecStart') ?? [];
    expect(exec).toHaveLength(1);
    const argv = (exec[0] as string).split(/\s+/);
    expect(argv[0]).toBe('/usr/local/bin/thinfleet-agent');
    expect(argv.slice(1)).toEqual(['--config', '/etc/thinfleet/agent.json']);
    expect(last('ConfigurationDirectory')).toBe('thinfleet');
  });

  it('restarts on failure and gives start-up recovery and shutdown time', () => {
    expect(last('Restart')).toBe('on-failure');
    expect(seconds(last('TimeoutStartSec'))).toBeGreaterThanOrEqual(120);
    expect(seconds(last('TimeoutStopSec'))).toBe(90);
    expect(last('KillMode')).toBe('mixed');
  });

  it('restarts a failed or watchdog-aborted agent within the lease, with no start limit that could leave pools unfenced', () => {
    expect(unit.get('Unit')?.get('StartLimitIntervalSec')).toEqual(['0']);
    expect(unit.get('Unit')?.has('StartLimitBurst')).toBe(false);
    expect(last('Restart')).toBe('on-failure');
    // Hang, systemd's watchdog abort, the abort's grace, the restart delay and about a second of
    // start-up fencing stay inside the default lease deadline (TTL 10 s - margin 2 s).
    const lease = 10 - 2; // the coordinator's defaults: lock.ttlSeconds 10, lock.marginMs 2000
    expect(seconds(last('WatchdogSec')) + seconds(last('TimeoutAbortSec')) + seconds(last('RestartSec')) + 1).toBeLessThanOrEqual(lease);
    expect(seconds(last('TimeoutAbortSec'))).toBeLessThan(seconds(last('TimeoutStopSec')));
  });

  it('owns private runtime and state directories', () => {
    expect(last('RuntimeDirectory')).toBe('thinfleet');
    expect(last('RuntimeDirectoryMode')).toBe('0700');
    expect(last('StateDirectory')).toBe('thinfleet');
    expect(last('StateDirectoryMode')).toBe('0700');
    expect(last('ProtectSystem')).toBe('strict');
    const writable = (service.get('ReadWritePaths') ?? []).flatMap((v) => v.split(/\s+/));
    expect(writable).toEqual(expect.arrayContaining(['/var/lib/thinfleet', '/run/thinfleet']));
  });

  it('keeps device-mapper, loop and block devices reachable', () => {
    expect(service.has('PrivateDevices') ? last('PrivateDevices') : 'no').not.toMatch(/^(yes|true|on|1)$/i);
    const allow = service.get('DeviceAllow') ?? [];
    expect(allow).toContain('/dev/mapper/control rw');
    expect(allow).toContain('/dev/loop-control rw');
    expect(allow).toContain('block-* rwm');
    // The host watchdog of cluster mode.
    expect(allow).toContain('/dev/watchdog rw');
    expect(allow).toContain('char-watchdog rw');
    expect(last('DevicePolicy')).toBe('closed');
    const caps = (last('CapabilityBoundingSet') ?? '').split(/\s+/);
    expect(caps).toEqual(expect.arrayContaining(['CAP_SYS_ADMIN', 'CAP_MKNOD']));
    expect(service.has('User')).toBe(false);
    // DeviceAllow resolves groups at start: the modules must be loaded before.
    const wants = (unit.get('Unit')?.get('Wants') ?? []).join(' ');
    const after = (unit.get('Unit')?.get('After') ?? []).join(' ');
    for (const m of ['modprobe@dm_mod.service', 'modprobe@loop.service']) {
      expect(wants).toContain(m);
      expect(after).toContain(m);
    }
  });

  it('does not set MemoryDenyWriteExecute (V8 JIT) and keeps the hardening asked for', () => {
    expect(service.has('MemoryDenyWriteExecute')).toBe(false);
    const expected: Record<string, string> = {
      NoNewPrivileges: 'yes',
      ProtectHome: 'yes',
      LockPersonality: 'yes',
      RestrictRealtime: 'yes',
      RestrictSUIDSGID: 'yes',
      ProtectClock: 'yes',
      ProtectHostname: 'yes',
      ProtectKernelLogs: 'yes',
      ProtectControlGroups: 'yes',
      SystemCallArchitectures: 'native',
      RestrictAddressFamilies: 'AF_UNIX AF_INET AF_INET6 AF_NETLINK',
      LimitNOFILE: '65536',
      LimitMEMLOCK: 'infinity',
    };
    for (const [key, value] of Object.entries(expected)) expect([key, last(key)]).toEqual([key, value]);
  });

  it('passes systemd-analyze verify', async () => {
    const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
    if (analyze.status !== 0) throw new Error('systemd-analyze is missing: install it with `apt-get install systemd` (scripts/setup.sh does)');
    const dir = await mkdtemp(join(tmpdir(), 'tf-unit-'));
    try {
      // verify insists that ExecStart's binary exists; everything else is checked as written.
      const copy = join(dir, 'thinfleet-agent.service');
      await writeFile(copy, UNIT_TEXT.replace('/usr/local/bin/thinfleet-agent', process.execPath));
      const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
