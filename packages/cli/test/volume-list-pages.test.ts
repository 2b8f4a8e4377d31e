/**
 * `volume list` pages: it asks page by page with the previous answer's token and prints each
 * page's rows as it arrives (a fake agent notes what standard output held when each page was
 * asked for: the first rows are out before the last page is requested); the table's widths come
 * from the first page; --json writes the same document as one unpaged answer would.
 */
import type { ListVolumesRequest, ListVolumesResponse__Output, Volume__Output } from '@thinfleet/proto';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/index.js';
import { toJson } from '../src/output.js';
import { listPageSize } from '../src/volume-list-command.js';
import { memoryIo, type MemoryIo } from './support/memory-io.js';
import { volume } from './support/recording-agent.js';

/** A fake agent serving `volumes` in pages of `pageSize` (what the request asks is recorded). */
function pagingAgent(pages: readonly (readonly Volume__Output[])[], inactivePools: string[], io: MemoryIo) {
  const requests: Array<{ request: ListVolumesRequest; stdoutBefore: string }> = [];
  const agent = {
    listVolumes: async (request: ListVolumesRequest): Promise<ListVolumesResponse__Output> => {
      requests.push({ request, stdoutBefore: io.stdout() });
      const at = request.pageToken === '' || request.pageToken === undefined ? 0 : Number(request.pageToken.slice(1));
      const next = at + 1 < pages.length ? `p${at + 1}` : '';
      return { volumes: [...pages[at]!], inactivePools, nextPageToken: next };
    },
    close: () => undefined,
  };
  return { requests, connect: async () => agent as never };
}

const names = (prefix: string, n: number): Volume__Output[] => Array.from({ length: n }, (_, i) => volume(`${prefix}${i}`));

describe('volume list, page by page', () => {
  it('prints the first page before asking for the last, and each page with the previous token', async () => {
    const io = memoryIo();
    const pages = [names('a', 3), names('b', 2), names('c', 1)];
    const fake = pagingAgent(pages, [], io);
    expect(await runCli(['volume', 'list', 'tank'], io.io, { connect: fake.connect })).toBe(0);
    expect(fake.requests.map((r) => [r.request.pageToken, r.request.pageSize])).toEqual([
      ['', 100],
      ['p1', 1000],
      ['p2', 10_000],
    ]);
    expect(fake.requests[0]!.stdoutBefore).toBe('');
    // Before the last page was asked for, the header and both earlier pages were printed.
    const beforeLast = fake.requests[2]!.stdoutBefore.split('\n');
    expect(beforeLast[0]).toMatch(/^POOL\s+NAME\s+SIZE\s+ACTIVE\s+ORIGIN$/);
    expect(beforeLast.slice(1, 6).map((line) => line.split(/\s+/)[1])).toEqual(['a0', 'a1', 'a2', 'b0', 'b1']);
    expect(
      io
        .stdout()
        .split('\n')
        .slice(1, -1)
        .map((line) => line.split(/\s+/)[1]),
    ).toEqual(['a0', 'a1', 'a2', 'b0', 'b1', 'c0']);
    // The widths are the first page's: every row's SIZE column ends where the header's does.
    const end = io.stdout().split('\n')[0]!.indexOf('SIZE') + 'SIZE'.length;
    for (const line of io.stdout().split('\n').slice(1, -1)) expect(line.slice(end - 3, end)).toBe('GiB');
  });

  it('--json streams the array and writes the document an unpaged answer gives', async () => {
    const io = memoryIo();
    const pages = [names('a', 2), [], names('c', 2)];
    const fake = pagingAgent(pages, ['cold'], io);
    expect(await runCli(['--json', 'volume', 'list'], io.io, { connect: fake.connect })).toBe(0);
    expect(fake.requests).toHaveLength(3);
    expect(fake.requests[1]!.stdoutBefore).toContain('"name": "a1"');
    expect(io.stdout()).toBe(toJson({ volumes: pages.flat(), inactivePools: ['cold'] }));
  });

  it('asks for pages of 10,000 with --usage, and for 10,000 after the third page without', () => {
    expect([0, 1, 2, 3, 9].map((page) => listPageSize(page, false))).toEqual([100, 1000, 10_000, 10_000, 10_000]);
    expect([0, 1, 5].map((page) => listPageSize(page, true))).toEqual([10_000, 10_000, 10_000]);
  });

  it('--json of nothing, and the table header alone, as before paging', async () => {
    const json = memoryIo();
    await runCli(['--json', 'volume', 'list'], json.io, { connect: pagingAgent([[]], [], json).connect });
    expect(json.stdout()).toBe(toJson({ volumes: [], inactivePools: [] }));
    const text = memoryIo();
    await runCli(['volume', 'list', '--usage'], text.io, { connect: pagingAgent([[]], ['cold'], text).connect });
    expect(text.stdout()).toBe('POOL  NAME  SIZE  ACTIVE  ORIGIN  MAPPED\n');
    expect(text.stderr()).toContain('inactive pool cold');
  });
});
