/** The checked-in types must be exactly what the generator makes from proto/ today. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAgentApi, SERVICE_NAMES } from '../src/index.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const checkedIn = join(packageDir, 'src', 'generated');

function filesUnder(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(dir, path), readFileSync(path, 'utf8'));
  }
  return files;
}

describe('packages/proto', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'tf-proto-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('has generated types identical to a fresh generation (run `npm run generate -w @thinfleet/proto` after editing proto/)', () => {
    execFileSync(process.execPath, [join(packageDir, 'scripts', 'generate.mjs'), scratch], { stdio: 'pipe' });
    const fresh = filesUnder(scratch);
    const current = filesUnder(checkedIn);
    expect([...current.keys()].sort()).toEqual([...fresh.keys()].sort());
    for (const [path, text] of fresh) expect(current.get(path), path).toBe(text);
  });

  it('loads every service with the methods the proto declares', () => {
    const api = loadAgentApi();
    expect(Object.keys(api.PoolService.service).sort()).toEqual(
      ['ActivatePool', 'CreatePool', 'DeactivatePool', 'DestroyPool', 'DiscoverPools', 'ExtendPool', 'ForgetPool', 'GetPool', 'JoinPool', 'ListPools', 'SetPool', 'WatchPoolEvents'].sort(),
    );
    expect(api.PoolService.service.WatchPoolEvents.responseStream).toBe(true);
    expect(api.VolumeService.service.Batch.path).toBe('/thinfleet.agent.v1.VolumeService/Batch');
    expect(api.JobService.service.WatchJob.responseStream).toBe(true);
    expect(api.Health.service.Check.path).toBe('/grpc.health.v1.Health/Check');
    expect(SERVICE_NAMES).toContain('thinfleet.agent.v1.JobService');
  });
});
