import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import WebSocket from 'ws';
import { ApiError } from '../src/errors.js';
import { Router } from '../src/http/router.js';
import { HttpServer } from '../src/http/server.js';
import type { WebSocketConnection } from '../src/http/websocket.js';
import { LiveSessionLimits } from '../src/realtime/session-limits.js';
import { helperScriptArgs } from './helpers/repo.js';

describe('WebSocket routes on uWebSockets.js', () => {
  let server: HttpServer;
  let base: string;
  const closedSignals: AbortSignal[] = [];
  const limits = new LiveSessionLimits({ maxSessions: 2, maxSessionMs: 60_000, idleMs: 400 });
  const expiries: string[] = [];

  before(async () => {
    server = new HttpServer(new Router(), { host: '127.0.0.1', port: 0, corsOrigin: '*', tls: null, logger: pino({ level: 'silent' }) });
    server.webSocket('/echo', {
      maxMessageBytes: 1024,
      accept: (req) => {
        if (req.query.get('deny') === '1') throw new ApiError('model_not_installed', 'install it');
        return (conn: WebSocketConnection) => {
          closedSignals.push(conn.signal);
          return {
            onMessage: (m) => conn.send(m.kind === 'text' ? `echo:${m.text}` : m.data.map((b) => 255 - b)),
            onClose: () => {},
          };
        };
      },
    });
    server.webSocket('/limited', {
      maxMessageBytes: 1024,
      accept: () => {
        limits.admit();
        return (conn: WebSocketConnection) => {
          const watch = limits.watch(conn, (reason) => {
            expiries.push(reason);
            conn.send(JSON.stringify({ type: 'error', reason }));
          });
          return { onMessage: () => watch.touch(), onClose: () => {} };
        };
      },
    });
    const port = await server.listen();
    base = `ws://127.0.0.1:${port}`;
  });

  after(async () => {
    await server.drain(100);
  });

  async function open(path: string, protocols?: string[]): Promise<WebSocket> {
    const ws = new WebSocket(base + path, protocols);
    await once(ws, 'open');
    return ws;
  }

  it('echoes text and binary messages, copying them out of uWS buffers', async () => {
    const ws = await open('/echo');
    ws.send('hello');
    const [text] = (await once(ws, 'message')) as [Buffer];
    assert.equal(text.toString(), 'echo:hello');
    ws.send(Uint8Array.from([0, 1, 254]));
    const [bin, isBinary] = (await once(ws, 'message')) as [Buffer, boolean];
    assert.equal(isBinary, true);
    assert.deepEqual([...bin], [255, 254, 1]);
    ws.close();
    await once(ws, 'close');
  });

  it('serves the path with a trailing slash too, and answers with the offered subprotocol', async () => {
    const ws = await open('/echo/', ['openai-beta.realtime-v1', 'realtime']);
    assert.equal(ws.protocol, 'realtime');
    ws.close();
    await once(ws, 'close');
  });

  it('refuses an upgrade with the status and error envelope of the thrown ApiError', async () => {
    const ws = new WebSocket(`${base}/echo?deny=1`);
    ws.on('error', () => {});
    const [, res] = (await once(ws, 'unexpected-response')) as [unknown, import('node:http').IncomingMessage];
    assert.equal(res.statusCode, 424);
    let body = '';
    for await (const chunk of res) body += chunk;
    assert.equal(JSON.parse(body).error.code, 'model_not_installed');
    ws.terminate();
  });

  it('closes the socket on a message over the size limit, and aborts the connection signal', async () => {
    const ws = await open('/echo');
    const before = closedSignals.length;
    ws.send('x'.repeat(5000));
    const [code] = (await once(ws, 'close')) as [number];
    // uWS drops the connection outright rather than sending a 1009 frame.
    assert.ok(code === 1009 || code === 1006, `close code ${code}`);
    assert.equal(closedSignals.length, before);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(closedSignals.at(-1)!.aborted, true);
  });

  it('limits sessions: the third is refused with 503, and an idle one is told why and closed', async () => {
    const a = await open('/limited');
    const b = await open('/limited');
    const c = new WebSocket(`${base}/limited`);
    c.on('error', () => {});
    const [, res] = (await once(c, 'unexpected-response')) as [unknown, import('node:http').IncomingMessage];
    assert.equal(res.statusCode, 503);
    assert.equal(res.headers['retry-after'], '5');
    c.terminate();
    // b keeps talking; a goes idle.
    const keepAlive = setInterval(() => b.send('ping'), 100);
    const [msg] = (await once(a, 'message')) as [Buffer];
    assert.equal(JSON.parse(msg.toString()).reason, 'idle');
    const [code] = (await once(a, 'close')) as [number];
    assert.equal(code, 1000);
    assert.equal(b.readyState, WebSocket.OPEN);
    clearInterval(keepAlive);
    b.close();
    await once(b, 'close');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(limits.openSessions, 0);
  });

  it('closes open sockets with 1001 when the server drains', async () => {
    const s2 = new HttpServer(new Router(), { host: '127.0.0.1', port: 0, corsOrigin: '*', tls: null, logger: pino({ level: 'silent' }) });
    s2.webSocket('/x', { maxMessageBytes: 10, accept: () => () => ({ onMessage: () => {}, onClose: () => {} }) });
    const port = await s2.listen();
    const ws = new WebSocket(`ws://127.0.0.1:${port}/x`);
    await once(ws, 'open');
    assert.equal(s2.openSockets, 1);
    const closed = once(ws, 'close');
    await s2.drain(100);
    const [code] = (await closed) as [number];
    assert.equal(code, 1001);
  });
});

