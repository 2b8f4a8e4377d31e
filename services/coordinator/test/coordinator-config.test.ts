/** The coordinator's config file: defaults, the packaged file, and refusals that name the key. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CoordinatorConfigError, DEFAULT_COORDINATOR_CONFIG, loadCoordinatorConfig, minLockDelayMs, parseCoordinatorConfig, splitHostPort } from '../src/coordinator-config.js';

const dir = mkdtempSync(join(tmpdir(), 'tf-coord-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function configFile(content: unknown): string {
  const path = join(dir, `c${++files}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function refusal(fn: () => unknown): CoordinatorConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CoordinatorConfigError);
    return err as CoordinatorConfigError;
  }
  throw new Error('expected a config error');
}

/** The key named by the refusal of `value` as a config file's content. */
function keyOf(value: unknown): string | null {
  return refusal(() => parseCoordinatorConfig(value, 'test')).key;
}

const tls = { caFile: '/etc/thinfleet/ca.pem', certFile: '/etc/thinfleet/c.pem', keyFile: '/etc/thinfleet/c.key' };

describe('coordinator config', () => {
  it('ships deploy/config/coordinator.json with exactly the built-in defaults', () => {
    const packaged = JSON.parse(readFileSync(new URL('../../../deploy/config/coordinator.json', import.meta.url), 'utf8')) as unknown;
    expect(packaged).toEqual(DEFAULT_COORDINATOR_CONFIG);
  });

  it('resolves an empty coordinatorId to the host name, and keeps a given one', () => {
    expect(DEFAULT_COORDINATOR_CONFIG.coordinatorId).toBe('');
    expect(parseCoordinatorConfig({}, 'test')).toEqual({ ...DEFAULT_COORDINATOR_CONFIG, coordinatorId: hostname() });
    expect(parseCoordinatorConfig({ coordinatorId: 'c1' }, 'test').coordinatorId).toBe('c1');
  });

  it('runs on defaults when the default file is absent, but not when a named file is', () => {
    // The default path /etc/thinfleet/coordinator.json does not exist on a test machine.
    expect(loadCoordinatorConfig(null).listen).toBe('127.0.0.1:9750');
    const err = refusal(() => loadCoordinatorConfig(join(dir, 'missing.json')));
    expect(err.message).toMatch(/cannot read config .*missing\.json/);
    expect((err.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('merges the nested sections key by key: file, then flags', () => {
    const path = configFile({ listen: '0.0.0.0:9750', lock: { ttlSeconds: 20 }, etcd: { prefix: 'tf/' } });
    const config = loadCoordinatorConfig(path, { listen: '127.0.0.1:0', etcd: { endpoints: ['http://10.0.0.1:2379'] }, logLevel: 'debug' });
    expect(config.listen).toBe('127.0.0.1:0');
    expect(config.lock).toEqual({ ttlSeconds: 20, marginMs: 2000, lockDelayMs: 4000, watchdogTimeoutSeconds: 5 });
    expect(config.etcd).toEqual({ endpoints: ['http://10.0.0.1:2379'], tls: null, prefix: 'tf/' });
    expect(config.logLevel).toBe('debug');
    expect(config.embeddedEtcd).toEqual(DEFAULT_COORDINATOR_CONFIG.embeddedEtcd);
  });

  it('takes a production setup: etcd over mutual TLS, TLS on the gRPC port and towards agents', () => {
    const config = parseCoordinatorConfig({ etcd: { endpoints: ['https://etcd1:2379', 'https://[fd00::2]:2379'], tls }, tls, agentTls: tls, listen: '[::]:9750' }, 'test');
    expect(config.etcd.tls).toEqual(tls);
    expect(config.tls).toEqual(tls);
    expect(splitHostPort(config.listen)).toEqual({ host: '::', port: 9750 });
  });

  it('refuses unknown keys and wrong types, naming the key', () => {
    expect(keyOf({ lissen: 'x:1' })).toBe('lissen');
    expect(keyOf({ lock: { ttl: 5 } })).toBe('lock.ttl');
    expect(keyOf({ lock: { ttlSeconds: '10' } })).toBe('lock.ttlSeconds');
    expect(keyOf({ etcd: 'http://x:2379' })).toBe('etcd');
    expect(keyOf({ etcd: { endpoints: 'http://x:2379' } })).toBe('etcd.endpoints');
    expect(keyOf({ logLevel: 'loud' })).toBe('logLevel');
    expect(keyOf({ stateDir: 'relative/dir' })).toBe('stateDir');
    expect(keyOf({ coordinatorId: 'a b' })).toBe('coordinatorId');
    expect(keyOf({ embeddedEtcd: { binary: 'etcd' } })).toBe('embeddedEtcd.binary');
    const err = refusal(() => loadCoordinatorConfig(configFile({ lock: { ttlSeconds: 1 } })));
    expect(err.message).toMatch(/^config .*\.json: lock\.ttlSeconds: must be a whole number from 2/);
    expect(refusal(() => loadCoordinatorConfig(configFile('[1]'))).message).toMatch(/must hold a JSON object/);
    expect(refusal(() => loadCoordinatorConfig(configFile('{oops'))).message).toMatch(/not valid JSON/);
  });

  it('checks listen addresses and ports', () => {
    expect(keyOf({ listen: '9750' })).toBe('listen');
    expect(keyOf({ listen: 'host:99999' })).toBe('listen');
    expect(keyOf({ listen: 'host:' })).toBe('listen');
    expect(keyOf({ listen: '::1:9750' })).toBe('listen');
    expect(keyOf({ embeddedEtcd: { clientPort: 0 } })).toBe('embeddedEtcd.clientPort');
    expect(keyOf({ embeddedEtcd: { peerPort: 65536 } })).toBe('embeddedEtcd.peerPort');
    expect(keyOf({ embeddedEtcd: { clientPort: 2380 } })).toBe('embeddedEtcd.peerPort');
    expect(parseCoordinatorConfig({ embeddedEtcd: { clientPort: 1, peerPort: 65535 } }, 't').embeddedEtcd.peerPort).toBe(65535);
  });

  it('keeps the lock timing consistent: TTL >= 2 s, margin below half the TTL', () => {
    expect(keyOf({ lock: { ttlSeconds: 2.5 } })).toBe('lock.ttlSeconds');
    expect(keyOf({ lock: { marginMs: -1 } })).toBe('lock.marginMs');
    expect(keyOf({ lock: { ttlSeconds: 4, marginMs: 2000 } })).toBe('lock.marginMs');
    expect(keyOf({ lock: { lockDelayMs: -5 } })).toBe('lock.lockDelayMs');
    expect(parseCoordinatorConfig({ lock: { ttlSeconds: 2, marginMs: 999, lockDelayMs: 1001, watchdogTimeoutSeconds: 1 } }, 't').lock).toEqual({
      ttlSeconds: 2,
      marginMs: 999,
      lockDelayMs: 1001,
      watchdogTimeoutSeconds: 1,
    });
    // A flag that breaks the rule against the file's values is refused too, as the command line's.
    const path = configFile({ lock: { ttlSeconds: 4, marginMs: 1000, lockDelayMs: 5000 } });
    expect(refusal(() => loadCoordinatorConfig(path, { lock: { ttlSeconds: 2 } })).message).toMatch(/^command line: lock\.marginMs: must be below half the TTL/);
  });

  it('refuses a lock delay too short for the watchdog to reset a dead holder before the next grant', () => {
    expect(keyOf({ lock: { watchdogTimeoutSeconds: 0 } })).toBe('lock.watchdogTimeoutSeconds');
    expect(keyOf({ lock: { watchdogTimeoutSeconds: 2.5 } })).toBe('lock.watchdogTimeoutSeconds');
    // The defaults sit exactly on the rule: 5000 - 2000 + 1000.
    expect(minLockDelayMs(DEFAULT_COORDINATOR_CONFIG.lock)).toBe(4000);
    expect(DEFAULT_COORDINATOR_CONFIG.lock.lockDelayMs).toBe(4000);
    const err = refusal(() => loadCoordinatorConfig(configFile({ lock: { lockDelayMs: 3999 } })));
    expect(err.key).toBe('lock.lockDelayMs');
    expect(err.message).toMatch(/^config .*\.json: lock\.lockDelayMs: must be at least 4000 ms \(lock\.watchdogTimeoutSeconds 5 s - lock\.marginMs 2000 ms \+ 1000 ms\).*got 3999$/);
    // A longer watchdog given alone needs a longer delay; with it, it passes.
    expect(keyOf({ lock: { watchdogTimeoutSeconds: 10 } })).toBe('lock.lockDelayMs');
    expect(parseCoordinatorConfig({ lock: { watchdogTimeoutSeconds: 10, lockDelayMs: 9000 } }, 't').lock.lockDelayMs).toBe(9000);
    // A margin at least the watchdog timeout + 1 s needs no delay at all.
    expect(parseCoordinatorConfig({ lock: { ttlSeconds: 10, marginMs: 4000, watchdogTimeoutSeconds: 3, lockDelayMs: 0 } }, 't').lock.lockDelayMs).toBe(0);
    expect(refusal(() => loadCoordinatorConfig(configFile({}), { lock: { marginMs: 500 } })).message).toMatch(/^command line: lock\.lockDelayMs: must be at least 5500 ms/);
  });

  it('checks etcd endpoints and when TLS may be used', () => {
    expect(keyOf({ etcd: { endpoints: ['etcd1:2379'] } })).toBe('etcd.endpoints[0]');
    expect(keyOf({ etcd: { endpoints: ['http://a:2379', 'ftp://b:2379'] } })).toBe('etcd.endpoints[1]');
    expect(keyOf({ etcd: { endpoints: ['http://a:2379/v3'] } })).toBe('etcd.endpoints[0]');
    expect(keyOf({ etcd: { endpoints: ['http://a:2379', 'https://b:2379'] } })).toBe('etcd.endpoints');
    expect(keyOf({ etcd: { endpoints: ['http://a:2379'], tls } })).toBe('etcd.tls');
    expect(keyOf({ etcd: { tls } })).toBe('etcd.tls');
    expect(keyOf({ etcd: { endpoints: ['https://a:2379'], tls: { ...tls, keyFile: '' } } })).toBe('etcd.tls.keyFile');
    expect(keyOf({ etcd: { endpoints: ['https://a:2379'], tls: { caFile: '/ca', certFile: '/c' } } })).toBe('etcd.tls.keyFile');
    expect(keyOf({ tls: { ...tls, extra: 1 } })).toBe('tls.extra');
    expect(keyOf({ agentTls: { ...tls, certFile: 3 } })).toBe('agentTls.certFile');
    expect(keyOf({ etcd: { prefix: 'thinfleet' } })).toBe('etcd.prefix');
    expect(keyOf({ etcd: { prefix: '' } })).toBe('etcd.prefix');
  });
});
