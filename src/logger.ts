/**
 * The root pino logger; requests and sessions log through child loggers of it.
 *
 * Lines go to stdout asynchronously: a synchronous write per request cost more than a cached
 * health check's handler. Lines logged while a write is in flight are sent together in the next
 * one; pino flushes what is left synchronously on exit and after a fatal line. The buffer is
 * bounded, so a stdout nobody reads (a stuck pipe) drops lines instead of growing memory.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

/** What may wait for a stuck stdout before lines are dropped. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'llais' } }, pino.destination({ dest: 1, sync: false, maxLength: MAX_BUFFERED_BYTES }));
}
