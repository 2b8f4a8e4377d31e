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
  it('takes host:port with IPv6 in brackets, checks the port range, and quotes a refused value short', () => {
    const schema = strictSection({ listen: hostPortSchema() });
    for (const ok of ['127.0.0.1:0', 'host.example:9750', '[::1]:65535']) expect(problemOf(schema, { listen: ok })).toBeNull();
    expect(problemOf(schema, { listen: 'host:65536' })).toEqual({ key: 'listen', message: 'listen: port must be from 0 to 65535, got "65536"' });
    expect(problemOf(schema, { listen: 'host:99999' })).toEqual({ key: 'listen', message: 'listen: port must be from 0 to 65535, got "99999"' });
    expect(problemOf(schema, { listen: '9750' })).toEqual({ key: 'listen', message: 'listen: must be host:port, got "9750"' });
    expect(problemOf(schema, { listen: '' })).toEqual({ key: 'listen', message: 'listen: must be a non-empty string' });
    expect(problemOf(schema, { listen: '::1:9750' })?.message).toBe('listen: must be host:port, got "::1:9750"');
    const long = problemOf(schema, { listen: 'x'.repeat(100_000) });
    expect(long?.message.length).toBeLessThan(120);
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
