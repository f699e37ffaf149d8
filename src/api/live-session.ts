/**
 * The part every listening live session shares once its socket is open (`/v1/realtime`,
 * `/v1/stt/ws`): refused at once when the access or billing check closes it (the plan's slots
 * filled since the handshake), else watched against the idle and maximum-duration limits (a
 * session that still owes an answer is not idle), started, and fed the socket's messages, each of
 * which counts as activity.
 */
import type { WebSocketConnection, WebSocketSession } from '../http/websocket.js';
import type { ExpiryReason } from '../realtime/session-limits.js';
import type { ApiContext } from './context.js';

/** What a live session offers its socket. */
export interface LiveSession {
  /** True while the server still owes the client an answer. */
  readonly busy: boolean;
  start(): void;
  handleText(text: string): void;
  handleBinary(data: Uint8Array): void;
}

/** The callbacks of a session refused at open (its socket is already closing). */
export const CLOSED_SESSION: WebSocketSession = { onMessage: () => {}, onClose: () => {} };

export interface LiveSessionOptions<S extends LiveSession> {
  /** Each check that may refuse the socket at open: the access slot, then the billing reservation. */
  checks: ReadonlyArray<{ open(conn: WebSocketConnection): boolean }>;
  /** The event that tells the client its session ended on a limit. */
  limitEvent: (reason: ExpiryReason, message: string) => string;
  /** Builds the session; `touch` marks activity the client does not send (a reply being spoken). */
  create: (touch: () => void) => S;
  opened: (session: S) => void;
  closed: (session: S, code: number) => void;
}

export function openLiveSession<S extends LiveSession>(ctx: ApiContext, conn: WebSocketConnection, opts: LiveSessionOptions<S>): WebSocketSession {
  if (!opts.checks.every((check) => check.open(conn))) return CLOSED_SESSION;
  let session: S | null = null;
  const watch = ctx.live.watch(conn, (reason, message) => conn.send(opts.limitEvent(reason, message)), () => session?.busy === true);
  const open = opts.create(() => watch.touch());
  session = open;
  opts.opened(open);
  open.start();
  return {
    onMessage: (msg) => {
      watch.touch();
      if (msg.kind === 'text') open.handleText(msg.text);
      else open.handleBinary(msg.data);
    },
    onClose: (code) => opts.closed(open, code),
  };
}
