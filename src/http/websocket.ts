/**
 * WebSocket routes on the uWS app, wrapped so that session code never touches uWS.
 *
 * uWS rules enforced here: the upgrade request's data is copied before any `await`; a refused
 * upgrade answers with our JSON error envelope and a fitting status (the client sees a failed
 * handshake with a readable body); a socket is never touched after its close callback; every
 * send from outside a uWS callback is corked; messages are copied out of uWS's buffers, which
 * are only valid during the callback; back-pressure is exposed as `bufferedBytes` and
 * `drained()`, so producers wait for slow clients instead of filling memory; an upgrade that
 * completes after an `await` goes around a uWS bug that closed new sockets (`upgradeLater`).
 */
import { randomUUID } from 'node:crypto';
import uws from 'uWebSockets.js';
import { ApiError } from '../errors.js';
import { statusLine } from './status-line.js';

/** What an upgrade request carried, copied out of uWS. */
export interface UpgradeRequest {
  path: string;
  query: URLSearchParams;
  headers: Readonly<Record<string, string>>;
  remoteIp: string;
  /** The TCP peer's address, whatever the headers say. */
  socketIp: string;
  requestId: string;
  /** Subprotocols the client offered, in its order. */
  protocols: string[];
}

export type WebSocketMessage = { kind: 'text'; text: string } | { kind: 'binary'; data: Uint8Array };

/** One open WebSocket, as session code sees it. */
export interface WebSocketConnection {
  readonly id: string;
  readonly request: UpgradeRequest;
  /** Aborts once the socket has closed, whoever closed it. */
  readonly signal: AbortSignal;
  readonly closed: boolean;
  /** Bytes queued for the client and not yet written to the network. */
  readonly bufferedBytes: number;
  /** Sends one message; false once the socket is closed. */
  send(message: string | Uint8Array): boolean;
  /** Resolves when queued output is below `belowBytes` (at once if it already is) or the socket closed. */
  drained(belowBytes?: number): Promise<void>;
  /** Closes with a close frame (code 1000 by default); the reason is cut to fit a control frame. */
  close(code?: number, reason?: string): void;
}

/** The per-connection callbacks a route returns once the socket is open. */
export interface WebSocketSession {
  onMessage(message: WebSocketMessage): void;
  /** Called once, after the socket has closed; `connection.signal` has aborted by then. */
  onClose(code: number, reason: string): void;
}

export interface WebSocketRoute {
  /** Largest message accepted; a larger one closes the socket with 1009. */
  maxMessageBytes: number;
  /**
   * Runs before the handshake completes. Throw an ApiError to refuse with that HTTP status;
   * return the function that starts the session once the socket is open.
   */
  accept(request: UpgradeRequest): Promise<(connection: WebSocketConnection) => WebSocketSession> | ((connection: WebSocketConnection) => WebSocketSession);
  /** The subprotocol to answer with, from those offered; default: `realtime` if offered, else the first. */
  chooseProtocol?(offered: string[]): string | undefined;
}

/** Seconds without any frame from the client (pongs count) before uWS drops a dead socket. */
const DEAD_SOCKET_SECONDS = 64;
// Queued output beyond which sends stop and wait for `drained()`; uWS itself never drops.
const DEFAULT_DRAIN_BYTES = 256 * 1024;

interface SocketData {
  request: UpgradeRequest;
  start: (connection: WebSocketConnection) => WebSocketSession;
  connection?: Connection;
  session?: WebSocketSession;
}

class Connection implements WebSocketConnection {
  readonly id = randomUUID();
  private readonly controller = new AbortController();
  private drainWaiters: Array<{ below: number; resolve: () => void }> = [];
  private isClosed = false;

  constructor(private readonly ws: uws.WebSocket<SocketData>, readonly request: UpgradeRequest) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get bufferedBytes(): number {
    return this.isClosed ? 0 : this.ws.getBufferedAmount();
  }

