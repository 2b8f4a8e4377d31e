// Original file: proto/thinfleet/coordinator/v1/session.proto

import type { HostPool as _thinfleet_coordinator_v1_HostPool, HostPool__Output as _thinfleet_coordinator_v1_HostPool__Output } from '../../../thinfleet/coordinator/v1/HostPool.js';

export interface Hello {
  /**
   * The host's node id: unique in the cluster, stable across restarts.
   */
  'nodeId'?: (string);
  /**
   * Where the coordinator reaches this agent: `unix:/path` or `host:port` (mutual TLS).
   */
  'address'?: (string);
  /**
   * The session (lease id, hex) of this agent's previous stream, to keep it; empty for a new one.
   */
  'resumeSession'?: (string);
  'pools'?: (_thinfleet_coordinator_v1_HostPool)[];
  /**
   * The agent's version, for `cluster status`.
   */
  'version'?: (string);
  /**
   * The cluster (lock space) this agent belongs to, from its last Welcome; empty when it never
   * had one. A coordinator serving another cluster refuses the stream (FAILED_PRECONDITION).
   */
  'clusterId'?: (string);
  /**
   * How this host is fenced when its agent cannot fence (docs/agent.md, "Fencing"): "watchdog"
   * (a host watchdog resets it) or "none" (no backstop: the coordinator warns); empty from an
   * agent older than the field (treated as "none").
   */
  'fencing'?: (string);
  /**
   * The host watchdog's timeout in seconds as the device reported it when last armed (arming
   * sets the cluster's; the device is opened only once a pool is held); 0 before the first arm
   * and with fencing "none".
   */
  'watchdogTimeoutSeconds'?: (number);
}

export interface Hello__Output {
  /**
   * The host's node id: unique in the cluster, stable across restarts.
   */
  'nodeId': (string);
  /**
   * Where the coordinator reaches this agent: `unix:/path` or `host:port` (mutual TLS).
   */
  'address': (string);
  /**
   * The session (lease id, hex) of this agent's previous stream, to keep it; empty for a new one.
   */
  'resumeSession': (string);
  'pools': (_thinfleet_coordinator_v1_HostPool__Output)[];
  /**
   * The agent's version, for `cluster status`.
   */
  'version': (string);
  /**
   * The cluster (lock space) this agent belongs to, from its last Welcome; empty when it never
   * had one. A coordinator serving another cluster refuses the stream (FAILED_PRECONDITION).
   */
  'clusterId': (string);
  /**
   * How this host is fenced when its agent cannot fence (docs/agent.md, "Fencing"): "watchdog"
   * (a host watchdog resets it) or "none" (no backstop: the coordinator warns); empty from an
   * agent older than the field (treated as "none").
   */
  'fencing': (string);
  /**
   * The host watchdog's timeout in seconds as the device reported it when last armed (arming
   * sets the cluster's; the device is opened only once a pool is held); 0 before the first arm
   * and with fencing "none".
   */
  'watchdogTimeoutSeconds': (number);
}
