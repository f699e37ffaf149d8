/**
 * The HTTP front door: one uWS app, our router behind it, and the cross-cutting parts every
 * response shares (request id, CORS, the error envelope, request logs, drain on shutdown).
 */
import { readFileSync } from 'node:fs';
import uws from 'uWebSockets.js';
import { ApiError } from '../errors.js';
import type { Logger } from '../logger.js';
import { HttpExchange } from './exchange.js';
import { RequestLog } from './request-log.js';
import type { Router } from './router.js';
import { registerWebSocketRoute, type WebSocketConnection, type WebSocketRoute } from './websocket.js';

export interface HttpServerOptions {
  host: string;
  port: number;
  corsOrigin: string;
  tls: { certFile: string; keyFile: string } | null;
  logger: Logger;
  /**
   * Runs before every routed request's handler (after CORS and routing); throwing an ApiError
   * refuses the request with it. Where authentication and rate limits plug in. A promise (limits
   * counted in a shared store, cluster mode) delays the handler; the request's body is kept meanwhile.
   */
  guard?: (ex: HttpExchange) => void | Promise<void>;
  /** Told about every finished request: its route pattern (`(none)` when no route matched), status (499: client left) and time. */
  onFinished?: (request: { method: string; route: string; status: number; seconds: number }) => void;
}

const CORS_EXPOSED = 'X-Request-Id, X-Job-Uuid, X-Credits-Used, X-Credits-Remaining, Content-Length, Content-Range, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, X-Subtitle-Timing';
const CORS_ALLOWED_HEADERS = 'Authorization, Content-Type, X-Request-Id, Range, OpenAI-Beta, OpenAI-Organization, OpenAI-Project, X-Stainless-Lang, X-Stainless-Package-Version, X-Stainless-OS, X-Stainless-Arch, X-Stainless-Runtime, X-Stainless-Runtime-Version, X-Stainless-Retry-Count, X-Stainless-Timeout';

export class HttpServer {
  private readonly app: uws.TemplatedApp;
  private listenSocket: uws.us_listen_socket | null = null;
  private readonly inFlight = new Set<HttpExchange>();
  private readonly sockets = new Set<WebSocketConnection>();
  private draining = false;
  /** Written on every response; built once, not per request. */
  private readonly corsHeaders: ReadonlyArray<readonly [string, string]>;
  private readonly requestLog: RequestLog;
  private drainWaiters: Array<() => void> = [];
  private readonly wsPaths: string[] = [];
  port = 0;

  constructor(readonly router: Router, private readonly opts: HttpServerOptions) {
    this.app = opts.tls
      ? uws.SSLApp({ cert_file_name: opts.tls.certFile, key_file_name: opts.tls.keyFile })
      : uws.App();
    if (opts.tls) {
      // Fail at start-up, not on the first handshake, when the files are unreadable.
      readFileSync(opts.tls.certFile);
      readFileSync(opts.tls.keyFile);
    }
    this.corsHeaders = [
      ['Access-Control-Allow-Origin', opts.corsOrigin],
      ['Access-Control-Expose-Headers', CORS_EXPOSED],
      ...(opts.corsOrigin !== '*' ? [['Vary', 'Origin'] as const] : []),
    ];
    this.requestLog = new RequestLog(opts.logger);
    this.app.any('/*', (res, req) => this.dispatch(res, req));
  }

  /** Serves WebSocket upgrades at `path` (and `path/`); refused with 503 while draining. */
  webSocket(path: string, route: WebSocketRoute): void {
    this.wsPaths.push(path);
    registerWebSocketRoute(this.app, path, route, {
      opened: (c) => this.sockets.add(c),
      closed: (c) => this.sockets.delete(c),
      refuse: () => (this.draining ? new ApiError('shutting_down', 'Server is shutting down; retry on another instance', null, { headers: { 'Retry-After': '5' } }) : null),
    });
  }

  /** Paths with WebSocket routes, as registered (the docs test checks each is documented). */
  get webSocketPaths(): readonly string[] {
    return this.wsPaths;
  }

