/** The overprovisioning warning: when a change that adds provisioned bytes goes past the ratio. */
import { describe, expect, it } from 'vitest';
import { overprovisionWarning } from '../src/capacity.js';

const GiB = 1024 ** 3;
const PiB = 1024 ** 5;

describe('overprovisionWarning', () => {
  const data = 2 * GiB;
  it('warns when a change takes the provisioned size beyond the ratio', () => {
    const w = overprovisionWarning('tank', { provisionedBytes: 0, dataBytes: data }, { provisionedBytes: PiB, dataBytes: data }, 1);
    expect(w).toMatchObject({ provisionedBytes: PiB, dataBytes: data, ratioLimit: 1, ratio: PiB / data });
    expect(w!.message).toContain('pool tank is overprovisioned: its volumes total 1.0 PiB, 524288.0 times its 2.0 GiB of data space');
  });

  it('stays quiet at or under the ratio, and for changes that add nothing', () => {
    expect(overprovisionWarning('tank', { provisionedBytes: 0, dataBytes: data }, { provisionedBytes: data, dataBytes: data }, 1)).toBeNull();
    expect(overprovisionWarning('tank', { provisionedBytes: 0, dataBytes: data }, { provisionedBytes: 3 * data, dataBytes: data }, 3)).toBeNull();
    // A delete from an overprovisioned pool: still over, but it added nothing.
    expect(overprovisionWarning('tank', { provisionedBytes: 2 * PiB, dataBytes: data }, { provisionedBytes: PiB, dataBytes: data }, 1)).toBeNull();
    expect(overprovisionWarning('tank', { provisionedBytes: 0, dataBytes: data }, { provisionedBytes: PiB, dataBytes: data }, null)).toBeNull();
  });

  it('takes a fractional ratio', () => {
    expect(overprovisionWarning('t', { provisionedBytes: 0, dataBytes: 100 }, { provisionedBytes: 51, dataBytes: 100 }, 0.5)?.ratio).toBeCloseTo(0.51);
  });
});
