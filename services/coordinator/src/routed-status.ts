/**
 * How a routed call ends: the typed unary handler wrapper every routed method goes through, and
 * the one mapping of a failure to a gRPC status. A status (the coordinator's own or an agent's)
 * passes through as it is; etcd not answering is the coordinator's `ETCD` (UNAVAILABLE: a client
 * retries); anything else is `INTERNAL` (a bug: retrying would not help, so clients do not).
 */
import { Metadata, status as grpcStatus, type handleUnaryCall, type ServerUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { isBrokenCircuitError } from 'cockatiel';
import { ClientClosedError, EtcdWatchStreamEnded, GRPCDeadlineExceededError, GRPCUnavailableError, isRecoverableError } from 'etcd3';
import type { Logger } from 'pino';
import { coordinatorError, errorCodeOf, isServiceError } from './coordinator-error.js';
import type { CoordinatorMetrics } from './coordinator-metrics.js';
import { EtcdWatchTimeoutError } from './key-changes.js';

/** Metadata key of the host a caller would like a new volume placed on (CreateVolume only). */
export const HOST_HINT_METADATA = 'tf-host';

/**
 * True for an error that says etcd cannot be reached now: a network or server error the etcd3
 * client would retry, its circuit breaker open, a deadline, a closed client (the coordinator is
 * stopping), a watch that could not be set up or ended.
 */
export function isEtcdUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return (
    isRecoverableError(err) ||
    isBrokenCircuitError(err) ||
    err instanceof GRPCUnavailableError ||
    err instanceof GRPCDeadlineExceededError ||
    err instanceof ClientClosedError ||
    err instanceof EtcdWatchStreamEnded ||
    err instanceof EtcdWatchTimeoutError
  );
}

/** The status a failed routed call answers with (see the module comment). Pure. */
export function asStatus(err: unknown): ServiceError {
  if (isServiceError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return coordinatorError(isEtcdUnavailable(err) ? 'ETCD' : 'INTERNAL', `coordinator: ${message}`, { cause: err });
}

/** A failed call's outcome label: its `tf-error-code`, else the gRPC status name. */
export function outcomeOf(status: ServiceError): string {
  const code = errorCodeOf(status);
  if (code !== null) return code.slice(0, 64); // an agent's code, from a fixed set; bounded all the same
  return grpcStatus[status.code] ?? 'UNKNOWN';
}

/** What {@link routedUnary} logs to and counts in. */
export interface RoutedCallContext {
  readonly logger: Logger;
  readonly metrics?: Pick<CoordinatorMetrics, 'routedCall'> | undefined;
}

/**
 * A typed unary handler from `fn`: its answer is sent, its failure becomes {@link asStatus}
 * (logged as an error unless it is a status). Each call is counted by method and outcome (OK,
 * `tf-error-code`, or the status name).
 */
export function routedUnary<Req, Res>(ctx: RoutedCallContext, fn: (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const method = call.getPath().slice(call.getPath().lastIndexOf('/') + 1);
    fn(call.request, call).then(
      (response) => {
        ctx.metrics?.routedCall(method, 'OK');
        callback(null, response);
      },
      (err: unknown) => {
        if (!isServiceError(err)) ctx.logger.error({ err }, 'routing failed');
        const status = asStatus(err);
        ctx.metrics?.routedCall(method, outcomeOf(status));
        callback(status);
      },
    );
  };
}

/** The `tf-host` hint of a call, or null. */
export function hintOf(metadata: Metadata): string | null {
  const value = metadata.get(HOST_HINT_METADATA)[0];
  return typeof value === 'string' && value !== '' ? value : null;
}
