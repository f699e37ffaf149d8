/**
 * A bare HttpServer in a child process, so a test can start it under allocator settings of its own
 * (MALLOC_PERTURB_, GLIBC_TUNABLES): `/later` accepts its upgrades after an `await`, as every Llais
 * route does; `/now` accepts synchronously, inside uWS's handler. Each session says `hello` on open
 * and echoes what it is sent. Prints `{"port"}` once listening; SIGTERM drains and exits.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { Router } from '../../src/http/router.js';
import { HttpServer } from '../../src/http/server.js';
import type { WebSocketConnection, WebSocketSession } from '../../src/http/websocket.js';

const server = new HttpServer(new Router(), { host: '127.0.0.1', port: 0, corsOrigin: '*', tls: null, logger: pino({ level: 'silent' }) });
const session = (conn: WebSocketConnection): WebSocketSession => {
  conn.send('hello');
  return { onMessage: (m) => conn.send(m.kind === 'text' ? m.text : m.data), onClose: () => {} };
};
server.webSocket('/later', {
  maxMessageBytes: 1024,
  accept: async () => {
    await sleep(1);
    return session;
  },
});
server.webSocket('/now', { maxMessageBytes: 1024, accept: () => session });
const port = await server.listen();
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.once('SIGTERM', () => {
  void server.drain(100).then(() => process.exit(0));
});