/**
 * uWS 20.30 closed a socket upgraded inside `res.cork()` after an `await` when the freed memory it
 * misread had one bit set (src/http/websocket.ts, `upgradeLater`): a few handshakes in a hundred,
 * 1006 right after the 101. MALLOC_PERTURB_ fills freed memory with 0x10, that very bit, and with
 * the tcache off every free is filled; under them the old code dropped every such session.
 */
describe('WebSocket upgrades completed after an await, under a perturbed allocator', () => {
  const UWS_WARNING = 'uWS.HttpResponse writes must be made from within a corked callback';
  let child: ChildProcess;
  let base = '';
  const stderr: string[] = [];

  before(async () => {
    child = spawn(process.execPath, helperScriptArgs('ws-upgrade-child'), {
      env: { ...process.env, MALLOC_PERTURB_: '16', GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
    const [line] = (await Promise.race([once(createInterface({ input: child.stdout! }), 'line'), once(child, 'exit').then(() => Promise.reject(new Error(`child exited: ${stderr.join('\n')}`)))])) as [string];
    base = `ws://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`;
  });

  after(async () => {
    if (child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  });

  /** Opens a session and has it answer an echo: the echo, or how the socket closed instead. */
  async function roundTrip(path: string, keepOpen = false): Promise<{ said: string[]; ws: WebSocket }> {
    const ws = new WebSocket(base + path);
    const said: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      ws.on('message', (m) => {
        said.push(String(m));
        if (said.length === 1) ws.send('echo me');
        else resolve();
      });
      ws.once('close', (code) => reject(new Error(`closed with ${code} after ${JSON.stringify(said)}`)));
      ws.once('error', reject);
    });
    await done;
    if (!keepOpen) {
      const closed = once(ws, 'close');
      ws.close();
      await closed;
    }
    return { said, ws };
  }

  it('a session upgraded with no other socket open stays open and answers (20 in a row)', async () => {
    for (let i = 0; i < 20; i++) assert.deepEqual((await roundTrip('/later')).said, ['hello', 'echo me'], `session ${i}`);
  });

  it('a session upgraded while another is open stays open too, and uWS prints no warning for it', async () => {
    const { ws: holder } = await roundTrip('/later', true);
    try {
      const warningsBefore = stderr.filter((l) => l.includes(UWS_WARNING)).length;
      for (let i = 0; i < 20; i++) assert.deepEqual((await roundTrip('/later')).said, ['hello', 'echo me'], `session ${i}`);
      assert.equal(stderr.filter((l) => l.includes(UWS_WARNING)).length, warningsBefore, stderr.join('\n'));
    } finally {
      holder.close();
    }
  });

  it('a session accepted synchronously, inside uWS\'s handler, is unaffected', async () => {
    for (let i = 0; i < 5; i++) assert.deepEqual((await roundTrip('/now')).said, ['hello', 'echo me'], `session ${i}`);
  });
});
