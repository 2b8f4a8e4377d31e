/**
 * The standard grpc.health.v1 service on the coordinator: "" (the whole coordinator) and each
 * service it serves answer SERVING while etcd answers a read within `etcdTimeoutMs`, NOT_SERVING
 * when it does not or while the coordinator stops; an unknown service is NOT_FOUND (Check) or
 * SERVICE_UNKNOWN (Watch). Watch sends the status now and at each change, looking every
 * `watchEveryMs`. Reads only; keeps nothing.
 */
import { status as grpcStatus, type ServerWritableStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { COORDINATOR_SERVICE_NAMES, SERVICE_NAMES, type HealthCheckRequest__Output, type HealthCheckResponse, type HealthHandlers } from '@thinfleet/proto';
import type { Etcd3 } from 'etcd3';

export interface CoordinatorHealthOptions {
  readonly etcd: Etcd3;
  /** A key the probe reads (it need not exist): the coordinator's prefix. */
  readonly probeKey: string;
  /** How long etcd has to answer the probe (default 2000 ms). */
  readonly etcdTimeoutMs?: number;
  /** How often a Watch looks again (default 2000 ms). */
  readonly watchEveryMs?: number;
}

type ServingStatus = 'SERVING' | 'NOT_SERVING';

export class CoordinatorHealth {
  private stopping = false;
  private readonly watches = new Set<ServerWritableStream<HealthCheckRequest__Output, HealthCheckResponse>>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly options: CoordinatorHealthOptions) {}

  /** NOT_SERVING from now on; ends every Watch. Idempotent. */
  stop(): void {
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    this.timers.clear();
    for (const w of this.watches) w.end();
    this.watches.clear();
  }

  /** SERVING when etcd answers a read in time. Never rejects. */
  async status(): Promise<ServingStatus> {
    if (this.stopping) return 'NOT_SERVING';
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<ServingStatus>((resolve) => {
      timer = setTimeout(() => resolve('NOT_SERVING'), this.options.etcdTimeoutMs ?? 2000);
    });
    const probe = this.options.etcd.kv.range({ key: Buffer.from(this.options.probeKey), limit: 1, keys_only: true }).then(
      (): ServingStatus => 'SERVING',
      (): ServingStatus => 'NOT_SERVING',
    );
    const answer = await Promise.race([probe, timeout]);
    clearTimeout(timer);
    return this.stopping ? 'NOT_SERVING' : answer;
  }

  handlers(): HealthHandlers & UntypedServiceImplementation {
    const names: readonly string[] = ['', 'grpc.health.v1.Health', ...SERVICE_NAMES, ...COORDINATOR_SERVICE_NAMES];
    return {
      Check: (call, callback) => {
        if (!names.includes(call.request.service)) {
          callback({ code: grpcStatus.NOT_FOUND, details: `unknown service ${call.request.service.slice(0, 64)}` });
          return;
        }
        void this.status().then((status) => callback(null, { status }));
      },
      Watch: (call) => {
        if (!names.includes(call.request.service)) {
          call.write({ status: 'SERVICE_UNKNOWN' });
          return;
        }
        let last: ServingStatus | null = null;
        const look = (): void => {
          void this.status().then((status) => {
            if (status !== last && !call.cancelled) call.write({ status });
            last = status;
          });
        };
        look();
        const timer = setInterval(look, this.options.watchEveryMs ?? 2000).unref();
        this.timers.add(timer);
        this.watches.add(call);
        call.on('cancelled', () => {
          clearInterval(timer);
          this.timers.delete(timer);
          this.watches.delete(call);
        });
      },
    };
  }
}
