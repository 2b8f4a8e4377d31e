/** The agent's config file: defaults, the packaged file, and refusals that name the key. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AgentConfigError, DEFAULT_AGENT_CONFIG, loadAgentConfig, resolveAgentConfig } from '../src/agent-config.js';

const dir = mkdtempSync(join(tmpdir(), 'tf-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configFile(content: string): string {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, content);
  return path;
}

function refusal(fn: () => unknown): AgentConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AgentConfigError);
    return err as AgentConfigError;
  }
  throw new Error('expected a config error');
}

describe('agent config', () => {
  it('ships deploy/config/agent.json with exactly the built-in defaults', () => {
    const packaged = JSON.parse(readFileSync(new URL('../../../deploy/config/agent.json', import.meta.url), 'utf8')) as unknown;
    expect(packaged).toEqual(DEFAULT_AGENT_CONFIG);
  });

  it('runs on defaults when the default file is absent, but not when a named file is', () => {
    expect(resolveAgentConfig()).toEqual(DEFAULT_AGENT_CONFIG);
    expect(refusal(() => loadAgentConfig(join(dir, 'missing.json'))).message).toMatch(/cannot read config .*missing\.json/);
  });

  it('applies the file, then the flags', () => {
    const path = configFile(JSON.stringify({ socket: '/tmp/a.sock', dm: 'sim', maxBatchOps: 5 }));
    const config = loadAgentConfig(path, { socket: '/tmp/b.sock' });
    expect(config).toMatchObject({ socket: '/tmp/b.sock', dm: 'sim', maxBatchOps: 5, stateDir: DEFAULT_AGENT_CONFIG.stateDir });
  });

  it('refuses unknown keys, wrong types and bad values, naming the key', () => {
    expect(refusal(() => loadAgentConfig(configFile('{"sockt": "/x"}'))).key).toBe('sockt');
    expect(refusal(() => loadAgentConfig(configFile('{"maxBatchOps": "10"}'))).key).toBe('maxBatchOps');
    expect(refusal(() => loadAgentConfig(configFile('{"dm": "kernel"}'))).message).toMatch(/dm: must be one of native, sim, auto/);
    expect(refusal(() => loadAgentConfig(configFile('{"metricsListen": "9746"}'))).key).toBe('metricsListen');
    expect(refusal(() => loadAgentConfig(configFile('{"tcp": {"listen": "0.0.0.0:9747"}}'))).key).toBe('tcp.caFile');
    expect(refusal(() => loadAgentConfig(configFile('[1]'))).message).toMatch(/must hold a JSON object/);
    expect(refusal(() => loadAgentConfig(configFile('{oops'))).message).toMatch(/not valid JSON/);
  });

  it('checks the capacity keys: ratios, percentages and autoextend spares, naming the key', () => {
    expect(resolveAgentConfig({ overprovisionWarnRatio: 2.5, poolDataWarnPercent: 90, poolAutoextend: { tank: { device: '/dev/sdz', stepBytes: 2 ** 30 } } })).toMatchObject({
      overprovisionWarnRatio: 2.5,
      poolDataWarnPercent: 90,
      poolAutoextend: { tank: { device: '/dev/sdz', stepBytes: 2 ** 30 } },
    });
    expect(resolveAgentConfig({ overprovisionWarnRatio: null }).overprovisionWarnRatio).toBeNull();
    expect(refusal(() => resolveAgentConfig({ overprovisionWarnRatio: 0 })).key).toBe('overprovisionWarnRatio');
    expect(refusal(() => resolveAgentConfig({ poolDataWarnPercent: 101 })).key).toBe('poolDataWarnPercent');
    expect(refusal(() => resolveAgentConfig({ poolMetadataWarnPercent: 0 })).key).toBe('poolMetadataWarnPercent');
    expect(refusal(() => resolveAgentConfig({ poolAutoextend: { tank: { device: 'sdz', stepBytes: 2 ** 30 } } })).key).toBe('poolAutoextend.tank.device');
    expect(refusal(() => resolveAgentConfig({ poolAutoextend: { tank: { device: '/dev/sdz', stepBytes: 512 } } })).key).toBe('poolAutoextend.tank.stepBytes');
    expect(refusal(() => resolveAgentConfig({ poolAutoextend: { tank: { device: '/dev/sdz' } } })).key).toBe('poolAutoextend.tank.stepBytes');
  });

  it('is standalone by default; cluster mode fills the node id and the advertised address', () => {
    expect(resolveAgentConfig().cluster).toBeNull();
    const path = configFile(JSON.stringify({ socket: '/tmp/a.sock', cluster: { coordinator: '10.0.0.5:9750' } }));
    expect(loadAgentConfig(path).cluster).toEqual({ coordinator: '10.0.0.5:9750', nodeId: hostname(), advertise: 'unix:/tmp/a.sock', tls: null });
    // The socket flag is known before the advertised default is made from it.
    expect(loadAgentConfig(path, { socket: '/tmp/b.sock' }).cluster?.advertise).toBe('unix:/tmp/b.sock');
    const full = {
      coordinator: 'coord.example:9750',
      nodeId: 'host-a',
      advertise: 'host-a.example:9747',
      tls: { caFile: '/etc/thinfleet/ca.pem', certFile: '/etc/thinfleet/host.pem', keyFile: '/etc/thinfleet/host.key' },
    };
    expect(loadAgentConfig(configFile(JSON.stringify({ cluster: full }))).cluster).toEqual(full);
  });

  it('fences with the watchdog at /dev/watchdog by default; fencing and watchdogDevice are checked, naming the key', () => {
    expect(resolveAgentConfig()).toMatchObject({ fencing: 'watchdog', watchdogDevice: '/dev/watchdog' });
    expect(resolveAgentConfig({ fencing: 'none', watchdogDevice: '/tmp/wd' })).toMatchObject({ fencing: 'none', watchdogDevice: '/tmp/wd' });
    expect(refusal(() => resolveAgentConfig({ fencing: 'softdog' }))).toMatchObject({ key: 'fencing', message: expect.stringMatching(/must be one of watchdog, none/) });
    expect(refusal(() => resolveAgentConfig({ watchdogDevice: 'dev/watchdog' }))).toMatchObject({ key: 'watchdogDevice', message: expect.stringMatching(/absolute path/) });
    expect(refusal(() => resolveAgentConfig({ watchdogDevice: '' })).key).toBe('watchdogDevice');
  });

  it('refuses a bad cluster section, naming the key', () => {
    expect(refusal(() => loadAgentConfig(configFile('{"cluster": {}}'))).key).toBe('cluster.coordinator');
    expect(refusal(() => loadAgentConfig(configFile('{"cluster": {"coordinator": "nope"}}'))).key).toBe('cluster.coordinator');
    expect(refusal(() => loadAgentConfig(configFile('{"cluster": {"coordinator": "a:1", "node": "x"}}'))).key).toBe('cluster.node');
    expect(refusal(() => loadAgentConfig(configFile('{"cluster": {"coordinator": "a:1", "nodeId": 7}}'))).key).toBe('cluster.nodeId');
    expect(refusal(() => loadAgentConfig(configFile('{"cluster": {"coordinator": "a:1", "tls": {"caFile": "/ca"}}}'))).key).toBe('cluster.tls.certFile');
    expect(refusal(() => loadAgentConfig(configFile('{"cluster": "a:1"}'))).key).toBe('cluster');
  });
});
