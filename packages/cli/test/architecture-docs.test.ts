/**
 * docs/architecture.md cannot rot: every file or directory it names in backticks exists, it
 * names every workspace package, and nothing in the tree points readers at `design.md` (a file
 * outside the repository) instead of it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const page = readFileSync(join(root, 'docs/architecture.md'), 'utf8');

/** Every backticked span of the page, e.g. `packages/engine/src/pool.ts`. */
const spans = [...page.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);

/** Spans naming a file by its extension, or a path under one of the repository's top folders. */
const FILE = /\.(ts|mjs|proto|md|cc)$/;
const TOP = /^(packages|services|proto|docs|test)\//;
const cited = [...new Set(spans.filter((s) => FILE.test(s) || TOP.test(s)))];

/** Workspace directories: packages/* and services/*. */
const workspaces = ['packages', 'services'].flatMap((top) =>
  readdirSync(join(root, top))
    .filter((name) => existsSync(join(root, top, name, 'package.json')))
    .map((name) => `${top}/${name}`),
);

/** Source and documentation files of the tree that a reader is pointed from. */
function readerFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    if (name === 'node_modules' || name === 'dist' || name === 'generated' || name.startsWith('.')) continue;
    const rel = `${dir}/${name}`;
    if (statSync(join(root, rel)).isDirectory()) out.push(...readerFiles(rel));
    else if (/\.(ts|mjs|md|proto)$/.test(name)) out.push(rel);
  }
  return out;
}

describe('docs/architecture.md', () => {
  it('names files and directories in backticks, and each exists', () => {
    expect(cited.length).toBeGreaterThan(50);
    const missing = cited.filter((path) => !existsSync(join(root, path)));
    expect(missing).toEqual([]);
  });

  it('names every workspace package', () => {
    expect(workspaces.length).toBeGreaterThanOrEqual(11);
    const unnamed = workspaces.filter((dir) => !spans.some((s) => s === dir || s.startsWith(`${dir}/`)));
    expect(unnamed).toEqual([]);
  });

  it('gives each package the workspace dependencies its package.json has', () => {
    const rows = new Map<string, string[]>();
    for (const m of page.matchAll(/^\| `((?:packages|services)\/[a-z-]+)` \| ([^|]+) \|/gm)) {
      const uses = m[2]!.trim();
      rows.set(m[1]!, uses === 'none' ? [] : uses.split(/,\s*/).sort());
    }
    const actual = new Map(
      workspaces.map((dir) => {
        const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
        const deps = Object.keys(pkg.dependencies ?? {})
          .filter((d) => d.startsWith('@thinfleet/'))
          .map((d) => d.slice('@thinfleet/'.length));
        return [dir, deps.sort()] as const;
      }),
    );
    expect(rows).toEqual(actual);
  });

  it('is the page README lists first under Documentation', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const list = readme.split('## Documentation')[1] ?? '';
    expect(list.trimStart().startsWith('- `docs/architecture.md`')).toBe(true);
  });

  it('is cited where a file used to point at design.md', () => {
    // The benchmarks keep quoting the design's "Numbers to beat" (goals, not architecture, and
    // part of their printed report); this test names itself.
    const exempt = (f: string): boolean => f.startsWith('test/bench/') || f === 'packages/cli/test/architecture-docs.test.ts';
    const files = ['README.md', ...['docs', 'packages', 'services', 'proto', 'test'].flatMap(readerFiles)].filter((f) => !exempt(f));
    expect(files.length).toBeGreaterThan(100);
    const citing = files.filter((f) => /\bdesign\.md\b/.test(readFileSync(join(root, f), 'utf8')));
    expect(citing).toEqual([]);
  });
});
