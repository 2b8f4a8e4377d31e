/**
 * The codes issue 13 added to the agent's error mapping reach the CLI as its other refusals do:
 * the agent's status (FAILED_PRECONDITION with `tf-error-code`) becomes exit code 1 with the code
 * in the `--json` error. The status is made by the agent's own mapping (toServiceError).
 */
import type { ServiceError } from '@grpc/grpc-js';
import { EngineError } from '@thinfleet/engine';
import { AgentCallError } from '@thinfleet/client';
import { describe, expect, it } from 'vitest';
import { toServiceError } from '../../../services/agent/src/agent-error.js';
import { describeError } from '../src/output.js';
import { EXIT } from '../src/exit-codes.js';

const endpoint = { kind: 'agent', address: '/run/thinfleet/agent.sock' } as const;

describe('split-brain and stale-owner refusals in the CLI', () => {
  for (const [code, errno] of [
    ['SPLIT_BRAIN', 'EUCLEAN'],
    ['STALE_OWNER', 'ESTALE'],
  ] as const) {
    it(`${code}: FAILED_PRECONDITION, exit 1, the code and errno in the JSON error`, () => {
      const status = toServiceError(new EngineError(code, `pool tank is not served: two holders wrote this pool's catalog`));
      expect(status.code).toBe(9); // FAILED_PRECONDITION
      const serviceError: ServiceError = Object.assign(new Error(status.details), status);
      const err = new AgentCallError(serviceError);
      const described = describeError(err, endpoint);
      expect(described.exitCode).toBe(EXIT.FAILED);
      expect(described.json).toMatchObject({ status: 'FAILED_PRECONDITION', code });
      expect(err.errno).toBe(errno);
      expect(described.message).toContain('two holders wrote');
    });
  }
});
