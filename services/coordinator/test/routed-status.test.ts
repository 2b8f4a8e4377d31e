/**
 * How a routed call that failed answers: a status passes through, etcd not answering is ETCD
 * (UNAVAILABLE: clients retry), anything else is INTERNAL (a bug: clients do not retry it).
 */
import { status } from '@grpc/grpc-js';
import { BrokenCircuitError } from 'cockatiel';
import { ClientClosedError, GRPCDeadlineExceededError, GRPCUnavailableError } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { coordinatorError, errorCodeOf } from '../src/coordinator-error.js';
import { EtcdWatchTimeoutError } from '../src/key-changes.js';
import { asStatus, isEtcdUnavailable, outcomeOf } from '../src/routed-status.js';

describe('the status of a failed routed call', () => {
  it('is INTERNAL for an unexpected error, with its message, and not retried by clients', () => {
    const answered = asStatus(new TypeError("Cannot read properties of undefined (reading 'pool')"));
    expect(answered.code).toBe(status.INTERNAL);
    expect(errorCodeOf(answered)).toBe('INTERNAL');
    expect(answered.details).toBe("coordinator: Cannot read properties of undefined (reading 'pool')");
    expect(outcomeOf(answered)).toBe('INTERNAL');
    expect(asStatus('a string thrown').code).toBe(status.INTERNAL);
  });

  it('is ETCD (UNAVAILABLE) only when etcd does not answer', () => {
    for (const err of [
      new GRPCUnavailableError('14 UNAVAILABLE: No connection established'),
      new GRPCDeadlineExceededError('4 DEADLINE_EXCEEDED'),
      new BrokenCircuitError(),
      new ClientClosedError('kv'),
      new EtcdWatchTimeoutError('no watch'),
    ]) {
      expect(isEtcdUnavailable(err)).toBe(true);
      const answered = asStatus(err);
      expect(answered.code).toBe(status.UNAVAILABLE);
      expect(errorCodeOf(answered)).toBe('ETCD');
    }
    expect(isEtcdUnavailable(new Error('x'))).toBe(false);
  });

  it("passes a status (the coordinator's own or an agent's) through as it is", () => {
    const own = coordinatorError('NO_HOST', 'no host with a live session reaches pool tank');
    expect(asStatus(own)).toBe(own);
  });
});
