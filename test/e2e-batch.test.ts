/**
 * TTS batches end to end on real servers on port 0, with API keys: a real node:http receiver on
 * 127.0.0.1 (the config allows private targets there) verifies the webhook signature with the
 * account's secret; a receiver failing twice gets the success once, after three attempts; a
 * restart while a retry is in flight still delivers; bad batches are refused whole (nothing
 * queued, nothing charged); another account's batch is a 404; a private webhook target is a 400
 * when not allowed. Servers are few (each start costs seconds): one serves the delivery tests and
 * is then restarted, one the refusals.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { generateApiKey } from '../src/accounts/api-key.js';
import type { App } from '../src/app.js';
import { verifyWebhookSignature } from '../src/batch/webhook-signature.js';
import type { WebhookSettings } from '../src/config.js';
import { startTestApp, tempDir } from './helpers/app.js';
import { cliArgs, REPO_ROOT } from './helpers/repo.js';

/** Tiny delays so retries happen within the test; private targets allowed for the local receiver. */
const WEBHOOKS: WebhookSettings = { maxAttempts: 4, initialDelayMs: 20, maxDelayMs: 100, timeoutMs: 5_000, allowPrivateTargets: true };
/** Jobs run one at a time anyway; one worker of each kind makes each server start several times faster. */
const SMALL = { ttsWorkers: 1, poolWorkers: 1 };

interface Received { headers: IncomingHttpHeaders; body: string; answered: number }

/** A webhook receiver answering each request with the next status of `statuses` (the last one repeats); 0: never answer. */
class Receiver {
  readonly received: Received[] = [];
  private readonly server: Server;
  private waiters: Array<() => void> = [];

