/**
 * Certificates for mutual-TLS tests, made by openssl for one run: a CA, a server certificate for
 * 127.0.0.1, and client certificates by name, each as PEM files in `dir`.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestPki {
  readonly caFile: string;
  /** The server's certificate and key (subjectAltName IP:127.0.0.1). */
  readonly server: { readonly certFile: string; readonly keyFile: string };
  /** Each client's certificate and key, by the name given. */
  readonly clients: Readonly<Record<string, { readonly certFile: string; readonly keyFile: string }>>;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function run(dir: string, args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  } catch (err) {
    throw new Error(`openssl ${args[0]} failed (apt-get install openssl): ${(err as Error).message}`, { cause: err });
  }
}

/** One leaf certificate `name`, signed by the CA in `dir`. */
function leaf(dir: string, name: string, san: string): { certFile: string; keyFile: string } {
  run(dir, ['req', ...EC_KEY, '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
  run(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
  return { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
}

/** Makes the CA, the server certificate and one client certificate per name in `clientNames`. */
export function makeTestPki(dir: string, clientNames: readonly string[]): TestPki {
  run(dir, ['req', '-x509', ...EC_KEY, '-days', '1', '-subj', '/CN=thinfleet-test-ca', '-keyout', 'ca.key', '-out', 'ca.crt']);
  const server = leaf(dir, 'server', 'IP:127.0.0.1');
  const clients = Object.fromEntries(clientNames.map((name) => [name, leaf(dir, name, `DNS:${name}`)]));
  return { caFile: join(dir, 'ca.crt'), server, clients };
}
