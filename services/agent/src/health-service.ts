/**
 * The standard grpc.health.v1 service: "" and each agent service report SERVING once start-up
 * (recovery of every known pool) is done, NOT_SERVING while the agent shuts down. Watch streams
 * the status now and at each change.
 */
import { status as grpcStatus, type ServerWritableStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { quoted } from '@thinfleet/engine';
import { SERVICE_NAMES, type HealthCheckRequest__Output, type HealthCheckResponse, type HealthHandlers } from '@thinfleet/proto';

import { toServiceError } from './agent-error.js';
import { malformedRequest } from './rpc.js';

type ServingStatus = 'SERVING' | 'NOT_SERVING';

export class HealthState {
  private current: ServingStatus = 'NOT_SERVING';
  private readonly watchers = new Set<ServerWritableStream<HealthCheckRequest__Output, HealthCheckResponse>>();

  set(status: ServingStatus): void {
    if (status === this.current) return;
    this.current = status;
    for (const w of this.watchers) w.write({ status });
  }

  /** Ends every Watch stream (shutdown). */
  endWatches(): void {
    for (const w of this.watchers) w.end();
    this.watchers.clear();
  }

  handlers(): HealthHandlers & UntypedServiceImplementation {
    const known = (service: string): boolean => service === '' || (SERVICE_NAMES as readonly string[]).includes(service) || service === 'grpc.health.v1.Health';
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
        callback(null, { status: this.current });
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
        call.write({ status: this.current });
        this.watchers.add(call);
        call.on('cancelled', () => this.watchers.delete(call));
      },
    };
  }
}
