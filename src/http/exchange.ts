/**
 * One HTTP request/response pair, wrapped so the rest of the server never touches uWS.
 *
 * uWS rules this class enforces: request data is copied in the constructor (the uWS request
 * object is invalid after the first `await`); `onAborted` is registered at once and turned into
 * an AbortSignal; every write after an `await` is corked; `write()`'s back-pressure result is
 * honoured by awaiting `onWritable`.
 */
import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { ApiError } from '../errors.js';
import { statusLine } from './status-line.js';

/**
 * Body chunks that may wait in JS for a streaming reader before the socket is paused: one being
 * handed over and one in hand, so a slow consumer (a disk write) holds the client back instead of
 * growing our memory.
 */
const BODY_CHUNKS_AHEAD = 2;

export class HttpExchange {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string>>;
  readonly remoteIp: string;
  /** The TCP peer's address, whatever the headers say (per-IP limits decide from it). */
  readonly socketIp: string;
  readonly requestId: string;
  readonly startedAt = performance.now();
  /** Aborts when the client goes away before we finished. */
  readonly signal: AbortSignal;
  /** Route parameters, filled by the router. */
  params: Record<string, string> = {};
  statusCode = 0;
  private readonly controller = new AbortController();
  private readonly extraHeaders: Array<[string, string]> = [];
  private headersSent = false;
  private finished = false;
  private bodyPromise: Promise<Buffer> | null = null;
  private bodyTaken = false;
  private writableWaiter: (() => void) | null = null;
  private readonly finishCallbacks: Array<() => void> = [];

  constructor(private readonly res: HttpResponse, req: HttpRequest) {
    this.method = req.getMethod().toUpperCase();
    this.path = req.getUrl();
    this.query = new URLSearchParams(req.getQuery() ?? '');
    const headers: Record<string, string> = {};
    req.forEach((k, v) => {
      headers[k] = v;
    });
    this.headers = headers;
    const forwarded = headers['x-forwarded-for'];
    this.socketIp = Buffer.from(res.getRemoteAddressAsText()).toString();
    this.remoteIp = forwarded ? forwarded.split(',')[0]!.trim() : this.socketIp;
    const incomingId = headers['x-request-id'];
    this.requestId = incomingId && /^[\w.-]{1,128}$/.test(incomingId) ? incomingId : randomUUID();
    this.signal = this.controller.signal;
    res.onAborted(() => {
      this.finished = true;
      this.controller.abort(new ApiError('client_closed', 'Client closed the connection'));
      this.writableWaiter?.();
      this.runFinish();
    });
  }

  get aborted(): boolean {
    return this.signal.aborted;
  }

  get done(): boolean {
    return this.finished;
  }

  /** Called once when the response is complete or the client has gone. */
  onFinish(cb: () => void): void {
    this.finishCallbacks.push(cb);
  }

  private runFinish(): void {
    const cbs = this.finishCallbacks.splice(0);
    for (const cb of cbs) cb();
  }

  /** Adds a header to whatever response is sent next (before headers go out). */
  setHeader(name: string, value: string): void {
    this.extraHeaders.push([name, value]);
  }

  /**
   * Reads the whole body, rejecting with 413 once it passes `limitBytes`. uWS delivers the
   * body in chunks that are only valid inside the callback, so each is copied.
   */
  readBody(limitBytes: number): Promise<Buffer> {
    if (this.bodyPromise) return this.bodyPromise;
    if (this.bodyTaken) throw new Error('request body already read');
    const declared = Number(this.headers['content-length'] ?? NaN);
    this.bodyPromise = new Promise<Buffer>((resolve, reject) => {
      if (Number.isFinite(declared) && declared > limitBytes) {
        reject(tooLarge(limitBytes));
        // Keep reading (and discarding) so the 413 can still be written on this connection.
        this.res.onData(() => {});
        return;
      }
      const parts: Buffer[] = [];
      let size = 0;
      let failed = false;
      this.res.onData((chunk, isLast) => {
        if (failed) return;
        size += chunk.byteLength;
        if (size > limitBytes) {
          failed = true;
          reject(tooLarge(limitBytes));
          return;
        }
        parts.push(Buffer.from(new Uint8Array(chunk).slice()));
        if (isLast) resolve(parts.length === 1 ? parts[0]! : Buffer.concat(parts, size));
      });
      this.signal.addEventListener('abort', () => reject(this.signal.reason), { once: true });
    });
    return this.bodyPromise;
  }

