/**
 * The port every live protocol session is written against: a message channel to one client.
 * `src/api/` adapts the HTTP layer's WebSocket connection to it, so nothing under
 * `src/realtime/` knows which server library carries the bytes (and tests can drive a session
 * with no socket at all).
 */

/** A message channel to one client. */
export interface LiveTransport {
  /**
   * Sends one message (text frame or binary frame). Returns false once the channel is closed;
   * a true result means queued, not delivered: producers that send a lot wait on `drained()`.
   */
  send(message: string | Uint8Array): boolean;
  /** Resolves when queued output is back under the channel's bound, or the channel closed. */
  drained(): Promise<void>;
  /** Aborts once the channel has closed, whoever closed it. */
  readonly signal: AbortSignal;
  readonly closed: boolean;
  /** Closes with a WebSocket close code (RFC 6455) and a short reason. */
  close(code: number, reason: string): void;
}