  /** Open WebSockets. */
  get openSockets(): number {
    return this.sockets.size;
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.app.listen(this.opts.host, this.opts.port, (socket) => {
        if (!socket) {
          reject(new Error(`could not listen on ${this.opts.host}:${this.opts.port}`));
          return;
        }
        this.listenSocket = socket;
        this.port = uws.us_socket_local_port(socket as unknown as uws.us_socket);
        resolve(this.port);
      });
    });
  }

  get activeRequests(): number {
    return this.inFlight.size;
  }

  /**
   * Stops accepting connections and answers new requests on open connections with 503; resolves
   * when running requests finish or `graceMs` passes, then drops whatever is left.
   */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    if (this.listenSocket) {
      uws.us_listen_socket_close(this.listenSocket);
      this.listenSocket = null;
    }
    // Live sessions never end by themselves; 1001 tells clients to reconnect elsewhere.
    for (const c of [...this.sockets]) c.close(1001, 'server shutting down');
    if (this.inFlight.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.drainWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    for (const ex of this.inFlight) ex.abortConnection();
    this.requestLog.flush();
  }

  private dispatch(res: uws.HttpResponse, req: uws.HttpRequest): void {
    const ex = new HttpExchange(res, req);
    this.inFlight.add(ex);
    ex.onFinish(() => this.finished(ex));
    ex.baseHeaders = this.corsHeaders;

    if (ex.method === 'OPTIONS') {
      ex.send(204, {
        'Access-Control-Allow-Methods': 'GET, HEAD, POST, DELETE, OPTIONS',
        'Access-Control-Allow-Headers': ex.headers['access-control-request-headers'] || CORS_ALLOWED_HEADERS,
        'Access-Control-Max-Age': '600',
      });
      return;
    }
    if (this.draining) {
      ex.error(new ApiError('shutting_down', 'Server is shutting down; retry on another instance', null, { headers: { 'Retry-After': '5', Connection: 'close' } }));
      return;
    }
    const match = this.router.match(ex.method, ex.path);
    if (match.kind === 'not-found') {
      ex.error(new ApiError('not_found', `No route for ${ex.method} ${ex.path}`));
      return;
    }
    if (match.kind === 'method-not-allowed') {
      ex.error(new ApiError('method_not_allowed', `${ex.method} is not allowed on ${ex.path}; use ${match.allowed.join(', ')}`, null, { headers: { Allow: match.allowed.join(', ') } }));
      return;
    }
    ex.params = match.params;
    ex.route = match.pattern;
    let result: Promise<void> | void;
    try {
      const admitted = this.opts.guard?.(ex);
      if (admitted) {
        ex.holdBody();
        result = admitted.then(
          () => (ex.releaseBody(false), match.handler(ex)),
          (err: unknown) => {
            ex.releaseBody(true);
            throw err;
          },
        );
      } else result = match.handler(ex);
    } catch (err) {
      this.fail(ex, err);
      return;
    }
    if (result) result.catch((err: unknown) => this.fail(ex, err));
  }

  /** Books a finished request: metrics, the request log line, a drain waiting on it. */
  private finished(ex: HttpExchange): void {
    this.inFlight.delete(ex);
    const status = ex.aborted ? 499 : ex.statusCode;
    const elapsedMs = performance.now() - ex.startedAt;
    this.opts.onFinished?.({ method: ex.method, route: ex.route, status, seconds: elapsedMs / 1000 });
    this.requestLog.record({ reqId: ex.requestId, method: ex.method, path: ex.path, status, ms: Math.round(elapsedMs * 10) / 10 });
    if (this.draining && this.inFlight.size === 0) for (const w of this.drainWaiters.splice(0)) w();
  }

  private fail(ex: HttpExchange, err: unknown): void {
    if (ex.done) return;
    if (err instanceof ApiError) {
      ex.error(err);
      return;
    }
    this.opts.logger.error({ reqId: ex.requestId, err }, 'unhandled error');
    ex.error(new ApiError('internal_error', `Internal server error (request id ${ex.requestId})`));
  }
}
