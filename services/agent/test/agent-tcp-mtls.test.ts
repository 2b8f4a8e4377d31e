/**
 * TCP with mutual TLS: a client with a certificate the configured CA signed is served; one
 * without a client certificate, or with one from another CA, is refused.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata, type ChannelCredentials, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadAgentApi } from '@thinfleet/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAgent, type TestAgent } from './support/test-agent.js';

const dir = mkdtempSync(join(tmpdir(), 'tf-tls-'));
const file = (name: string): string => join(dir, name);

function openssl(...args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  } catch (err) {
    throw new Error(`openssl ${args.join(' ')} failed (is openssl installed? apt-get install openssl): ${(err as Error).message}`, { cause: err });
  }
}

/** A CA, and a certificate `name` it signs for `san`. */
function makeCa(ca: string): void {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${ca}`, '-keyout', `${ca}.key`, '-out', `${ca}.crt`);
}
function makeCert(ca: string, name: string, san: string): void {
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
  writeFileSync(file(`${name}.ext`), `subjectAltName=${san}\n`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`);
}

function listPools(address: string, creds: ChannelCredentials): Promise<unknown> {
  const client: Client = new (loadAgentApi().PoolService)(address, creds);
  return new Promise((resolve, reject) => {
    (client as unknown as { ListPools: (r: unknown, m: Metadata, o: object, cb: (e: ServiceError | null, r: unknown) => void) => void }).ListPools(
      {},
      new Metadata(),
      { deadline: new Date(Date.now() + 5_000) },
      (err, response) => {
        client.close();
        if (err) reject(err);
        else resolve(response);
      },
    );
  });
}

describe('agent over TCP with mutual TLS', () => {
  let t: TestAgent;
  let address: string;

  beforeAll(async () => {
    makeCa('ca');
    makeCa('other-ca');
    makeCert('ca', 'server', 'IP:127.0.0.1,DNS:localhost');
    makeCert('ca', 'client', 'DNS:client');
    makeCert('other-ca', 'stranger', 'DNS:stranger');
    t = await startTestAgent({ config: { tcp: { listen: '127.0.0.1:0', caFile: file('ca.crt'), certFile: file('server.crt'), keyFile: file('server.key') } } });
    address = `127.0.0.1:${t.agent.tcpPort}`;
  });
  afterAll(async () => {
    await t?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const read = (name: string): Buffer => readFileSync(file(name));

  it('serves a client whose certificate the CA signed', async () => {
    expect(await listPools(address, credentials.createSsl(read('ca.crt'), read('client.key'), read('client.crt')))).toEqual({ pools: [] });
  });

  it('refuses a client without a certificate', async () => {
    await expect(listPools(address, credentials.createSsl(read('ca.crt')))).rejects.toMatchObject({ code: 14 });
  });

  it('refuses a client whose certificate another CA signed', async () => {
    await expect(listPools(address, credentials.createSsl(read('ca.crt'), read('stranger.key'), read('stranger.crt')))).rejects.toMatchObject({ code: 14 });
  });
});
