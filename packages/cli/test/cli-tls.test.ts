/**
 * `thinfleet --agent host:port` against a real agent on TCP with mutual TLS: served with a
 * certificate the agent's CA signed, unreachable (exit 3) with one from another CA, and a usage
 * error (exit 2, nothing sent) when a PEM file cannot be read. Certificates are made with the
 * openssl command for each run.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAgent, type TestAgent } from '../../../services/agent/test/support/test-agent.js';
import { runCli } from '../src/index.js';
import { memoryIo } from './support/memory-io.js';

const dir = mkdtempSync(join(tmpdir(), 'tf-cli-tls-'));
const pem = (name: string): string => join(dir, name);

function run(args: readonly string[]): void {
  try {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  } catch (err) {
    throw new Error(`openssl ${args[0] ?? ''} failed (is openssl installed?): ${(err as Error).message}`, { cause: err });
  }
}

/** A self-signed CA `name` (name.crt, name.key). */
function authority(name: string): void {
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`]);
}

/** A certificate `name` for `altNames`, signed by CA `by`. */
function certificate(name: string, by: string, altNames: string): void {
  run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
  writeFileSync(pem(`${name}.ext`), `subjectAltName=${altNames}\n`);
  run(['x509', '-req', '-in', `${name}.csr`, '-CA', `${by}.crt`, '-CAkey', `${by}.key`, '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
}

let agent: TestAgent;
let address: string;

beforeAll(async () => {
  authority('agent-ca');
  authority('elsewhere-ca');
  certificate('agent', 'agent-ca', 'DNS:localhost,IP:127.0.0.1');
  certificate('operator', 'agent-ca', 'DNS:operator');
  certificate('intruder', 'elsewhere-ca', 'DNS:intruder');
  agent = await startTestAgent({
    config: { tcp: { listen: '127.0.0.1:0', caFile: pem('agent-ca.crt'), certFile: pem('agent.crt'), keyFile: pem('agent.key') } },
  });
  address = `localhost:${agent.agent.tcpPort}`;
});

afterAll(async () => {
  await agent?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(client: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { io, stdout, stderr } = memoryIo();
  const code = await runCli(['--agent', address, '--tls-ca', pem('agent-ca.crt'), '--tls-cert', pem(`${client}.crt`), '--tls-key', pem(`${client}.key`), ...argv], io);
  return { code, stdout: stdout(), stderr: stderr() };
}

describe('thinfleet over TCP with mutual TLS', () => {
  it('is served with a certificate the agent CA signed', async () => {
    expect(await cli('operator', '--json', 'pool', 'list')).toEqual({ code: 0, stdout: '{\n  "pools": []\n}\n', stderr: '' });
    expect(await cli('operator', 'health')).toEqual({ code: 0, stdout: 'SERVING\n', stderr: '' });
  });

  it('cannot reach the agent with a certificate from another CA', async () => {
    const result = await cli('intruder', 'pool', 'list');
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`cannot reach the agent at ${address}`);
  });

  it('stops with a usage error when a PEM file cannot be read', async () => {
    const result = await cli('nobody', 'pool', 'list');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(pem('nobody.crt'));
  });
});
