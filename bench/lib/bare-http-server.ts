/**
 * The baselines of the HTTP-core benchmark: a bare uWebSockets.js app, or a bare node:http server,
 * answering every request with the given status, headers and body and nothing else. Run as a child
 * process: `node --import tsx bench/lib/bare-http-server.ts uws|node`, with the response in the
 * BARE_RESPONSE environment variable as JSON `{status, headers, body}`; prints `{"port": n}` when
 * listening.
 */
import { createServer } from 'node:http';
import uws from 'uWebSockets.js';

interface Canned {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const canned = JSON.parse(process.env.BARE_RESPONSE ?? '{"status":200,"headers":{},"body":"{}"}') as Canned;
const kind = process.argv[2];
const headers = Object.entries(canned.headers);

if (kind === 'uws') {
  const status = `${canned.status} OK`;
  uws
    .App()
    .any('/*', (res) => {
      res.cork(() => {
        res.writeStatus(status);
        for (const [k, v] of headers) res.writeHeader(k, v);
        res.end(canned.body);
      });
    })
    .listen('127.0.0.1', 0, (socket) => {
      if (!socket) throw new Error('bare uWS could not listen');
      console.log(JSON.stringify({ port: uws.us_socket_local_port(socket as unknown as uws.us_socket) }));
    });
} else if (kind === 'node') {
  const server = createServer((_req, res) => {
    res.writeHead(canned.status, canned.headers);
    res.end(canned.body);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    console.log(JSON.stringify({ port: typeof addr === 'object' && addr ? addr.port : 0 }));
  });
} else {
  throw new Error(`usage: bare-http-server.ts uws|node (got ${kind})`);
}
