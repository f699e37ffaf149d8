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
import { RequestBody } from './request-body.js';
import { statusLine } from './status-line.js';

export class HttpExchange {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly requestId: string;
  readonly startedAt = performance.now();
  /** Route parameters, filled by the router. */
  params: Record<string, string> = {};
  /** The matched route's pattern (`(none)` when none matched): a label that does not grow with ids. */
  route = '(none)';
  statusCode = 0;
  /**
   * Header lines every response of this server carries (CORS), written before the request's own.
   * Shared by all exchanges, never copied.
   */
  baseHeaders: ReadonlyArray<readonly [string, string]> = [];
  // Made on first use: most requests finish without anyone asking for their signal or query, and
  // an AbortController per request is measurable on a cached health check.
  private controller: AbortController | null = null;
  private clientGone = false;
  private rawQuery: string;
  private parsedQuery: URLSearchParams | null = null;
  private peer: string | null = null;
  private readonly extraHeaders: Array<[string, string]> = [];
  private headersSent = false;
  private finished = false;
  private requestBody: RequestBody | null = null;
  private writableWaiter: (() => void) | null = null;
  private readonly finishCallbacks: Array<() => void> = [];

  constructor(private readonly res: HttpResponse, req: HttpRequest) {
    this.method = req.getMethod().toUpperCase();
    this.path = req.getUrl();
    this.rawQuery = req.getQuery() ?? '';
    const headers: Record<string, string> = {};
    req.forEach((k, v) => {
      headers[k] = v;
    });
    this.headers = headers;
    const incomingId = headers['x-request-id'];
    this.requestId = incomingId && /^[\w.-]{1,128}$/.test(incomingId) ? incomingId : randomUUID();
    res.onAborted(() => {
      this.finished = true;
      this.clientGone = true;
      this.controller?.abort(clientClosed());
      this.writableWaiter?.();
      this.runFinish();
    });
  }

  /** Aborts when the client goes away before we finished. */
  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.clientGone) this.controller.abort(clientClosed());
    }
    return this.controller.signal;
  }

  /**
   * The TCP peer's address, whatever the headers say (per-IP limits decide from it). Read from uWS
   * on first use: the call costs more than a cached health check's whole handler. Once the
   * response is over uWS can no longer say, so a request that never asked reads `unknown`.
   */
  get socketIp(): string {
    if (this.peer === null) this.peer = this.finished ? 'unknown' : Buffer.from(this.res.getRemoteAddressAsText()).toString();
    return this.peer;
  }

  /** The client's address as the request presents it: the first `X-Forwarded-For` hop, else the peer. */
  get remoteIp(): string {
    const forwarded = this.headers['x-forwarded-for'];
    return forwarded ? forwarded.split(',')[0]!.trim() : this.socketIp;
  }

  get query(): URLSearchParams {
    return (this.parsedQuery ??= new URLSearchParams(this.rawQuery));
  }

  get aborted(): boolean {
    return this.clientGone;
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
    return this.body().read(limitBytes);
  }

  /**
   * The body as it arrives, one chunk (a copy) at a time, for readers that write it elsewhere;
   * at most a couple of chunks wait before the socket is paused. Iteration throws 413
   * `body_too_large` as soon as the body passes `limitBytes`, or the abort reason if the client
   * goes (see RequestBody.chunks).
   */
  bodyChunks(limitBytes: number): AsyncIterable<Buffer> {
    return this.body().chunks(limitBytes);
  }

  /** Body data arriving before the handler runs is kept for it (see RequestBody.hold). */
  holdBody(): void {
    this.body().hold();
  }

  releaseBody(drop: boolean): void {
    this.requestBody?.release(drop);
  }

  private body(): RequestBody {
    return (this.requestBody ??= new RequestBody(this.res, this.headers['content-length'], () => this.signal, () => this.finished));
  }

  private writeHead(status: number, headers: Record<string, string>): void {
    this.statusCode = status;
    this.headersSent = true;
    this.res.writeStatus(statusLine(status));
    this.res.writeHeader('X-Request-Id', this.requestId);
    for (const [k, v] of this.baseHeaders) this.res.writeHeader(k, v);
    for (const [k, v] of this.extraHeaders) this.res.writeHeader(k, v);
    for (const k in headers) this.res.writeHeader(k, headers[k]!);
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

function clientClosed(): ApiError {
  return new ApiError('client_closed', 'Client closed the connection');
}

function byteLength(body: string | Uint8Array): number {
  return typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
}
