/** The CLI's version, from its package.json (read once, at first use). */
import { readFileSync } from 'node:fs';

let cached: string | null = null;

/** The version in packages/cli/package.json; `unknown` if it cannot be read. */
export function cliVersion(): string {
  if (cached !== null) return cached;
  try {
    const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
    const version = (JSON.parse(text) as { version?: unknown }).version;
    cached = typeof version === 'string' ? version : 'unknown';
  } catch {
    cached = 'unknown';
  }
  return cached;
}