  send(message: string | Uint8Array): boolean {
    if (this.isClosed) return false;
    const binary = typeof message !== 'string';
    this.ws.cork(() => {
      this.ws.send(message, binary, false);
    });
    return true;
  }

  drained(belowBytes = DEFAULT_DRAIN_BYTES): Promise<void> {
    if (this.isClosed || this.ws.getBufferedAmount() < belowBytes) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push({ below: belowBytes, resolve }));
  }

  close(code = 1000, reason = ''): void {
    if (this.isClosed) return;
    // A close frame's reason must fit in 123 bytes.
    let text = reason;
    while (Buffer.byteLength(text) > 123) text = text.slice(0, -1);
    this.ws.end(code, text);
  }

  /** Runs `fn` with this socket holding the loop's cork (see `upgradeLater`). */
  lendCork(fn: () => void): void {
    this.ws.cork(fn);
  }

  /** From uWS's drain callback. */
  onDrain(): void {
    const buffered = this.ws.getBufferedAmount();
    const ready = this.drainWaiters.filter((w) => buffered < w.below);
    if (ready.length === 0) return;
    this.drainWaiters = this.drainWaiters.filter((w) => buffered >= w.below);
    for (const w of ready) w.resolve();
  }

  /** From uWS's close callback: after it, the uWS socket must not be used. */
  markClosed(): void {
    this.isClosed = true;
    this.controller.abort(new ApiError('client_closed', 'The WebSocket closed'));
    for (const w of this.drainWaiters.splice(0)) w.resolve();
  }
}

/** Open sockets on this thread's uWS loop; the cork is the loop's, so any of them can lend it. */
const lenders = new Set<Connection>();

/**
 * Completes an upgrade accepted after an `await` (`run` calls `res.upgrade`).
 *
 * Not in `res.cork()` of its own: uWS 20.30's `HttpResponse::cork` tells an upgrade inside it by
 * the socket's address changing, but the upgrade shrinks the socket's memory in place, so the
 * address stays and `cork` goes on to read the new WebSocket's memory (partly freed by then) as
 * the HTTP response's state. When a "connection: close" bit happens to be set there it shuts the
 * new socket down right after `open`: the client sees 1006 just after its 101 (a few in a hundred
 * handshakes on a young process; uNetworking/uWebSockets#1928, fixed upstream in #1929, after
 * the last build installable here). The test reproduces it every time with MALLOC_PERTURB_.
 *
 * While another socket holds the loop's cork, `res.cork()` only calls its handler, which skips
 * that check and still counts as corked for uWS.js. With no socket open to lend its cork, the
 * upgrade runs uncorked: also correct, but uWS.js prints one warning line on stderr when the
 * accept waited for I/O (a promise settled inside uWS's own callback still counts as corked).
 */
function upgradeLater(res: uws.HttpResponse, run: () => void): void {
  // A socket leaves the set in its close callback, before uWS lets go of it.
  const lender: Connection | undefined = lenders.values().next().value;
  if (lender) lender.lendCork(() => res.cork(run));
  else run();
}

/**
 * Registers `route` on `app` at `path` (and `path/`). `onOpen`/`onClose` let the server track
 * open sockets, to close them when it drains.
 */
