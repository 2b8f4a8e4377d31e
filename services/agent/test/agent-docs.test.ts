/** docs/agent.md must match the code: every metric the agent exports and every config key. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_AGENT_CONFIG } from '../src/agent-config.js';

const src = fileURLToPath(new URL('../src/', import.meta.url));
const doc = readFileSync(fileURLToPath(new URL('../../../docs/agent.md', import.meta.url)), 'utf8');

function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'));
}

describe('docs/agent.md', () => {
  it('documents every metric the agent registers', () => {
    const names = new Set(sources(src).flatMap((text) => [...text.matchAll(/'(thinfleet_[a-z_]+)'/g)].map((m) => m[1]!)));
    expect(names.size).toBeGreaterThan(10);
    expect([...names].filter((n) => !doc.includes(`\`${n}\``))).toEqual([]);
  });

  it('documents every config key', () => {
    expect(Object.keys(DEFAULT_AGENT_CONFIG).filter((k) => !doc.includes(`| \`${k}\` |`))).toEqual([]);
  });
});