  constructor(private readonly statuses: number[]) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const answered = this.statuses[Math.min(this.received.length, this.statuses.length - 1)]!;
        this.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered });
        if (answered !== 0) res.writeHead(answered).end();
        for (const w of this.waiters.splice(0)) w();
      });
    });
  }

  async listen(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/llais`;
  }

  /** Resolves once `n` requests have arrived (no sleeps: each arrival wakes the waiter). */
  async count(n: number): Promise<Received[]> {
    while (this.received.length < n) await new Promise<void>((r) => this.waiters.push(r));
    return this.received;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

function call(app: App, path: string, opts: { key?: string; body?: unknown } = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${app.url}${path}`, { method: opts.body === undefined ? 'GET' : 'POST', headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
}

async function submit(app: App, body: unknown, key?: string): Promise<{ batch_id: string; total: number; completed: number; status: string; credits_used: number; credits_remaining: number | null }> {
  const res = await call(app, '/v1/tts/batch/', { body, key });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as never;
}

async function expectError(res: Response, status: number, code: string, param: string | null): Promise<void> {
  const body = (await res.json()) as { error: { code: string; param: string | null; message: string } };
  assert.equal(res.status, status, JSON.stringify(body));
  assert.equal(body.error.code, code);
  assert.equal(body.error.param, param);
}

/** Polls the result endpoint until `done` holds (bounded, so a broken feature fails). */
async function pollBatch(app: App, id: string, key: string, done: (b: Record<string, any>) => boolean): Promise<Record<string, any>> {
  for (let i = 0; i < 400; i++) {
    const res = await call(app, `/v1/tts/batch/result/?batch_id=${id}`, { key });
    assert.equal(res.status, 200);
    const body = (await res.json()) as Record<string, any>;
    if (done(body)) return body;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`batch ${id} never reached the expected state`);
}

const texts = (n: number) => Array.from({ length: n }, (_, i) => ({ text: `Item number ${i + 1}.`, voice: 'en-us', format: 'wav' }));

function account(app: App, id: string, credits: number): string {
  const { accounts, keys, ledger } = app.context.accounts;
  accounts.ensure(id, 'pro');
  if (credits !== 0) ledger.grant(id, credits, 'test');
  const key = generateApiKey();
  keys.add(id, key);
  return key;
}

const signatureOf = (r: Received): string => r.headers['x-llais-signature'] as string;

describe('TTS batch webhooks', () => {
  const receivers: Receiver[] = [];
  let dataDir: string;
  let app: App;
  let key: string;
  before(async () => {
    dataDir = await tempDir();
    app = await startTestApp({ ...SMALL, dataDir, auth: 'keys', webhooks: WEBHOOKS });
    key = account(app, 'acme', 1000);
  });
  after(async () => {
    await app.close();
    for (const r of receivers) await r.close();
  });
  const receiver = (statuses: number[]): Receiver => {
    const r = new Receiver(statuses);
    receivers.push(r);
    return r;
  };

  it('completes every item, then POSTs the final object signed with the account secret; items are ordinary jobs', async () => {
    const hooks = receiver([204]);
    const started = await submit(app, { texts: [...texts(2), { text: 'Third, as mp3.', voice: 'en-us', format: 'mp3' }], webhook_url: await hooks.listen() }, key);
    assert.match(started.batch_id, /^batch_[0-9a-f]{32}$/);
    assert.deepEqual({ ...started, batch_id: '' }, { batch_id: '', total: 3, completed: 0, status: 'processing', credits_used: 3, credits_remaining: 997 });
    const [hook] = await hooks.count(1);
    const secret = (await app.context.accounts.webhookSecrets.secretOf('acme'));
    assert.match(secret, /^whsec_/);
    assert.ok(verifyWebhookSignature(secret, signatureOf(hook!), hook!.body, 300), 'the receiver verifies the signature');
    assert.equal(verifyWebhookSignature((await app.context.accounts.webhookSecrets.secretOf('someone-else')), signatureOf(hook!), hook!.body, 300), false, "another account's secret does not verify");
    assert.equal(hook!.headers['x-llais-event'], 'batch.completed');
    assert.match(hook!.headers['x-llais-delivery'] as string, /^dlv_[0-9a-f]{32}$/);
    assert.equal(hook!.headers['content-type'], 'application/json');
    const sent = JSON.parse(hook!.body) as { batch_id: string; status: string; completed: number; items: Array<{ index: number; uuid: string; status: string; result_url: string }> };
    assert.equal(sent.batch_id, started.batch_id);
    assert.equal(sent.status, 'completed');
    assert.equal(sent.completed, 3);
    assert.deepEqual(sent.items.map((i) => [i.index, i.status]), [[0, 'completed'], [1, 'completed'], [2, 'completed']]);
    assert.match(sent.items[2]!.result_url, /\/output\.mp3$/);
    const audio = await fetch(sent.items[0]!.result_url);
    assert.equal(audio.status, 200);
    assert.equal(Buffer.from(await audio.arrayBuffer()).subarray(0, 4).toString('latin1'), 'RIFF');
    const job = (await (await call(app, `/v1/speech/results/?uuid=${sent.items[1]!.uuid}`, { key })).json()) as { status: string; result_url: string };
    assert.equal(job.status, 'completed');
    assert.equal(job.result_url, sent.items[1]!.result_url);
    const polled = await pollBatch(app, started.batch_id, key, (b) => b.webhook?.status === 'delivered');
    assert.deepEqual(polled.items, sent.items);
    assert.deepEqual(polled.webhook, { status: 'delivered', attempts: 1, last_error: null });
    assert.equal(polled.credits_remaining, 997, 'the reserved credits were committed');
    const { ledger } = app.context.accounts;
    assert.equal((await ledger.history('acme', 1_000)).reduce((sum, r) => sum + r.delta, 0), (await ledger.balance('acme')), 'the ledger rows sum to the balance');
  });

  it('another account gets 404 for the batch; an unknown id is a 404', async () => {
    const other = account(app, 'other', 100);
    const started = await submit(app, { texts: texts(1) }, key);
    await expectError(await call(app, `/v1/tts/batch/result/?batch_id=${started.batch_id}`, { key: other }), 404, 'batch_not_found', 'batch_id');
    await expectError(await call(app, `/v1/tts/batch/result/?batch_id=batch_${'0'.repeat(32)}`, { key }), 404, 'batch_not_found', 'batch_id');
    await expectError(await call(app, '/v1/tts/batch/result/?batch_id=nonsense', { key }), 404, 'batch_not_found', 'batch_id');
    await expectError(await call(app, '/v1/tts/batch/result/', { key }), 400, 'missing_required_parameter', 'batch_id');
    const mine = await pollBatch(app, started.batch_id, key, (b) => b.status === 'completed');
    assert.equal(mine.webhook, undefined, 'no webhook asked, none shown');
  });

  it('retries a receiver that fails twice: it gets the success exactly once, after 3 attempts, with one delivery id', async () => {
    const hooks = receiver([500, 503, 200]);
    const { batch_id } = await submit(app, { texts: texts(1), webhook_url: await hooks.listen() }, key);
    const polled = await pollBatch(app, batch_id, key, (b) => b.webhook?.status === 'delivered' || b.webhook?.status === 'failed');
    assert.deepEqual(polled.webhook, { status: 'delivered', attempts: 3, last_error: null });
    assert.deepEqual(hooks.received.map((r) => r.answered), [500, 503, 200]);
    assert.equal(new Set(hooks.received.map((r) => r.headers['x-llais-delivery'])).size, 1);
    assert.equal(new Set(hooks.received.map((r) => r.body)).size, 1, 'every attempt sends the same body');
    assert.equal((await app.context.batches.nextDueAt()), null, 'nothing left to send');
  });

  it('gives up after the last attempt and shows the delivery failed with its last error', async () => {
    const hooks = receiver([500]);
    const { batch_id } = await submit(app, { texts: texts(1), webhook_url: await hooks.listen() }, key);
    const polled = await pollBatch(app, batch_id, key, (b) => b.webhook?.status === 'failed');
    assert.deepEqual(polled.webhook, { status: 'failed', attempts: WEBHOOKS.maxAttempts, last_error: 'HTTP 500' });
    assert.equal(hooks.received.length, WEBHOOKS.maxAttempts);
  });

  it('`llais webhooks secret` (another process) shows the secret the server signs with; --rotate replaces it for the server too', async () => {
    const cli = async (...args: string[]): Promise<string> =>
      (await promisify(execFile)(process.execPath, cliArgs('webhooks', 'secret', ...args, '--data-dir', dataDir), { cwd: REPO_ROOT })).stdout.trim();
    const { webhookSecrets } = app.context.accounts;
    assert.equal(await cli('--account', 'acme'), (await webhookSecrets.secretOf('acme')));
    const rotated = await cli('--account', 'acme', '--rotate');
    assert.match(rotated, /^whsec_[A-Za-z0-9_-]{32}$/);
    assert.equal((await webhookSecrets.secretOf('acme')), rotated);
  });

  it('a restart while a retry is in flight still delivers, with the same delivery id and a valid signature', async () => {
    // 500 first; the retry gets no answer, so the server is closed in the middle of it.
    const hooks = receiver([500, 0, 200]);
    const { batch_id } = await submit(app, { texts: texts(1), webhook_url: await hooks.listen() }, key);
    await hooks.count(2);
    await app.close();
    app = await startTestApp({ ...SMALL, dataDir, auth: 'keys', webhooks: WEBHOOKS });
    const done = await pollBatch(app, batch_id, key, (b) => b.webhook?.status === 'delivered' || b.webhook?.status === 'failed');
    // The attempt cut by the close was not counted: one failure before the restart, one success after.
    assert.deepEqual(done.webhook, { status: 'delivered', attempts: 2, last_error: null });
    assert.deepEqual(hooks.received.map((r) => r.answered), [500, 0, 200]);
    assert.equal(new Set(hooks.received.map((r) => r.headers['x-llais-delivery'])).size, 1);
    assert.ok(verifyWebhookSignature((await app.context.accounts.webhookSecrets.secretOf('acme')), signatureOf(hooks.received[2]!), hooks.received[2]!.body, 300), 'the secret survived the restart');
  });
});

describe('TTS batch refusals', () => {
  let app: App;
  before(async () => {
    app = await startTestApp({ ...SMALL, auth: 'keys', webhooks: { ...WEBHOOKS, allowPrivateTargets: false } }, { processJobs: false });
  });
  after(() => app.close());

  const nothingQueued = async (): Promise<void> => {
    assert.equal(app.context.queue.size, 0, 'nothing queued');
    assert.equal((await app.context.jobs.countByStatus('queued')), 0, 'nothing stored');
  };

  it('51 items, no items, a non-array or no texts are a 400 naming texts', async () => {
    const key = account(app, 'many', 1000);
    await expectError(await call(app, '/v1/tts/batch/', { key, body: { texts: texts(51) } }), 400, 'invalid_value', 'texts');
    await expectError(await call(app, '/v1/tts/batch/', { key, body: { texts: [] } }), 400, 'invalid_value', 'texts');
    await expectError(await call(app, '/v1/tts/batch/', { key, body: { texts: 'hello' } }), 400, 'invalid_type', 'texts');
    await expectError(await call(app, '/v1/tts/batch/', { key, body: {} }), 400, 'missing_required_parameter', 'texts');
    await nothingQueued();
  });

  it('one invalid item is a 400 naming texts[i].field, and nothing is queued or charged', async () => {
    const key = account(app, 'picky', 1000);
    const ok = texts(3);
    await expectError(await call(app, '/v1/tts/batch/', { key, body: { texts: [ok[0], { ...ok[1], speed: 9 }, ok[2]] } }), 400, 'invalid_value', 'texts[1].speed');
    await expectError(await call(app, '/v1/tts/batch/', { key, body: { texts: [ok[0], ok[1], { ...ok[2], voice: 'no-such-voice' }] } }), 400, 'voice_not_found', 'texts[2].voice');
    await expectError(await call(app, '/v1/tts/batch/', { key, body: { texts: [{ voice: 'en-us' }] } }), 400, 'missing_required_parameter', 'texts[0].text');
    await expectError(await call(app, '/v1/tts/batch/', { key, body: { texts: [{ ...ok[0], stream: true }] } }), 400, 'unsupported_parameter', 'texts[0].stream');
    await nothingQueued();
    assert.equal((await app.context.accounts.ledger.balance('picky')), 1000);
  });

  it('a balance short of the whole batch is a 402, and nothing is queued or reserved', async () => {
    const key = account(app, 'poor', 2);
    await expectError(await call(app, '/v1/tts/batch/', { key, body: { texts: texts(3) } }), 402, 'insufficient_credits', null);
    await nothingQueued();
    assert.equal((await app.context.accounts.ledger.history('poor', 100)).length, 1, 'only the grant row');
  });

  it('a private, loopback, link-local or mapped webhook_url is a 400 when private targets are not allowed', async () => {
    const key = account(app, 'hooky', 1000);
    for (const url of ['http://127.0.0.1:9/x', 'http://169.254.169.254/latest/meta-data/', 'http://[::ffff:10.0.0.1]/', 'http://[fd00::1]/', 'http://localhost:8080/', 'http://100.64.1.1/', 'ftp://example.com/', 'https://u:p@example.com/']) {
      await expectError(await call(app, '/v1/tts/batch/', { key, body: { texts: texts(1), webhook_url: url } }), 400, 'invalid_value', 'webhook_url');
    }
    await nothingQueued();
  });

  it('charges every item up front and queues them all', async () => {
    const key = account(app, 'payer', 100);
    const started = await submit(app, { texts: texts(2) }, key);
    assert.equal(started.credits_used, 2);
    assert.equal(started.credits_remaining, 98);
    assert.equal(app.context.queue.size, 2);
    const mine = (await (await call(app, `/v1/tts/batch/result/?batch_id=${started.batch_id}`, { key })).json()) as Record<string, unknown>;
    assert.deepEqual(mine, { batch_id: started.batch_id, total: 2, completed: 0, status: 'processing', credits_used: 2, credits_remaining: 98 });
  });
});
