/**
 * The destination side of a copy between hosts (jobs/copy-job.ts): the source's pool is held by
 * another agent, so this agent asks its coordinator, with the credentials of its session
 * (`cluster.coordinators`, `cluster.tls`), which routes each call to the holder of the source's
 * pool: GetVolume to learn the source (uuid, size, external origin) when the copy starts, and
 * the VolumeTransferService stream for each window. Each coordinator is tried in turn until one
 * answers. Nothing is kept between calls but the clients.
 *
 * What arrives is checked before the copy job sees it: every piece lies inside its window, in
 * order, at most 1 MiB, with a 32-byte checksum, and the stream ends with the window's digest;
 * a stream that breaks or breaks these rules fails the window (the job reads it again).
 */
import { Metadata, status, type ChannelCredentials, type Client, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { EngineError } from '@thinfleet/engine';
import { loadAgentApi, type ReadVolumeRunsResponse__Output, type Volume__Output } from '@thinfleet/proto';
import type { ClusterConfig } from '../agent-config.js';
import { AgentError } from '../agent-error.js';
import type { CopyRun, CopySource, CopySourceSpec, CopyWindow } from '../jobs/copy-source.js';
import { coordinatorCredentials } from './coordinator-endpoints.js';

/** The source volume as its holder describes it. */
export interface RemoteVolume {
  readonly uuid: string;
  readonly name: string;
  readonly sizeBytes: number;
  readonly active: boolean;
  /** Its external origin, or ''. */
  readonly externalOrigin: string;
}

/** What the copy job asks of a source another host holds. */
export interface RemoteCopySources {
  /** Volume `name` of pool `pool`, through the coordinator. @throws the coordinator's or the holder's error (NO_SUCH_POOL, NO_SUCH_VOLUME...) */
  describe(pool: string, name: string): Promise<RemoteVolume>;
  /** A reader of the source `spec` names, through the coordinator. */
  source(spec: CopySourceSpec): CopySource;
  /** Deletes volume `name` of pool `pool` now (DeleteVolume, mode NOW), through the coordinator: a moved volume's source. @throws the holder's error */
  deleteVolume(pool: string, name: string): Promise<void>;
  close(): void;
}

/** How long one call may take. */
const CALL_DEADLINE_MS = 60_000;
const MAX_PIECE_BYTES = 1024 * 1024;

type Unary = (r: unknown, m: Metadata, o: { deadline: Date }, cb: (err: ServiceError | null, res: unknown) => void) => void;
type Streaming = (r: unknown, m: Metadata, o: { deadline: Date }) => ClientReadableStream<ReadVolumeRunsResponse__Output>;

/** The sources between hosts over `config`'s coordinators. @throws AgentConfigError for unreadable TLS files */
export function coordinatorTransfer(config: Pick<ClusterConfig, 'coordinators' | 'tls'>): RemoteCopySources {
  const api = loadAgentApi();
  const creds: ChannelCredentials = coordinatorCredentials(config.tls);
  const volumes = config.coordinators.map((a) => new api.VolumeService(a, creds) as unknown as Client & Record<string, Unary>);
  const transfers = config.coordinators.map((a) => new api.VolumeTransferService(a, creds) as unknown as Client & Record<string, Streaming>);

  /** `call` on each coordinator in turn while they are UNAVAILABLE; the last failure otherwise. */
  const eachCoordinator = async <T>(call: (index: number) => Promise<T>): Promise<T> => {
    let last: unknown = null;
    for (let i = 0; i < config.coordinators.length; i++) {
      try {
        return await call(i);
      } catch (err) {
        last = err;
        if ((err as ServiceError).code !== status.UNAVAILABLE || (err as ServiceError).metadata?.get('tf-error-code').length) throw err;
      }
    }
    throw new AgentError('CLUSTER_UNAVAILABLE', `no coordinator answered (${(last as Error | null)?.message ?? 'none configured'})`, { cause: last });
  };

  const readWindow = (spec: CopySourceSpec, fromBytes: number, lengthBytes: number, index: number): Promise<CopyWindow> =>
    new Promise<CopyWindow>((resolve, reject) => {
      const request = {
        pool: spec.pool,
        uuid: spec.uuid,
        fromBytes,
        lengthBytes,
        withOrigin: spec.origin !== '',
        keepOrigin: spec.keepOrigin && spec.origin !== '',
        zeroGranuleBytes: spec.zeroGranuleBytes,
      };
      const stream = transfers[index]!.ReadVolumeRuns!.call(transfers[index], request, new Metadata(), { deadline: new Date(Date.now() + CALL_DEADLINE_MS) });
      const runs: CopyRun[] = [];
      let digest: string | null = null;
      let next = fromBytes;
      const broken = (why: string): void => {
        stream.cancel();
        reject(new AgentError('CHECKSUM_MISMATCH', `the transfer stream of the window at ${fromBytes} ${why}`));
      };
      stream.on('data', (m: ReadVolumeRunsResponse__Output) => {
        if (digest !== null) return broken('went on after its digest');
        if (m.windowSha256.length > 0) {
          if (m.windowSha256.length !== 32 || m.data.length > 0) return broken('ended with a malformed digest');
          digest = Buffer.from(m.windowSha256).toString('hex');
          return;
        }
        const offset = Number(m.offsetBytes);
        if (m.data.length === 0 || m.data.length > MAX_PIECE_BYTES || m.sha256.length !== 32) return broken('carried a malformed piece');
        if (offset < next || offset + m.data.length > fromBytes + lengthBytes) return broken('carried a piece outside its window or out of order');
        next = offset + m.data.length;
        runs.push({ offsetBytes: offset, data: Buffer.from(m.data), sha256: Buffer.from(m.sha256).toString('hex') });
      });
      stream.on('error', (err) => reject(err));
      stream.on('end', () => {
        if (digest === null) reject(new AgentError('CHECKSUM_MISMATCH', `the transfer stream of the window at ${fromBytes} ended without its digest`));
        else resolve({ offsetBytes: fromBytes, lengthBytes, runs, windowSha256: digest });
      });
    });

  return {
    async describe(pool, name) {
      const got = await eachCoordinator(
        (i) =>
          new Promise<{ volume?: Volume__Output | null }>((resolve, reject) => {
            volumes[i]!.GetVolume!.call(volumes[i], { pool, name, usage: false }, new Metadata(), { deadline: new Date(Date.now() + CALL_DEADLINE_MS) }, (err, res) =>
              err === null ? resolve(res as { volume?: Volume__Output | null }) : reject(err),
            );
          }),
      );
      const v = got.volume;
      if (v === null || v === undefined) throw new EngineError('NO_SUCH_VOLUME', `no volume "${name}" in pool ${pool}`, { argument: 'name' });
      return { uuid: v.uuid, name: v.name, sizeBytes: Number(v.sizeBytes), active: v.active, externalOrigin: v.externalOrigin };
    },
    async deleteVolume(pool, name) {
      await eachCoordinator(
        (i) =>
          new Promise<void>((resolve, reject) => {
            volumes[i]!.DeleteVolume!.call(volumes[i], { pool, name, mode: 'DELETE_MODE_NOW' }, new Metadata(), { deadline: new Date(Date.now() + CALL_DEADLINE_MS) }, (err) =>
              err === null ? resolve() : reject(err),
            );
          }),
      );
    },
    source(spec) {
      return { readWindow: (fromBytes, lengthBytes) => eachCoordinator((i) => readWindow(spec, fromBytes, lengthBytes, i)) };
    },
    close() {
      for (const c of [...volumes, ...transfers]) c.close();
    },
  };
}
