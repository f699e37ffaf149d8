/**
 * The pieces that keep per-request cost low, checked for doing the same job as what they
 * replaced: the batched request log writes pino's own line format, the request tallies render
 * what a prom-client counter and histogram would, fixed routes are remembered without ever
 * remembering a parameter route, and open mode re-reads the key table on a clock but at once
 * for a request that presents a key.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Counter, Histogram, Registry } from 'prom-client';
import { AuthModeSwitch } from '../src/accounts/auth-mode.js';
import { SqliteAccountStore, SqliteKeyStore } from '../src/accounts/account-store.js';
import { RequestMetrics } from '../src/api/request-metrics.js';
import { RequestLog } from '../src/http/request-log.js';
import { Router } from '../src/http/router.js';
import { openDatabase } from '../src/storage/database.js';
import { tempDir } from './helpers/app.js';

const immediate = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('request log', () => {
  it('writes the line pino would, with the logger bindings, batched into one write per turn of the loop', async () => {
    const writes: string[] = [];
    const destination = { write: (s: string) => writes.push(s), flushSync: () => {} };
    const logger = pino({ level: 'info', base: { service: 'llais' } }, destination);
    const log = new RequestLog(logger);
    log.record({ reqId: 'r1', method: 'GET', path: '/v1/health/', status: 200, ms: 0.4 });
    log.record({ reqId: 'r2', method: 'POST', path: '/a"b\\c\n', status: 404, ms: 12.5 });
    assert.equal(writes.length, 0, 'nothing is written on the request path');
    await immediate();
    assert.equal(writes.length, 1, 'one write for the batch');
    const lines = writes[0]!.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    // The reference: the same fields through pino itself.
    const reference: string[] = [];
    pino({ level: 'info', base: { service: 'llais' } }, { write: (s: string) => reference.push(s) }).info({ reqId: 'r2', method: 'POST', path: '/a"b\\c\n', status: 404, ms: 12.5 }, 'request');
    const expected = JSON.parse(reference[0]!) as Record<string, unknown>;
    assert.deepEqual(Object.keys(lines[1]!), Object.keys(expected), 'same fields in the same order');
    assert.deepEqual({ ...lines[1], time: 0 }, { ...expected, time: 0 });
    assert.equal(lines[0]!.path, '/v1/health/');
    assert.ok(Math.abs((lines[0]!.time as number) - Date.now()) < 5_000);
  });

  it('writes line by line to a stream that is not a pino destination, and nothing below its level', async () => {
    const lines: string[] = [];
    const stream = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
    const log = new RequestLog(pino({ level: 'info' }, stream));
    log.record({ reqId: 'a', method: 'GET', path: '/x', status: 200, ms: 1 });
    log.record({ reqId: 'b', method: 'GET', path: '/y', status: 200, ms: 1 });
    await immediate();
    await immediate();
    assert.equal(lines.length, 2);
    for (const l of lines) assert.equal((JSON.parse(l) as { msg: string }).msg, 'request');
    const quiet: string[] = [];
    const silent = new RequestLog(pino({ level: 'warn' }, { write: (s: string) => quiet.push(s) }));
    silent.record({ reqId: 'a', method: 'GET', path: '/x', status: 200, ms: 1 });
    await immediate();
    assert.deepEqual(quiet, []);
  });
});

describe('request metrics', () => {
  it('renders the counter and histogram prom-client would for the same requests', async () => {
    const buckets = [0.005, 0.05, 1];
    const ours = new RequestMetrics(buckets);
    const registry = new Registry();
    const counter = new Counter({ name: 'llais_http_requests_total', help: 'x', labelNames: ['route', 'method', 'status'], registers: [registry] });
    const histogram = new Histogram({ name: 'llais_http_request_duration_seconds', help: 'x', labelNames: ['route', 'method'], buckets, registers: [registry] });
    const requests: Array<[string, string, number, number]> = [
      ['GET', '/v1/health', 200, 0.001], ['GET', '/v1/health', 200, 0.004], ['GET', '/v1/health', 503, 0.3],
      ['POST', '/v1/tts', 200, 0.05], ['POST', '/v1/tts', 429, 2.5], ['GET', '(none)', 404, 0.0001], ['GET', 'we"ird\\', 200, 0.01],
    ];
    for (const [method, route, status, seconds] of requests) {
      ours.record(method, route, status, seconds);
      counter.inc({ route, method, status: String(status) });
      histogram.observe({ route, method }, seconds);
    }
    const samples = (text: string): Map<string, number> =>
      new Map(text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => {
        const at = l.lastIndexOf(' ');
        return [l.slice(0, at), Number(l.slice(at + 1))];
      }));
    const got = samples(ours.render());
    const want = samples(await registry.metrics());
    assert.equal(got.size, want.size);
    for (const [series, value] of want) assert.ok(Math.abs((got.get(series) ?? NaN) - value) < 1e-9, `${series}: ${got.get(series)} vs ${value}`);
    assert.match(ours.render(), /# TYPE llais_http_request_duration_seconds histogram/);
  });
});

describe('router', () => {
  it('remembers fixed routes, never parameter routes, and forgets when a route is added', () => {
    const router = new Router();
    const seen: string[] = [];
    router.get('/v1/voices/:id/preview', (ex) => void seen.push(`preview ${ex.params.id}`));
    router.get('/v1/voices', () => void seen.push('voices'));
    const a = router.match('GET', '/v1/voices/');
    const b = router.match('GET', '/v1/voices');
    assert.equal(a, b, 'the same match object: remembered');
    const p1 = router.match('GET', '/v1/voices/alba/preview');
    const p2 = router.match('GET', '/v1/voices/ryan/preview');
    assert.ok(p1.kind === 'found' && p2.kind === 'found');
    assert.deepEqual([p1.params, p2.params], [{ id: 'alba' }, { id: 'ryan' }]);
    assert.equal(router.match('POST', '/v1/voices').kind, 'method-not-allowed');
    router.post('/v1/voices', () => {});
    assert.equal(router.match('POST', '/v1/voices').kind, 'found', 'a route added later is seen');
    assert.notEqual(router.match('GET', '/v1/voices'), a, 'the remembered matches were dropped');
  });
});

describe('auth mode switch', () => {
  it('reads the key table at most once per window while open, at once for a request with a key, and never again once keys exist', async () => {
    const db = openDatabase(await tempDir('llais-mode-'));
    const keys = new SqliteKeyStore(db);
    let reads = 0;
    const counted = new Proxy(keys, { get: (t, p) => (p === 'anyEverCreated' ? () => (reads++, t.anyEverCreated()) : Reflect.get(t, p)) });
    let now = 0;
    const mode = new AuthModeSwitch('auto', counted, () => now);
    assert.equal(await mode.mode(), 'open');
    assert.equal(await mode.mode(), 'open');
    assert.equal(reads, 1, 'a second request inside the window reads nothing');
    await new SqliteAccountStore(db).ensure('alice', 'free');
    await keys.add('alice', 'sk-tts-0123456789abcdef0123456789abcdef');
    assert.equal(await mode.mode(), 'open', 'inside the window a keyless request still sees the old answer');
    assert.equal(await mode.mode(true), 'keys', 'a request presenting a key sees the key at once');
    now += 1_000;
    assert.equal(await mode.mode(), 'keys');
    const after = reads;
    now += 60_000;
    await mode.mode();
    assert.equal(reads, after, 'keys exist for good: no more reads');
    const fresh = new AuthModeSwitch('auto', keys, () => now);
    assert.equal(await fresh.mode(), 'keys');
    const open = new AuthModeSwitch('auto', new SqliteKeyStore(openDatabase(await tempDir('llais-mode-'))), () => now);
    assert.equal(await open.mode(), 'open');
    now += 250;
    assert.equal(await open.mode(), 'open', 'rechecked after the window, still no keys');
  });
});
