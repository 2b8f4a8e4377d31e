/**
 * The `thinfleet` command's exit codes. Scripts rely on them: 1 means the agent (or coordinator)
 * was asked and said no (or the work failed), 2 means nothing was sent, 3 means nothing could be
 * sent.
 */
export const EXIT = {
  /** The command did what it was asked. */
  OK: 0,
  /**
   * The agent or coordinator answered no, or the operation failed (including a watched job that
   * failed or was cancelled, and a coordinator saying the host behind it is unreachable).
   */
  FAILED: 1,
  /** The command line or an input file was wrong; nothing was sent to the agent. */
  USAGE: 2,
  /** The agent or coordinator itself could not be reached (not running, wrong socket or address, connection refused) or is shutting down. */
  UNREACHABLE: 3,
} as const;

/** One of the EXIT values. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
