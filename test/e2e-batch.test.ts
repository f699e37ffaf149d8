/**
 * TTS batches end to end on real servers on port 0: a real node:http receiver on 127.0.0.1 (the
 * config allows private targets there) verifies the webhook signature; a receiver failing twice
 * gets the success once, after three attempts; a restart between attempts still delivers; bad
 * batches are refused whole (nothing queued, nothing charged); another account's batch is a 404;
 * a private webhook target is a 400 when not allowed.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { generateApiKey } from '../src/accounts/api-key.js';
import type { App } from '../src/app.js';
import { verifyWebhookSignature } from '../src/batch/webhook-signature.js';
import type { WebhookSettings } from '../src/config.js';
import { startTestApp, tempDir } from './helpers/app.js';

/** Tiny delays so retries happen within the test; private targets allowed for the local receiver. */
const WEBHOOKS: WebhookSettings = { maxAttempts: 4, initialDelayMs: 20, maxDelayMs: 100, timeoutMs: 5_000, allowPrivateTargets: true };
/** Open mode's single user owns open-mode batches and their webhook secret. */
const OPEN_OWNER = '_open';

interface Received { headers: IncomingHttpHeaders; body: string; answered: number }

/** A webhook receiver answering each request with the next status of `statuses` (the last one repeats). */
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
        res.writeHead(answered).end();
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
async function pollBatch(app: App, id: string, done: (b: Record<string, any>) => boolean, key?: string): Promise<Record<string, any>> {
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

describe('TTS batches', () => {
  it('completes every item, then POSTs the final object signed with the account secret; items are ordinary jobs', async () => {
    const receiver = new Receiver([204]);
    const app = await startTestApp({ webhooks: WEBHOOKS });
    try {
      const started = await submit(app, { texts: [...texts(2), { text: 'Third, as mp3.', voice: 'en-us', format: 'mp3' }], webhook_url: await receiver.listen() });
      assert.match(started.batch_id, /^batch_[0-9a-f]{32}$/);
      assert.deepEqual({ ...started, batch_id: '' }, { batch_id: '', total: 3, completed: 0, status: 'processing', credits_used: 3, credits_remaining: null });
      const [hook] = await receiver.count(1);
      const secret = app.context.accounts.webhookSecrets.secretOf(OPEN_OWNER);
      assert.ok(verifyWebhookSignature(secret, hook!.headers['x-llais-signature'] as string, hook!.body, 300), 'the receiver verifies the signature');
      assert.equal(verifyWebhookSignature('whsec_wrong', hook!.headers['x-llais-signature'] as string, hook!.body, 300), false);
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
      const job = (await (await call(app, `/v1/speech/results/?uuid=${sent.items[1]!.uuid}`)).json()) as { status: string; result_url: string };
      assert.equal(job.status, 'completed');
      assert.equal(job.result_url, sent.items[1]!.result_url);
      const polled = await pollBatch(app, started.batch_id, (b) => b.webhook?.status === 'delivered');
      assert.deepEqual(polled.items, sent.items);
      assert.deepEqual(polled.webhook, { status: 'delivered', attempts: 1, last_error: null });
    } finally {
      await app.close();
      await receiver.close();
    }
  });

  it('retries a receiver that fails twice: it gets the success exactly once, after 3 attempts, with one delivery id', async () => {
    const receiver = new Receiver([500, 503, 200]);
    const app = await startTestApp({ webhooks: WEBHOOKS });
    try {
      const { batch_id } = await submit(app, { texts: texts(1), webhook_url: await receiver.listen() });
      const polled = await pollBatch(app, batch_id, (b) => b.webhook?.status !== 'waiting' && b.webhook?.status !== 'pending');
      assert.deepEqual(polled.webhook, { status: 'delivered', attempts: 3, last_error: null });
      assert.deepEqual(receiver.received.map((r) => r.answered), [500, 503, 200]);
      assert.equal(new Set(receiver.received.map((r) => r.headers['x-llais-delivery'])).size, 1);
      assert.equal(new Set(receiver.received.map((r) => r.body)).size, 1, 'every attempt sends the same body');
      assert.equal(app.context.batches.nextDueAt(), null, 'nothing left to send');
    } finally {
      await app.close();
      await receiver.close();
    }
  });

  it('gives up after the last attempt and shows the delivery failed', async () => {
    const receiver = new Receiver([500]);
    const app = await startTestApp({ webhooks: { ...WEBHOOKS, maxAttempts: 2 } });
    try {
      const { batch_id } = await submit(app, { texts: texts(1), webhook_url: await receiver.listen() });
      const polled = await pollBatch(app, batch_id, (b) => b.webhook?.status === 'failed');
      assert.deepEqual(polled.webhook, { status: 'failed', attempts: 2, last_error: 'HTTP 500' });
      assert.equal(receiver.received.length, 2);
    } finally {
      await app.close();
      await receiver.close();
    }
  });

  it('a restart between attempts still delivers, with the same delivery id', async () => {
    const receiver = new Receiver([500, 200]);
    const url = await receiver.listen();
    const dataDir = await tempDir();
    // A long first retry delay: the first server is closed while the retry is pending.
    const first = await startTestApp({ dataDir, webhooks: { ...WEBHOOKS, initialDelayMs: 400, maxDelayMs: 400 } });
    let batchId: string;
    try {
      batchId = (await submit(first, { texts: texts(1), webhook_url: url })).batch_id;
      await receiver.count(1);
      const pending = await pollBatch(first, batchId, (b) => b.webhook?.attempts === 1);
      assert.equal(pending.webhook.status, 'pending');
    } finally {
      await first.close();
    }
    assert.equal(receiver.received.length, 1, 'the retry did not happen before the restart');
    const second = await startTestApp({ dataDir, webhooks: WEBHOOKS });
    try {
      const done = await pollBatch(second, batchId, (b) => b.webhook?.status === 'delivered');
      assert.deepEqual(done.webhook, { status: 'delivered', attempts: 2, last_error: null });
      assert.equal(receiver.received[1]!.headers['x-llais-delivery'], receiver.received[0]!.headers['x-llais-delivery']);
      const secret = second.context.accounts.webhookSecrets.secretOf(OPEN_OWNER);
      assert.ok(verifyWebhookSignature(secret, receiver.received[1]!.headers['x-llais-signature'] as string, receiver.received[1]!.body, 300));
    } finally {
      await second.close();
      await receiver.close();
    }
  });

  describe('refusals', () => {
    let app: App;
    before(async () => {
      app = await startTestApp({ auth: 'keys' }, { processJobs: false });
    });
    after(() => app.close());

    function account(id: string, credits: number): string {
      const { accounts, keys, ledger } = app.context.accounts;
      accounts.ensure(id, 'pro');
      if (credits !== 0) ledger.grant(id, credits, 'test');
      const key = generateApiKey();
      keys.add(id, key);
      return key;
    }

    const nothingQueued = (): void => {
      assert.equal(app.context.queue.size, 0, 'nothing queued');
      assert.equal(app.context.jobs.countByStatus('queued'), 0, 'nothing stored');
    };

    it('51 items, no items, or a non-array are a 400 naming texts', async () => {
      const key = account('many', 1000);
      await expectError(await call(app, '/v1/tts/batch/', { key, body: { texts: texts(51) } }), 400, 'invalid_value', 'texts');
      await expectError(await call(app, '/v1/tts/batch/', { key, body: { texts: [] } }), 400, 'invalid_value', 'texts');
      await expectError(await call(app, '/v1/tts/batch/', { key, body: { texts: 'hello' } }), 400, 'invalid_type', 'texts');
      await expectError(await call(app, '/v1/tts/batch/', { key, body: {} }), 400, 'missing_required_parameter', 'texts');
      nothingQueued();
    });

    it('one invalid item is a 400 naming texts[i].field, and nothing is queued or charged', async () => {
      const key = account('picky', 1000);
      const bad = texts(3);
      await expectError(await call(app, '/v1/tts/batch/', { key, body: { texts: [bad[0], { ...bad[1], speed: 9 }, bad[2]] } }), 400, 'invalid_value', 'texts[1].speed');
      await expectError(await call(app, '/v1/tts/batch/', { key, body: { texts: [bad[0], bad[1], { ...bad[2], voice: 'no-such-voice' }] } }), 400, 'voice_not_found', 'texts[2].voice');
      await expectError(await call(app, '/v1/tts/batch/', { key, body: { texts: [{ voice: 'en-us' }] } }), 400, 'missing_required_parameter', 'texts[0].text');
      nothingQueued();
      assert.equal(app.context.accounts.ledger.balance('picky'), 1000);
    });

    it('a balance short of the whole batch is a 402, and nothing is queued or reserved', async () => {
      const key = account('poor', 2);
      await expectError(await call(app, '/v1/tts/batch/', { key, body: { texts: texts(3) } }), 402, 'insufficient_credits', null);
      nothingQueued();
      assert.equal(app.context.accounts.ledger.history('poor', 100).length, 1, 'only the grant row');
    });

    it('a private-range or loopback webhook_url is a 400 when private targets are not allowed', async () => {
      const key = account('hooky', 1000);
      for (const url of ['http://127.0.0.1:9/x', 'http://169.254.169.254/latest/meta-data/', 'http://[::ffff:10.0.0.1]/', 'http://[fd00::1]/', 'http://localhost:8080/', 'ftp://example.com/', 'https://u:p@example.com/']) {
        await expectError(await call(app, '/v1/tts/batch/', { key, body: { texts: texts(1), webhook_url: url } }), 400, 'invalid_value', 'webhook_url');
      }
      nothingQueued();
    });

    it('charges every item up front; another account gets 404 for the batch, and an unknown id is a 404', async () => {
      const owner = account('owner', 100);
      const other = account('other', 100);
      const started = await submit(app, { texts: texts(2) }, owner);
      assert.equal(started.credits_used, 2);
      assert.equal(started.credits_remaining, 98);
      assert.equal(app.context.queue.size, 2);
      await expectError(await call(app, `/v1/tts/batch/result/?batch_id=${started.batch_id}`, { key: other }), 404, 'batch_not_found', 'batch_id');
      await expectError(await call(app, `/v1/tts/batch/result/?batch_id=batch_${'0'.repeat(32)}`, { key: owner }), 404, 'batch_not_found', 'batch_id');
      await expectError(await call(app, '/v1/tts/batch/result/', { key: owner }), 400, 'missing_required_parameter', 'batch_id');
      const mine = (await (await call(app, `/v1/tts/batch/result/?batch_id=${started.batch_id}`, { key: owner })).json()) as Record<string, unknown>;
      assert.deepEqual(mine, { batch_id: started.batch_id, total: 2, completed: 0, status: 'processing', credits_used: 2, credits_remaining: 98 });
    });
  });
});
