/** The agent's config file: defaults, the packaged file, and refusals that name the key. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
});
