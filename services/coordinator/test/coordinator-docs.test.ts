/**
 * docs/coordinator.md must match the code: a table row for every config key (nested ones as
 * `etcd.endpoints`) with its default, no row for a key that does not exist, and every flag of
 * --help.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_COORDINATOR_CONFIG } from '../src/coordinator-config.js';
import { coordinatorMain } from '../src/coordinator-main.js';

const doc = readFileSync(fileURLToPath(new URL('../../../docs/coordinator.md', import.meta.url)), 'utf8');

/** Every leaf key of the config with its default: sections are flattened, TLS objects (null by default) are leaves. */
function leaves(value: object, prefix = ''): Array<[string, unknown]> {
  return Object.entries(value).flatMap(([key, v]): Array<[string, unknown]> =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? leaves(v as object, `${prefix}${key}.`) : [[`${prefix}${key}`, v]],
  );
}

/** How the table writes a default: strings bare in backticks (`""` for empty), the rest as JSON. */
function shown(value: unknown): string {
  return typeof value === 'string' && value !== '' ? `\`${value}\`` : `\`${JSON.stringify(value)}\``;
}

/** The config table's rows: key -> default cell. */
const rows = new Map([...doc.matchAll(/^\| `([A-Za-z.]+)` \| ([^|]+) \|/gm)].map((m) => [m[1] as string, (m[2] as string).trim()]));

describe('docs/coordinator.md', () => {
  it('documents every config key with its default, and no other key', () => {
    const keys = leaves(DEFAULT_COORDINATOR_CONFIG);
    expect(keys.length).toBe(17);
    for (const [key, value] of keys) expect([key, rows.get(key)]).toEqual([key, shown(value)]);
    expect([...rows.keys()].filter((k) => !keys.some(([known]) => known === k))).toEqual([]);
  });

  it('mentions every flag of --help', async () => {
    const out: string[] = [];
    expect(await coordinatorMain(['--help'], { stdout: (t) => void out.push(t) })).toBe(0);
    const flags = new Set([...out.join('').matchAll(/(--[a-z-]+)/g)].map((m) => m[1] as string));
    expect(flags.size).toBeGreaterThanOrEqual(7);
    expect([...flags].filter((f) => !new RegExp(`${f}(?![a-z-])`).test(doc))).toEqual([]);
  });

  it('keeps the sections other documents point at', () => {
    for (const heading of ['## Configuration', '## Embedded etcd', '## Production etcd with TLS', '## Install as a systemd service', '## Routing and locks']) {
      expect(doc).toContain(`\n${heading}\n`);
    }
  });
});
