import assert from 'node:assert/strict';
import { Agent, get } from 'node:http';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { ApiError } from '../src/errors.js';
import { readJsonObject, UploadReceiver } from '../src/http/body.js';
import { Router } from '../src/http/router.js';
import { HttpServer } from '../src/http/server.js';
import { SseWriter } from '../src/http/sse.js';
import { parseRange, sendFile } from '../src/http/static-file.js';

describe('HTTP core on uWebSockets.js', () => {
  let server: HttpServer;
  let base: string;
  let filePath: string;
  const fileBytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
  let releaseSlow: () => void = () => {};
  const slowStarted: Array<() => void> = [];

  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'llais-http-'));
    filePath = join(dir, 'f.bin');
    await writeFile(filePath, fileBytes);
    const uploads = new UploadReceiver({ dir: join(dir, 'uploads'), maxConcurrent: 4 });
    const router = new Router()
      .get('/v1/ping', (ex) => ex.json(200, { pong: true }))
      .post('/v1/echo', async (ex) => ex.json(200, await readJsonObject(ex, 64)))
      .post('/v1/upload', async (ex) => {
        const body = await uploads.read(ex, { maxBodyBytes: 10_000, maxFieldBytes: 1000, files: { file: 100, big: 2000 } });
        const files = await Promise.all(Object.values(body.files).map(async (f) => ({ field: f.field, name: f.filename, size: f.bytes, onDisk: (await readFile(f.path)).length })));
        ex.json(200, { fields: body.fields, files });
      })
      .get('/v1/items/:id', (ex) => ex.json(200, { id: ex.params.id }))
      .get('/v1/bad', () => {
        throw new ApiError('invalid_value', 'bad thing', 'thing');
      })
      .get('/v1/crash', () => {
        throw new Error('secret internal detail');
      })
      .get('/file', (ex) => sendFile(ex, filePath, fileBytes.length, { 'Content-Type': 'application/octet-stream' }))
      .get('/slow', async (ex) => {
        const sse = new SseWriter(ex);
        sse.open();
        await sse.send({ n: 1 });
        await new Promise<void>((r) => {
          releaseSlow = r;
          for (const s of slowStarted.splice(0)) s();
        });
        await sse.send({ n: 2 });
        sse.close();
      });
    server = new HttpServer(router, { host: '127.0.0.1', port: 0, corsOrigin: '*', tls: null, logger: pino({ level: 'silent' }) });
    base = `http://127.0.0.1:${await server.listen()}`;
  });

  after(async () => {
    await server.drain(100);
  });

  it('serves a path with and without its trailing slash', async () => {
    for (const p of ['/v1/ping', '/v1/ping/']) {
      const r = await fetch(base + p);
      assert.equal(r.status, 200);
      assert.deepEqual(await r.json(), { pong: true });
    }
  });

  it('puts an X-Request-Id and CORS headers on every response, keeping a valid incoming id', async () => {
    const r = await fetch(`${base}/v1/ping`);
    assert.match(r.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
    const r2 = await fetch(`${base}/nope`, { headers: { 'X-Request-Id': 'abc-123' } });
    assert.equal(r2.headers.get('x-request-id'), 'abc-123');
  });

  it('answers CORS preflight with 204 and the allowed methods', async () => {
    const r = await fetch(`${base}/v1/echo`, { method: 'OPTIONS', headers: { Origin: 'http://x', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,authorization' } });
    assert.equal(r.status, 204);
    assert.match(r.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.equal(r.headers.get('access-control-allow-headers'), 'content-type,authorization');
  });

  it('returns the error envelope for unknown routes and wrong methods', async () => {
    const r = await fetch(`${base}/v1/nothing`);
    assert.equal(r.status, 404);
    const body = (await r.json()) as { error: Record<string, unknown> };
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(body.error.type, 'not_found_error');
    const r2 = await fetch(`${base}/v1/ping`, { method: 'POST' });
    assert.equal(r2.status, 405);
    assert.equal(r2.headers.get('allow'), 'GET');
  });

  it('routes parameters, decoded', async () => {
    const r = await fetch(`${base}/v1/items/a%20b`);
    assert.deepEqual(await r.json(), { id: 'a b' });
  });

  it('maps ApiError to its status and param, and hides internal errors behind a 500 envelope', async () => {
    const r = await fetch(`${base}/v1/bad`);
    assert.equal(r.status, 400);
    assert.deepEqual(await r.json(), { error: { message: 'bad thing', type: 'invalid_request_error', code: 'invalid_value', param: 'thing' } });
    const r2 = await fetch(`${base}/v1/crash`);
    assert.equal(r2.status, 500);
    const text = await r2.text();
    assert.doesNotMatch(text, /secret internal detail/);
    assert.match(text, /request id/);
  });

  it('reads JSON bodies and rejects oversize (413), invalid (400) and non-object (400) ones', async () => {
    const ok = await fetch(`${base}/v1/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    assert.deepEqual(await ok.json(), { a: 1 });
    const big = await fetch(`${base}/v1/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: 'x'.repeat(100) }) });
    assert.equal(big.status, 413);
    const bad = await fetch(`${base}/v1/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'invalid_json');
    const arr = await fetch(`${base}/v1/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[1]' });
    assert.equal(arr.status, 400);
    const xml = await fetch(`${base}/v1/echo`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<a/>' });
    assert.equal(xml.status, 415);
  });

  it('reads multipart fields and files, enforcing per-file limits', async () => {
    const fd = new FormData();
    fd.append('model', 'x');
    fd.append('timestamp_granularities[]', 'word');
    fd.append('timestamp_granularities[]', 'segment');
    fd.append('file', new Blob([new Uint8Array(50)]), 'a.wav');
    fd.append('big', new Blob([new Uint8Array(1500)]), 'b.wav');
    const r = await fetch(`${base}/v1/upload`, { method: 'POST', body: fd });
    assert.equal(r.status, 200);
    const body = (await r.json()) as { fields: Record<string, unknown>; files: unknown[] };
    assert.deepEqual(body.fields, { model: 'x', 'timestamp_granularities[]': ['word', 'segment'] });
    assert.deepEqual(body.files, [{ field: 'file', name: 'a.wav', size: 50, onDisk: 50 }, { field: 'big', name: 'b.wav', size: 1500, onDisk: 1500 }]);
    const fd2 = new FormData();
    fd2.append('file', new Blob([new Uint8Array(101)]), 'a.wav');
    const r2 = await fetch(`${base}/v1/upload`, { method: 'POST', body: fd2 });
    assert.equal(r2.status, 413);
    assert.equal(((await r2.json()) as { error: { param: string } }).error.param, 'file');
  });

  it('multipart: an oversize field is 413, a form cut short is 400, file parts nobody asked for are dropped', async () => {
    const long = new FormData();
    long.append('model', 'x'.repeat(2000));
    const r1 = await fetch(`${base}/v1/upload`, { method: 'POST', body: long });
    assert.equal(r1.status, 413);
    assert.deepEqual(((await r1.json()) as { error: { code: string; param: string } }).error.code, 'field_too_large');
    const cut = '--b\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\nabc';
    const r2 = await fetch(`${base}/v1/upload`, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=b' }, body: cut });
    assert.equal(r2.status, 400);
    assert.equal(((await r2.json()) as { error: { code: string } }).error.code, 'invalid_multipart');
    const extra = new FormData();
    extra.append('other', new Blob([new Uint8Array(5000)]), 'x.bin');
    extra.append('file', new Blob([new Uint8Array(10)]), 'a.wav');
    const r3 = await fetch(`${base}/v1/upload`, { method: 'POST', body: extra });
    assert.equal(r3.status, 200);
    assert.deepEqual(((await r3.json()) as { files: unknown[] }).files, [{ field: 'file', name: 'a.wav', size: 10, onDisk: 10 }]);
  });

  it('serves files whole and by Range', async () => {
    const whole = await fetch(`${base}/file`);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('content-length'), '1000');
    assert.deepEqual(Buffer.from(await whole.arrayBuffer()), fileBytes);
    const part = await fetch(`${base}/file`, { headers: { Range: 'bytes=10-19' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), 'bytes 10-19/1000');
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), fileBytes.subarray(10, 20));
    const suffix = await fetch(`${base}/file`, { headers: { Range: 'bytes=-5' } });
    assert.deepEqual(Buffer.from(await suffix.arrayBuffer()), fileBytes.subarray(995));
    const bad = await fetch(`${base}/file`, { headers: { Range: 'bytes=5000-' } });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers.get('content-range'), 'bytes */1000');
  });

  it('parses Range headers', () => {
    assert.deepEqual(parseRange('bytes=0-0', 10), { start: 0, end: 0 });
    assert.deepEqual(parseRange('bytes=5-', 10), { start: 5, end: 9 });
    assert.deepEqual(parseRange('bytes=5-100', 10), { start: 5, end: 9 });
    assert.equal(parseRange('bytes=9-3', 10), 'unsatisfiable');
    assert.equal(parseRange('items=1-2', 10), null);
  });

  it('on drain lets a running stream finish and refuses new work with 503', async () => {
    const started = new Promise<void>((r) => slowStarted.push(r));
    const slow = fetch(`${base}/slow`);
    const res = await slow;
    await started;
    // An idle keep-alive connection opened before the drain can still ask: it must get 503.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const statusOf = () =>
      new Promise<number>((resolve, reject) => {
        get(`${base}/v1/ping`, { agent }, (r) => {
          r.resume();
          r.on('end', () => resolve(r.statusCode ?? 0));
        }).on('error', reject);
      });
    assert.equal(await statusOf(), 200);
    const draining = server.drain(5000);
    assert.equal(await statusOf(), 503);
    agent.destroy();
    releaseSlow();
    const text = await res.text();
    assert.match(text, /"n":1/);
    assert.match(text, /"n":2/);
    await draining;
  });
});
