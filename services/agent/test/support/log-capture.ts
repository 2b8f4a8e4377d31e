/** A pino logger at trace level that keeps every record it writes, parsed, for assertions. */
import { pino, type Logger } from 'pino';

export interface LogRecord {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** pino's numeric levels, by name. */
export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

export function captureLog(): { readonly log: Logger; readonly records: LogRecord[] } {
  const records: LogRecord[] = [];
  const log = pino({ level: 'trace' }, { write: (line: string) => void records.push(JSON.parse(line) as LogRecord) });
  return { log, records };
}