  /**
   * The body as it arrives, one chunk (a copy) at a time, for readers that write it elsewhere.
   * At most `BODY_CHUNKS_AHEAD` chunks wait here: beyond that the socket is paused until the
   * consumer takes one. Iteration throws 413 `body_too_large` as soon as the body passes
   * `limitBytes` (at once when Content-Length announces it), or the abort reason if the client
   * goes. A consumer that stops early leaves the rest of the body to be read and dropped, so that
   * its error response can still be written on this connection.
   */
  bodyChunks(limitBytes: number): AsyncIterable<Buffer> {
    if (this.bodyTaken || this.bodyPromise) throw new Error('request body already read');
    this.bodyTaken = true;
    const declared = Number(this.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > limitBytes) {
      this.dropBody(false);
      const error = tooLarge(limitBytes);
      return (async function* refused(): AsyncGenerator<Buffer, void, undefined> {
        throw error;
      })();
    }
    // Registered now, not on first iteration: uWS drops body data that arrives with no handler.
    const body: BodyQueue = { chunks: [], ended: false, paused: false, failure: null, wake: null };
    let size = 0;
    this.res.onData((chunk, isLast) => {
      if (body.failure !== null) return;
      size += chunk.byteLength;
      if (size > limitBytes) body.failure = tooLarge(limitBytes);
      // uWS's chunk is only valid inside this callback: one copy, kept until the consumer takes it.
      else if (chunk.byteLength > 0) body.chunks.push(Buffer.copyBytesFrom(new Uint8Array(chunk)));
      if (isLast) body.ended = true;
      else if (body.chunks.length >= BODY_CHUNKS_AHEAD && !body.paused) {
        body.paused = true;
        this.res.pause();
      }
      body.wake?.();
    });
    return this.takeChunks(body);
  }

