/**
 * Plain grpc-js clients of the agent's services for its own tests (the typed client package
 * has its own tests): `call` resolves the response or rejects with the grpc ServiceError, whose
 * code and trailing metadata the tests inspect.
 */
import { credentials, Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadAgentApi } from '@thinfleet/proto';

type Unary = (request: unknown, metadata: Metadata, options: { deadline: Date }, callback: (err: ServiceError | null, response: unknown) => void) => unknown;

export interface RawClients {
  readonly pool: Client;
  readonly volume: Client;
  readonly job: Client;
  readonly deviceSnapshot: Client;
  readonly health: Client;
  /** One unary call; `metadata` adds request headers (e.g. `tf-lock-token`). */
  call<T = Record<string, unknown>>(client: Client, method: string, request: unknown, metadata?: Record<string, string>): Promise<T>;
  close(): void;
}

export function rawClients(socketPath: string): RawClients {
  const api = loadAgentApi();
  // A socket path, or a full gRPC target (`127.0.0.1:9750` for a coordinator).
  const target = socketPath.startsWith('/') ? `unix:${socketPath}` : socketPath;
  const insecure = credentials.createInsecure();
  const pool = new api.PoolService(target, insecure);
  const volume = new api.VolumeService(target, insecure);
  const job = new api.JobService(target, insecure);
  const deviceSnapshot = new api.DeviceSnapshotService(target, insecure);
  const health = new api.Health(target, insecure);
  return {
    pool,
    volume,
    job,
    deviceSnapshot,
    health,
    call: <T>(client: Client, method: string, request: unknown, headers: Record<string, string> = {}) =>
      new Promise<T>((resolve, reject) => {
        const fn = (client as unknown as Record<string, Unary>)[method];
        if (fn === undefined) throw new Error(`no method ${method}`);
        const metadata = new Metadata();
        for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
        fn.call(client, request, metadata, { deadline: new Date(Date.now() + 30_000) }, (err, response) => (err ? reject(err) : resolve(response as T)));
      }),
    close: () => {
      for (const c of [pool, volume, job, deviceSnapshot, health]) c.close();
    },
  };
}

/** The call's failure: status code, details and the tf-* trailers. */
export async function failure(promise: Promise<unknown>): Promise<{ code: number; details: string; errorCode: string; field: string | null; item: string | null }> {
  try {
    await promise;
  } catch (err) {
    const e = err as ServiceError;
    const get = (key: string): string | null => {
      const v = e.metadata?.get(key)[0];
      return typeof v === 'string' ? v : null;
    };
    return { code: e.code, details: e.details, errorCode: get('tf-error-code') ?? '', field: get('tf-field'), item: get('tf-item') };
  }
  throw new Error('expected the call to fail, and it succeeded');
}
