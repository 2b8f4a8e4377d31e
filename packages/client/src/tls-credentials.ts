/**
 * Mutual TLS for a client: the PEM files a user names, read into grpc-js channel credentials.
 * Shared by the agent (TCP) and coordinator connections.
 */
import { readFile } from 'node:fs/promises';
import { credentials, type ChannelCredentials } from '@grpc/grpc-js';

/** PEM files for mutual TLS to a server (an agent on TCP, or a coordinator). */
export interface TlsFiles {
  /** The CA that signed the server's certificate. */
  readonly caFile: string;
  /** This client's certificate (the server checks it against its own CA). */
  readonly certFile: string;
  /** This client's private key. */
  readonly keyFile: string;
}

/**
 * Reads the CA, certificate and key (in that order, so a problem is always reported for the first
 * file that has it) and makes mutual-TLS channel credentials. Rejects with a plain Error naming
 * the file, with the errno as `code` and the fs error as `cause`. Reads only; opens no connection.
 */
export async function mutualTlsCredentials(tls: TlsFiles): Promise<ChannelCredentials> {
  const ca = await readPem('CA certificate', tls.caFile);
  const cert = await readPem('client certificate', tls.certFile);
  const key = await readPem('client key', tls.keyFile);
  return credentials.createSsl(ca, key, cert);
}

async function readPem(what: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw Object.assign(new Error(`cannot read the ${what} ${path}: ${(err as Error).message}`, { cause: err }), { code });
  }
}
