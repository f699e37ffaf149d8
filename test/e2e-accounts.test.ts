/**
 * Accounts end to end, on real servers on port 0 with real clients: the first key created by the
 * CLI in another process switches a running server to key rules; two accounts cannot see, use or
 * delete each other's things; 401/402/403/429 come in the error envelope with the rate-limit
 * headers; a cancelled synthesis is refunded and the ledger sums to the balance; browsers'
 * subprotocol key opens /v1/realtime.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { generateApiKey } from '../src/accounts/api-key.js';
import type { App } from '../src/app.js';
import { startTestApp, tempDir } from './helpers/app.js';
import { EventLog } from './helpers/realtime.js';
import { cliArgs, REPO_ROOT } from './helpers/repo.js';

const ROOT = REPO_ROOT;

/** An account on `plan` with a fresh key and `credits` granted, made through the server's own stores. */
function account(app: App, id: string, plan: string, credits: number): string {
  const { accounts, keys, ledger } = app.context.accounts;
  accounts.ensure(id, plan);
  if (credits !== 0) ledger.grant(id, credits, 'test');
  const key = generateApiKey();
  keys.add(id, key);
  return key;
}

function call(app: App, path: string, opts: { key?: string; method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${app.url}${path}`, { method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'), headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), signal: opts.signal });
}

async function expectError(res: Response, status: number, code: string, type: string): Promise<void> {
  const body = (await res.json()) as { error: { code: string; type: string; message: string } };
  assert.equal(res.status, status, JSON.stringify(body));
  assert.equal(body.error.code, code);
  assert.equal(body.error.type, type);
  assert.ok(body.error.message.length > 0);
}

async function ledgerSums(app: App, id: string): Promise<void> {
  const { ledger } = app.context.accounts;
  assert.equal((await ledger.history(id, 10_000)).reduce((sum, r) => sum + r.delta, 0), (await ledger.balance(id)), 'the rows sum to the balance');
}

/** Resolves once `check` holds, re-checked whenever the event loop turns (bounded, so a broken feature fails). */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 2_000 && !(await check()); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(await check(), `timed out waiting for ${what}`);
}

describe('accounts end to end', () => {
  it('serves open on loopback until `llais keys create` (another process) makes the first key; then keys are required, and grants and revocations count at once', async () => {
    const dataDir = await tempDir();
    const app = await startTestApp({ dataDir });
    try {
      const open = await call(app, '/api/v1/pronunciations/');
      assert.equal(open.status, 200);
      assert.equal(open.headers.get('x-ratelimit-limit'), null, 'open mode has no limits');
      const llais = async (...args: string[]): Promise<string> =>
        (await promisify(execFile)(process.execPath, cliArgs(...args, '--data-dir', dataDir), { cwd: ROOT })).stdout.trim();
      const key = await llais('keys', 'create', '--account', 'alice', '--plan', 'pro');
      assert.match(key, /^sk-tts-/);
      await expectError(await call(app, '/api/v1/pronunciations/'), 401, 'missing_api_key', 'authentication_error');
      await expectError(await call(app, '/api/v1/pronunciations/', { key: generateApiKey() }), 401, 'invalid_api_key', 'authentication_error');
      const ok = await call(app, '/api/v1/pronunciations/', { key });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('x-ratelimit-limit'), '60');
      assert.equal(ok.headers.get('x-ratelimit-remaining'), '59');
      assert.ok(Number(ok.headers.get('x-ratelimit-reset')) <= 60);
      const health = await call(app, '/v1/health/');
      assert.equal(health.status, 200, 'public endpoints need no key');
      assert.equal(health.headers.get('x-ratelimit-limit'), '10', 'the anonymous window is reported');
      assert.equal(await llais('credits', 'grant', '--account', 'alice', '5', '--note', 'welcome'), 'alice: +5, balance 5');
      assert.equal((await app.context.accounts.ledger.balance('alice')), 5, 'the running server sees the grant');
      assert.match(await llais('credits', 'history', '--account', 'alice'), /\t\+5\tgrant\t-\twelcome\nbalance 5$/);
      const [, row] = (await llais('keys', 'list', '--account', 'alice')).split('\n');
      await llais('keys', 'revoke', row!.split('\t')[0]!);
      await expectError(await call(app, '/api/v1/pronunciations/', { key }), 401, 'invalid_api_key', 'authentication_error');
    } finally {
      await app.close();
    }
  });

  it('keeps two accounts from seeing, using or deleting each other\'s jobs, conversations and pronunciations', async () => {
    const app = await startTestApp({ auth: 'keys' });
    try {
      const alice = account(app, 'alice', 'pro', 100);
      const bob = account(app, 'bob', 'pro', 100);
      const created = await call(app, '/v1/tts/', { key: alice, body: { text: 'Only for Alice.', voice: 'en-us', format: 'wav' } });
      const job = (await created.json()) as { uuid: string; credits_used: number; credits_remaining: number };
      assert.equal(created.status, 200, JSON.stringify(job));
      assert.deepEqual([job.credits_used, job.credits_remaining], [1, 99]);
      await expectError(await call(app, `/v1/speech/results/?uuid=${job.uuid}`, { key: bob }), 404, 'job_not_found', 'not_found_error');
      await expectError(await call(app, `/v1/speech/results/?uuid=${job.uuid}`), 404, 'job_not_found', 'not_found_error');
      assert.equal((await call(app, `/v1/speech/results/?uuid=${job.uuid}`, { key: alice })).status, 200);

      const turn = await call(app, '/v1/voice-chat/', { key: alice, body: { text: 'Hello there.', voice: 'flite-slt' } });
      const t = (await turn.json()) as { conversation_id: string; credits_used: number; credits_remaining: number };
      assert.equal(turn.status, 200, JSON.stringify(t));
      assert.equal(t.credits_used, 3);
      await expectError(await call(app, '/v1/voice-chat/', { key: bob, body: { text: 'Me too.', voice: 'flite-slt', conversation_id: t.conversation_id } }), 404, 'conversation_not_found', 'not_found_error');
      assert.equal((await call(app, '/v1/voice-chat/', { key: alice, body: { text: 'Again.', voice: 'flite-slt', conversation_id: t.conversation_id } })).status, 200);

      const saved = (await (await call(app, '/api/v1/pronunciations/', { key: alice, body: { word: 'GIF', replacement: 'jiff' } })).json()) as { id: number };
      const bobs = (await (await call(app, '/api/v1/pronunciations/', { key: bob })).json()) as { total: number };
      assert.equal(bobs.total, 0);
      await expectError(await call(app, `/api/v1/pronunciations/?id=${saved.id}`, { key: bob, method: 'DELETE' }), 404, 'pronunciation_not_found', 'not_found_error');
      const alices = (await (await call(app, '/api/v1/pronunciations/', { key: alice })).json()) as { pronunciations: Array<{ word: string; replacement: string }> };
      assert.deepEqual(alices.pronunciations.map((p) => [p.word, p.replacement]), [['GIF', 'jiff']]);
      // Saved entries ride along with the account's synthesis (first, so the request's own win), and only its own.
      const rulesOf = async (key: string): Promise<unknown> => {
        const res = await call(app, '/v1/tts/', { key, body: { text: 'A GIF.', voice: 'en-us', pronunciations: { PNG: 'ping' } } });
        const { uuid } = (await res.json()) as { uuid: string };
        return ((await app.context.jobs.get(uuid))!.request as { pronunciations: Array<{ word: string }> }).pronunciations.map((r) => r.word);
      };
      assert.deepEqual(await rulesOf(alice), ['GIF', 'PNG']);
      assert.deepEqual(await rulesOf(bob), ['PNG']);
      assert.equal((await call(app, `/api/v1/pronunciations/?id=${saved.id}`, { key: alice, method: 'DELETE' })).status, 200);
      await ledgerSums(app, 'alice');
      await ledgerSums(app, 'bob');
    } finally {
      await app.close();
    }
  });

  it('answers 429 with Retry-After past the plan\'s rate, 402 when credits are short and 403 past the anonymous tier', async () => {
    const app = await startTestApp({ auth: 'keys', plans: { pro: { requests_per_minute: 3 } } });
    try {
      const key = account(app, 'busy', 'pro', 10);
      const remaining: Array<string | null> = [];
      for (let i = 0; i < 3; i++) remaining.push((await call(app, '/api/v1/pronunciations/', { key })).headers.get('x-ratelimit-remaining'));
      assert.deepEqual(remaining, ['2', '1', '0']);
      const limited = await call(app, '/api/v1/pronunciations/', { key });
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      assert.equal(limited.headers.get('x-ratelimit-remaining'), '0');
      await expectError(limited, 429, 'rate_limit_exceeded', 'rate_limit_error');

      const poor = account(app, 'poor', 'starter', 0);
      await expectError(await call(app, '/v1/audio/speech', { key: poor, body: { model: 'flite', input: 'Not paid for.', voice: 'flite-slt' } }), 402, 'insufficient_credits', 'insufficient_credits');
      assert.equal((await app.context.accounts.ledger.history('poor', 10)).length, 0, 'a refused request leaves no ledger row');

      const anonymous = await call(app, '/v1/audio/speech', { body: { model: 'flite', input: 'Free tier.', voice: 'flite-slt', response_format: 'wav' } });
      assert.equal(anonymous.status, 200);
      assert.equal(anonymous.headers.get('x-ratelimit-limit'), '10');
      await anonymous.arrayBuffer();
      await expectError(await call(app, '/v1/audio/speech', { body: { model: 'flite', input: 'x'.repeat(501), voice: 'flite-slt' } }), 403, 'plan_not_allowed', 'permission_error');
      await expectError(await call(app, '/v1/audio/transcriptions', { method: 'POST' }), 401, 'missing_api_key', 'authentication_error');
    } finally {
      await app.close();
    }
  });

  it('counts anonymous clients by socket address, believing X-Forwarded-For only from a trusted proxy', async () => {
    const anonymousBurst = async (app: App): Promise<number[]> => {
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) {
        // An empty body is a 400, but it was counted before the handler saw it.
        const res = await fetch(`${app.url}/v1/tts/`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.51.100.${i}` }, body: '{}' });
        await res.arrayBuffer();
        statuses.push(res.status);
      }
      return statuses;
    };
    const direct = await startTestApp({ auth: 'keys' });
    try {
      assert.deepEqual(await anonymousBurst(direct), [...Array<number>(10).fill(400), 429], 'spoofed addresses share the socket address\'s 10 a minute');
    } finally {
      await direct.close();
    }
    const proxied = await startTestApp({ auth: 'keys', trustedProxies: '127.0.0.1' });
    try {
      assert.deepEqual(await anonymousBurst(proxied), Array<number>(11).fill(400), 'behind a trusted proxy each forwarded address is its own client');
    } finally {
      await proxied.close();
    }
  });

  it('refunds a synthesis the client cancels and charges one it receives, the ledger summing to the balance', async () => {
    const app = await startTestApp({ auth: 'keys' });
    try {
      const key = account(app, 'carol', 'enterprise', 50);
      const { ledger } = app.context.accounts;
      const text = 'This sentence is spoken again and again until the client hangs up. '.repeat(60);
      const controller = new AbortController();
      const res = await call(app, '/v1/audio/speech', { key, signal: controller.signal, body: { model: 'flite', input: text, voice: 'flite-slt', response_format: 'pcm' } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-credits-used'), String(Math.ceil(text.length / 1000)));
      assert.equal(res.headers.get('x-credits-remaining'), String(50 - Math.ceil(text.length / 1000)));
      const reader = res.body!.getReader();
      await reader.read();
      controller.abort();
      await until(async () => (await ledger.history('carol', 10)).some((r) => r.kind === 'refund'), 'the refund');
      assert.equal((await ledger.balance('carol')), 50);
      await ledgerSums(app, 'carol');

      const done = await call(app, '/v1/audio/speech', { key, body: { model: 'flite', input: 'Short and paid.', voice: 'flite-slt', response_format: 'wav' } });
      assert.equal(done.status, 200);
      await done.arrayBuffer();
      await until(async () => (await ledger.history('carol', 10)).some((r) => r.kind === 'commit'), 'the commit');
      assert.equal((await ledger.balance('carol')), 49);
      await ledgerSums(app, 'carol');
      const metrics = await (await fetch(`${app.url}/metrics`)).text();
      assert.match(metrics, /^llais_credits_spent_total\{service="tts"\} 1$/m, 'only the committed charge counts as spent');
    } finally {
      await app.close();
    }
  });

  it('opens /v1/realtime with the browser subprotocol key (answering `realtime`, not the key), bills the session by its audio, refuses a missing or bad key with 401 and a short balance with 402', async () => {
    const app = await startTestApp({ auth: 'keys' });
    try {
      const key = account(app, 'dave', 'pro', 10);
      const url = `${app.url.replace(/^http/, 'ws')}/v1/realtime?model=gpt-realtime`;
      const ws = new WebSocket(url, ['realtime', `openai-insecure-api-key.${key}`]);
      const log = new EventLog();
      ws.on('message', (d, binary) => {
        if (!binary) log.push(JSON.parse(d.toString()));
      });
      await once(ws, 'open');
      assert.equal(ws.protocol, 'realtime');
      await log.waitFor('session.created');
      // 45 s of (silent) microphone audio in 1 s appends; the clear's answer means all were taken.
      const second = Buffer.alloc(24_000 * 2).toString('base64');
      for (let i = 0; i < 45; i++) ws.send(JSON.stringify({ type: 'input_audio_buffer.append', audio: second }));
      ws.send(JSON.stringify({ type: 'input_audio_buffer.clear' }));
      await log.waitFor('input_audio_buffer.cleared');
      ws.close();
      // Billed by the audio in and out when it closes: 45 s = 0.75 min × 2 credits = 1.5, rounded up to 2
      // (by connection time, a few seconds, it would have been 1).
      const { ledger } = app.context.accounts;
      await until(async () => (await ledger.history('dave', 10)).some((r) => r.kind === 'commit'), 'the session charge');
      assert.equal((await ledger.balance('dave')), 8);
      await ledgerSums(app, 'dave');
      // A session with no audio either way costs nothing: its reserved minute is refunded.
      const quiet = new WebSocket(url, ['realtime', `openai-insecure-api-key.${key}`]);
      await once(quiet, 'open');
      quiet.close();
      await until(async () => (await ledger.history('dave', 10)).filter((r) => r.kind === 'refund').length === 1, 'the refund of a silent session');
      assert.equal((await ledger.balance('dave')), 8);
      await ledgerSums(app, 'dave');
      const broke = account(app, 'erin', 'pro', 1);
      const short = new WebSocket(url, { headers: { authorization: `Bearer ${broke}` } });
      short.on('error', () => {});
      const [, shortResponse] = (await once(short, 'unexpected-response')) as [unknown, { statusCode: number; resume(): void }];
      assert.equal(shortResponse.statusCode, 402, 'a balance below one minute is refused at the handshake');
      shortResponse.resume();
      for (const protocols of [['realtime'], ['realtime', `openai-insecure-api-key.${generateApiKey()}`]]) {
        const refused = new WebSocket(url, protocols);
        refused.on('error', () => {}); // the failed handshake; its status is asserted below
        const [, response] = (await once(refused, 'unexpected-response')) as [unknown, { statusCode: number; resume(): void }];
        assert.equal(response.statusCode, 401);
        response.resume();
      }
      const tts = new WebSocket(`${app.url.replace(/^http/, 'ws')}/v1/tts/ws?voice=flite-slt`, ['llais.v1', `openai-insecure-api-key.${key}`]);
      await once(tts, 'open');
      assert.equal(tts.protocol, 'llais.v1', 'the key is not chosen while another protocol is offered');
      // Speech sent is billed too: a sentence (seconds of audio) costs ceil(minutes × 2) = 1.
      const ttsLog = new EventLog();
      tts.on('message', (d, binary) => {
        if (!binary) ttsLog.push(JSON.parse(d.toString()));
      });
      tts.send(JSON.stringify({ type: 'text', text: 'A sentence the session says aloud. ' }));
      tts.send(JSON.stringify({ type: 'flush' }));
      await ttsLog.waitFor('flush.done');
      tts.close();
      await until(async () => (await ledger.history('dave', 20)).filter((r) => r.kind === 'commit').length === 2, 'the TTS session charge');
      assert.equal((await ledger.balance('dave')), 7);
      await ledgerSums(app, 'dave');
    } finally {
      await app.close();
    }
  });
});
