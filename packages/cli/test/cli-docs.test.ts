/**
 * docs/cli.md keeps up with the command: every command and every global flag is described there.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GLOBAL_OPTIONS } from '../src/help.js';
import { COMMANDS } from '../src/index.js';

const docs = readFileSync(new URL('../../../docs/cli.md', import.meta.url), 'utf8');

describe('docs/cli.md', () => {
  it('describes every command', () => {
    const missing = COMMANDS.map((command) => command.words.join(' ')).filter((words) => !docs.includes(`\`${words}`));
    expect(missing).toEqual([]);
  });

  it('describes every global flag', () => {
    const missing = Object.keys(GLOBAL_OPTIONS).filter((name) => !docs.includes(`\`--${name}`));
    expect(missing).toEqual([]);
  });
});
