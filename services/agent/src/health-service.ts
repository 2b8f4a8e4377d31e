/**
 * The standard grpc.health.v1 service: "" and each agent service report SERVING once start-up
 * (recovery of every known pool) is done, NOT_SERVING while the agent shuts down. Watch streams
 * the status now and at each change. Extra names (`setService`) report a part of the agent on
 * their own: in cluster mode `thinfleet.coordinator.v1.SessionService` is SERVING while a
 * coordinator's session stream is open and accepted (never while the agent is not serving).
 */
import { status as grpcStatus, type ServerWritableStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { quoted } from '@thinfleet/engine';
import { SERVICE_NAMES, type HealthCheckRequest__Output, type HealthCheckResponse, type HealthHandlers } from '@thinfleet/proto';

import { toServiceError } from './agent-error.js';
import { malformedRequest } from './rpc.js';

type ServingStatus = 'SERVING' | 'NOT_SERVING';

/** The health name of the cluster session (cluster mode): SERVING while a coordinator's stream is accepted. */
export const SESSION_HEALTH_SERVICE = 'thinfleet.coordinator.v1.SessionService';

export class HealthState {
  private current: ServingStatus = 'NOT_SERVING';
  private readonly extra = new Map<string, ServingStatus>();
  /** Watch streams, with the service each watches. */
  private readonly watchers = new Map<ServerWritableStream<HealthCheckRequest__Output, HealthCheckResponse>, string>();

  set(status: ServingStatus): void {
    this.change(() => {
      this.current = status;
    });
  }

  /** Registers (or updates) an extra service name with its own status. */
  setService(name: string, status: ServingStatus): void {
    this.change(() => this.extra.set(name, status));
  }

  private statusOf(service: string): ServingStatus {
    const own = this.extra.get(service);
    return own === undefined || this.current === 'NOT_SERVING' ? this.current : own;
  }

  private change(apply: () => void): void {
    const before = new Map([...this.watchers].map(([w, service]) => [w, this.statusOf(service)]));
    apply();
    for (const [w, service] of this.watchers) {
      const status = this.statusOf(service);
      if (status !== before.get(w)) w.write({ status });
    }
  }

  /** Ends every Watch stream (shutdown). */
  endWatches(): void {
    for (const w of this.watchers.keys()) w.end();
    this.watchers.clear();
  }

  handlers(): HealthHandlers & UntypedServiceImplementation {
    const known = (service: string): boolean => service === '' || (SERVICE_NAMES as readonly string[]).includes(service) || service === 'grpc.health.v1.Health' || this.extra.has(service);
    return {
      Check: (call, callback) => {
        const malformed = malformedRequest(call.request);
        if (malformed !== null) {
          callback(toServiceError(malformed));
          return;
        }
        if (!known(call.request.service)) {
          callback({ code: grpcStatus.NOT_FOUND, details: `unknown service ${quoted(call.request.service)}` });
          return;
        }
        callback(null, { status: this.statusOf(call.request.service) });
      },
      Watch: (call) => {
        const malformed = malformedRequest(call.request);
        if (malformed !== null) {
          call.emit('error', toServiceError(malformed));
          return;
        }
        if (!known(call.request.service)) {
          call.write({ status: 'SERVICE_UNKNOWN' });
          return;
        }
        call.write({ status: this.statusOf(call.request.service) });
        this.watchers.set(call, call.request.service);
        call.on('cancelled', () => this.watchers.delete(call));
      },
    };
  }
}
