/** Adapts the HTTP layer's WebSocket connection to the live sessions' transport port. */
import type { WebSocketConnection } from '../http/websocket.js';
import type { LiveTransport } from '../realtime/transport.js';

/** `conn` as a `LiveTransport`; `onSend` runs before every message (the idle watch counts output as activity). */
export function liveTransport(conn: WebSocketConnection, onSend?: () => void): LiveTransport {
  return {
    send: (message) => {
      onSend?.();
      return conn.send(message);
    },
    drained: () => conn.drained(),
    signal: conn.signal,
    get closed() {
      return conn.closed;
    },
    close: (code, reason) => conn.close(code, reason),
  };
}
