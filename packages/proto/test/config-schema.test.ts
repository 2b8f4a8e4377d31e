/** The config schemas both daemons share: host:port grammars, TLS sections, and the problem reported first. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { hostPortSchema, optionalKeys, parseConfig, splitHostPort, strictSection, tlsFilesSchema, type ConfigProblem } from '../src/config-schema.js';

class Problem extends Error {
  constructor(readonly problem: ConfigProblem) {
    super(problem.message);
  }
}

/** The problem reported for `input`, or null when it is accepted. */
function problemOf(schema: z.ZodType, input: unknown): ConfigProblem | null {
  try {
    parseConfig(schema, input, (p) => new Problem(p));
    return null;
  } catch (err) {
    if (err instanceof Problem) return err.problem;
    throw err;
  }
}

const tls = { caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/c.key' };

describe('config schema', () => {
  it('takes host:port with IPv6 in brackets; the strict grammar checks the port range', () => {
    const strict = strictSection({ listen: hostPortSchema({ strict: true }) });
    const loose = strictSection({ listen: hostPortSchema({ strict: false }) });
    for (const ok of ['127.0.0.1:0', 'host.example:9750', '[::1]:65535']) {
      expect(problemOf(strict, { listen: ok })).toBeNull();
      expect(problemOf(loose, { listen: ok })).toBeNull();
    }
    expect(problemOf(strict, { listen: 'host:65536' })).toEqual({ key: 'listen', message: 'listen: port must be from 0 to 65535, got "65536"' });
    expect(problemOf(strict, { listen: '9750' })).toEqual({ key: 'listen', message: 'listen: must be host:port, got "9750"' });
    expect(problemOf(strict, { listen: '' })).toEqual({ key: 'listen', message: 'listen: must be a non-empty string' });
    expect(problemOf(loose, { listen: '::1:9750' })?.message).toBe('listen: must be host:port, got "::1:9750"');
    // The agent's grammar, kept as it was: five digits pass, the kernel refuses at listen time.
    expect(problemOf(loose, { listen: 'host:65536' })).toBeNull();
    expect(splitHostPort('[fd00::2]:2379')).toEqual({ host: 'fd00::2', port: 2379 });
  });

  it('refuses unknown, missing and undefined keys of a section, naming the key', () => {
    const schema = strictSection({ tls: tlsFilesSchema().nullable() });
    expect(problemOf(schema, { tls })).toBeNull();
    expect(problemOf(schema, { tls: null })).toBeNull();
    expect(problemOf(schema, { tls: { ...tls, extra: 1 } })).toEqual({ key: 'tls.extra', message: 'tls.extra: unknown key (known: caFile, certFile, keyFile)' });
    expect(problemOf(schema, { tls: { caFile: '/ca' } })).toEqual({ key: 'tls.certFile', message: 'tls.certFile: required' });
    expect(problemOf(schema, { tls: 'x' })).toEqual({ key: 'tls', message: 'tls: must be an object' });
    const layer = strictSection(optionalKeys({ a: z.string(), b: z.number() }));
    expect(problemOf(layer, {})).toBeNull();
    expect(problemOf(layer, { a: undefined })?.key).toBe('a');
  });

  it('reports the first problem in the input key order, missing keys after given ones', () => {
    const schema = strictSection({ a: z.string(), b: z.number(), c: z.array(z.string()) });
    expect(problemOf(schema, { zz: 1, a: 3 })?.key).toBe('zz');
    expect(problemOf(schema, { b: 'x', zz: 1, a: 3 })?.key).toBe('b');
    expect(problemOf(schema, { c: ['x', 3, 4], a: 'x' })?.key).toBe('c[1]');
    expect(problemOf(schema, { a: 'x', c: [] })).toEqual({ key: 'b', message: 'b: required' });
  });
});