export function registerWebSocketRoute(
  app: uws.TemplatedApp,
  path: string,
  route: WebSocketRoute,
  hooks: { opened(c: WebSocketConnection): void; closed(c: WebSocketConnection): void; refuse(): ApiError | null },
): void {
  const behavior: uws.WebSocketBehavior<SocketData> = {
    compression: uws.DISABLED,
    maxPayloadLength: route.maxMessageBytes,
    idleTimeout: DEAD_SOCKET_SECONDS,
    sendPingsAutomatically: true,
    // Producers wait on `drained()`; this bound only guards against one that does not.
    maxBackpressure: 64 * 1024 * 1024,
    closeOnBackpressureLimit: 1,
    upgrade: (res, req, context) => {
      const headers: Record<string, string> = {};
      req.forEach((k, v) => {
        headers[k] = v;
      });
      const forwarded = headers['x-forwarded-for'];
      const socketIp = Buffer.from(res.getRemoteAddressAsText()).toString();
      const incomingId = headers['x-request-id'];
      const request: UpgradeRequest = {
        path: req.getUrl(),
        query: new URLSearchParams(req.getQuery() ?? ''),
        headers,
        remoteIp: forwarded ? forwarded.split(',')[0]!.trim() : socketIp,
        socketIp,
        requestId: incomingId && /^[\w.-]{1,128}$/.test(incomingId) ? incomingId : randomUUID(),
        protocols: (headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter(Boolean),
      };
      const key = headers['sec-websocket-key'] ?? '';
      const extensions = headers['sec-websocket-extensions'] ?? '';
      let aborted = false;
      res.onAborted(() => {
        aborted = true;
      });
      const refuse = (err: unknown): void => {
        if (aborted) return;
        const e = err instanceof ApiError ? err : new ApiError('internal_error', `Internal server error (request id ${request.requestId})`);
        res.cork(() => {
          res.writeStatus(statusLine(e.status));
          res.writeHeader('Content-Type', 'application/json');
          res.writeHeader('X-Request-Id', request.requestId);
          for (const [k, v] of Object.entries(e.headers ?? {})) res.writeHeader(k, v);
          res.end(JSON.stringify(e.toEnvelope()), true);
        });
      };
      const refusal = hooks.refuse();
      if (refusal) {
        refuse(refusal);
        return;
      }
      const upgrader = (start: SocketData['start']): (() => void) => {
        const protocol = (route.chooseProtocol ?? defaultProtocol)(request.protocols) ?? '';
        return () => res.upgrade<SocketData>({ request, start }, key, protocol, extensions, context);
      };
      let accepted: ReturnType<WebSocketRoute['accept']>;
      try {
        accepted = route.accept(request);
      } catch (err) {
        refuse(err);
        return;
      }
      if (!(accepted instanceof Promise)) {
        // Still inside uWS's handler, which has the response corked and sees the upgrade itself.
        upgrader(accepted)();
        return;
      }
      accepted.then((start) => {
        if (!aborted) upgradeLater(res, upgrader(start));
      }, refuse);
    },
    open: (ws) => {
      const data = ws.getUserData();
      const connection = new Connection(ws, data.request);
      data.connection = connection;
      lenders.add(connection);
      hooks.opened(connection);
      try {
        data.session = data.start(connection);
      } catch {
        connection.close(1011, 'internal error');
      }
    },
    message: (ws, message, isBinary) => {
      const data = ws.getUserData();
      // uWS reuses the buffer after this callback returns: copy (text is decoded, which copies).
      const msg: WebSocketMessage = isBinary
        ? { kind: 'binary', data: new Uint8Array(message.slice(0)) }
        : { kind: 'text', text: Buffer.from(message).toString('utf8') };
      data.session?.onMessage(msg);
    },
    drain: (ws) => {
      ws.getUserData().connection?.onDrain();
    },
    close: (ws, code, message) => {
      const data = ws.getUserData();
      const connection = data.connection;
      if (!connection) return;
      lenders.delete(connection);
      connection.markClosed();
      hooks.closed(connection);
      data.session?.onClose(code, Buffer.from(message).toString('utf8'));
    },
  };
  app.ws<SocketData>(path, behavior);
  if (!path.endsWith('/')) app.ws<SocketData>(`${path}/`, behavior);
}

/**
 * A browser's key travels as a subprotocol (`openai-insecure-api-key.<key>`): it is echoed back
 * only when the client offered nothing else, since a handshake that answers none of the offered
 * protocols fails in browsers.
 */
function defaultProtocol(offered: string[]): string | undefined {
  return offered.includes('realtime') ? 'realtime' : (offered.find((p) => !p.startsWith('openai-insecure-api-key.')) ?? offered[0]);
}
