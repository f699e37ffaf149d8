/** Server-Sent Events over a streamed response, with back-pressure from the socket. */
import type { HttpExchange } from './exchange.js';

export class SseWriter {
  constructor(private readonly ex: HttpExchange) {}

  /** Sends the SSE response head. Proxies must not buffer or transform the stream. */
  open(): void {
    this.ex.startStream(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      'X-Accel-Buffering': 'no',
    });
  }

  /** Writes one `data:` event; resolves when the socket can take more. */
  send(data: unknown, event?: string): Promise<void> {
    const prefix = event ? `event: ${event}\n` : '';
    return this.ex.write(`${prefix}data: ${JSON.stringify(data)}\n\n`);
  }

  close(): void {
    this.ex.end();
  }
}