  private async *takeChunks(body: BodyQueue): AsyncGenerator<Buffer, void, undefined> {
    const onAbort = (): void => {
      body.failure ??= this.signal.reason;
      body.wake?.();
    };
    this.signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        while (body.chunks.length === 0 && !body.ended && body.failure === null) {
          if (this.signal.aborted) throw this.signal.reason;
          await new Promise<void>((resolve) => (body.wake = resolve));
        }
        body.wake = null;
        if (body.failure !== null) throw body.failure;
        const next = body.chunks.shift();
        if (next === undefined) return;
        if (body.paused && body.chunks.length < BODY_CHUNKS_AHEAD) {
          body.paused = false;
          this.res.resume();
        }
        yield next;
      }
    } finally {
      this.signal.removeEventListener('abort', onAbort);
      if (!body.ended) this.dropBody(body.paused);
    }
  }

  /** Reads and drops whatever is left of the body (a refusal still needs the socket to answer on). */
  private dropBody(paused: boolean): void {
    if (this.signal.aborted) return;
    this.res.onData(() => {});
    if (paused) this.res.resume();
  }

  private writeHead(status: number, headers: Record<string, string>): void {
    this.statusCode = status;
    this.headersSent = true;
    this.res.writeStatus(statusLine(status));
    this.res.writeHeader('X-Request-Id', this.requestId);
    for (const [k, v] of this.extraHeaders) this.res.writeHeader(k, v);
    for (const [k, v] of Object.entries(headers)) this.res.writeHeader(k, v);
  }

  /** Sends a complete response. No-op when the client has gone. */
  send(status: number, headers: Record<string, string>, body?: string | Uint8Array): void {
    if (this.method === 'HEAD') {
      this.sendHead(status, headers, body === undefined ? 0 : byteLength(body));
      return;
    }
    if (this.finished) return;
    if (this.headersSent) throw new Error('response already started');
    this.finished = true;
    this.res.cork(() => {
      this.writeHead(status, headers);
      this.res.end(body ?? '');
    });
    this.runFinish();
  }

  /** Answers a HEAD request with the Content-Length its GET would have, without a body to measure. */
  sendHead(status: number, headers: Record<string, string>, contentLength: number): void {
    if (this.finished) return;
    if (this.headersSent) throw new Error('response already started');
    this.finished = true;
    this.res.cork(() => {
      this.writeHead(status, headers);
      this.res.endWithoutBody(contentLength);
    });
    this.runFinish();
  }

  json(status: number, value: unknown, headers: Record<string, string> = {}): void {
    this.send(status, { 'Content-Type': 'application/json', ...headers }, JSON.stringify(value));
  }

  /** Sends the error envelope; internal errors are logged by the caller, shown generic here. */
  error(err: ApiError): void {
    if (this.headersSent) {
      this.abortConnection();
      return;
    }
    this.json(err.status, err.toEnvelope(), err.headers);
  }

  /** Starts a chunked (or, with Content-Length, a fixed-length) streamed response. */
  startStream(status: number, headers: Record<string, string>): void {
    if (this.finished) return;
    this.res.cork(() => this.writeHead(status, headers));
  }

  get streaming(): boolean {
    return this.headersSent && !this.finished;
  }

  /**
   * Writes one chunk and resolves when the socket can take more, so a slow client slows the
   * producer instead of growing our memory. Rejects if the client has gone.
   */
  async write(chunk: Uint8Array | string): Promise<void> {
    if (this.finished) throw this.signal.reason ?? new Error('response finished');
    let ok = true;
    this.res.cork(() => {
      ok = this.res.write(chunk);
    });
    if (ok) return;
    await new Promise<void>((resolve) => {
      this.writableWaiter = resolve;
      this.res.onWritable(() => {
        this.writableWaiter = null;
        resolve();
        return true;
      });
    });
    if (this.finished) throw this.signal.reason ?? new Error('response finished');
  }

  /** Ends a streamed response. */
  end(chunk?: Uint8Array | string): void {
    if (this.finished) return;
    this.finished = true;
    this.res.cork(() => {
      this.res.end(chunk ?? '');
    });
    this.runFinish();
  }

  /**
   * Writes part of a fixed-length body with uWS's `tryEnd`, waiting on back-pressure.
   * Returns false when the client has gone.
   */
  async writeFixed(chunk: Uint8Array, totalSize: number): Promise<boolean> {
    let offset = this.res.getWriteOffset();
    const start = offset;
    for (;;) {
      if (this.finished) return false;
      let ok = false;
      let done = false;
      const piece = chunk.subarray(offset - start);
      this.res.cork(() => {
        [ok, done] = this.res.tryEnd(piece, totalSize);
      });
      if (done) {
        this.finished = true;
        this.runFinish();
        return true;
      }
      if (ok) return true;
      await new Promise<void>((resolve) => {
        this.writableWaiter = resolve;
        this.res.onWritable((o) => {
          offset = o;
          this.writableWaiter = null;
          resolve();
          return true;
        });
      });
    }
  }

  /** Drops the connection: the only honest signal left once a streamed body has started. */
  abortConnection(): void {
    if (this.finished) return;
    this.finished = true;
    this.res.cork(() => this.res.close());
    this.runFinish();
  }
}

/** A streamed body between uWS's callback and its consumer. */
interface BodyQueue {
  chunks: Buffer[];
  ended: boolean;
  paused: boolean;
  failure: unknown;
  wake: (() => void) | null;
}

function tooLarge(limitBytes: number): ApiError {
  return new ApiError('body_too_large', `Request body exceeds the limit of ${limitBytes} bytes`);
}

function byteLength(body: string | Uint8Array): number {
  return typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
}
