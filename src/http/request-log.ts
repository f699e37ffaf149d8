/**
 * The request log: one line per finished request, in the pino logger's own format, written in
 * batches. Building each line through `logger.info` and handing it to the destination one by
 * one cost ~6 µs a request, more than the rest of a cached health check; here a line is one
 * template string, and lines logged in the same turn of the event loop go out in one write.
 */
import { pino, type Logger } from 'pino';

/** What the server knows about a request when it finishes. */
export interface FinishedRequest {
  reqId: string;
  method: string;
  path: string;
  status: number;
  ms: number;
}

interface Destination {
  write(chunk: string): unknown;
  /** Present on pino's own destinations (SonicBoom), which take several lines in one write. */
  flushSync?: () => void;
}

export class RequestLog {
  private readonly enabled: boolean;
  private readonly destination: Destination | null;
  /** The logger's bindings, pre-serialized by pino: `,"service":"llais"`. */
  private readonly bindings: string;
  private pending: string[] = [];
  private scheduled = false;

  constructor(private readonly logger: Logger) {
    this.enabled = logger.isLevelEnabled('info');
    const internals = logger as unknown as Record<symbol, unknown>;
    const destination = internals[pino.symbols.streamSym] as Destination | undefined;
    const bindings = internals[pino.symbols.chindingsSym];
    // Lines are written in pino's default format (createLogger's); a logger whose internals are
    // not there (a wrapper, another library) gets logger.info instead.
    this.destination = destination && typeof destination.write === 'function' && typeof bindings === 'string' ? destination : null;
    this.bindings = typeof bindings === 'string' ? bindings : '';
  }

  record(r: FinishedRequest): void {
    if (!this.enabled) return;
    if (this.destination === null) {
      this.logger.info({ reqId: r.reqId, method: r.method, path: r.path, status: r.status, ms: r.ms }, 'request');
      return;
    }
    // reqId is a checked token or generated; method and path come from the client, so they are escaped.
    this.pending.push(`{"level":30,"time":${Date.now()}${this.bindings},"reqId":"${r.reqId}","method":${JSON.stringify(r.method)},"path":${JSON.stringify(r.path)},"status":${r.status},"ms":${r.ms},"msg":"request"}\n`);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes what is pending: joined for pino's destinations, line by line for any other stream. */
  flush(): void {
    this.scheduled = false;
    const lines = this.pending;
    if (lines.length === 0) return;
    this.pending = [];
    if (typeof this.destination?.flushSync === 'function') this.destination.write(lines.join(''));
    else for (const line of lines) this.destination?.write(line);
  }
}
