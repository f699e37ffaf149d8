/**
 * Cluster mode on real backends: Redis (redis-server, loopback, temp dir), S3 (s3rver), and three
 * Llais nodes in child processes sharing one data directory: one `serve` node that only accepts
 * work (jobConcurrency 0) and two `worker` nodes. Jobs accepted by one node complete on another;
 * a worker killed with SIGKILL mid-job leaves the job to the other (exactly one completion); a node
 * whose Redis goes away answers 503 `queue_unavailable` for queued work and recovers with it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { generateApiKey } from '../src/accounts/api-key.js';
import { openAccounts, type Accounts } from '../src/accounts/accounts.js';
import { probeAudio } from '../src/audio/probe.js';
import { downloadResultWav } from './helpers/result-download.js';
import { DEFAULTS, loadConfig } from '../src/config.js';
import { SqliteToolJobStore } from '../src/jobs/tool-job-store.js';
import { openDatabase, type Db } from '../src/storage/database.js';
import type { ClusterSettings } from '../src/cluster/cluster-config.js';
import { clusterSkipReason, completedBy, completions, startNode, startRedis, startS3, type ClusterNode, type RedisServer, type S3Server } from './helpers/cluster.js';
import { startTestApp, tempDir } from './helpers/app.js';
import { startWebhookReceiver } from './helpers/webhook-receiver.js';
import { repeatedSpeech, speechForm } from './helpers/speech-wav.js';
import { pluckedLoop } from './helpers/tool-signals.js';
import { toolForm, toolWav } from './helpers/tool-wav.js';

const skip = clusterSkipReason();
if (skip && process.env.CI) throw new Error(`cluster tests cannot run on CI: ${skip}`);

/** Long enough (~2 min of speech) that a test can find the node running it and stop that node mid-job. */
const LONG_TEXT = Array.from({ length: 30 }, (_, i) => `Sentence number ${i + 1} of a long job that one node starts and another finishes.`).join(' ');

/** The plan the limits test races: 20 requests a minute, concurrency out of the way. */
const PLANS = { starter: { requests_per_minute: 20, concurrent: 100 } };

/** The batch webhook goes to a receiver on loopback. */
const WEBHOOKS = { ...DEFAULTS.webhooks, allowPrivateTargets: true };

/** The account every request of these tests is made with (its key and credits are in the shared database). */
const ACCOUNT = 'acme';
const KEY = generateApiKey();

function json(): Record<string, string> {
  return { 'content-type': 'application/json', authorization: `Bearer ${KEY}` };
}

/**
 * How many of `nodes` logged completing job `uuid`. The log line may reach us a moment after the
 * record says completed (another process's stdout): waited for, then a moment more for a second.
 */
async function postJob(node: ClusterNode, text: string): Promise<string> {
  const res = await fetch(`${node.url}/v1/tts/`, { method: 'POST', headers: json(), body: JSON.stringify({ text, voice: 'en-us', format: 'wav' }) });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { uuid: string }).uuid;
}

async function poll(node: ClusterNode, uuid: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = (await (await fetch(`${node.url}/v1/speech/results/?uuid=${uuid}`, { headers: json() })).json()) as Record<string, unknown>;
    if (body.status !== 'queued' && body.status !== 'processing') return body;
    if (Date.now() > deadline) throw new Error(`job ${uuid} still ${String(body.status)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('cluster mode: Redis queue, S3 results, three nodes', { skip }, () => {
  let redis: RedisServer;
  let s3: S3Server;
  let serve: ClusterNode;
  let workers: ClusterNode[];
  let nodes: ClusterNode[];
  let dataDir: string;
  let cluster: ClusterSettings;
  let db: Db;
  let accounts: Accounts;

  /** The ledger rows of job `uuid`'s charge, by kind. */
  async function ledgerOf(uuid: string): Promise<string[]> {
    return (await accounts.ledger.history(ACCOUNT, 1000)).filter((r) => r.ref === uuid).map((r) => r.kind).sort();
  }

  /** The worker node running job `uuid` (BullMQ's processed-by field holds the node id). */
  async function runnerOf(uuid: string): Promise<ClusterNode> {
    const client = new Redis(redis.url);
    try {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const id = await client.hget(`llais:tts-jobs:${uuid}`, 'pb');
        const node = workers.find((w) => id === w.id);
        if (node) return node;
        if (Date.now() > deadline) throw new Error(`job ${uuid} is not running on a worker (processed by ${String(id)})`);
        await new Promise((r) => setTimeout(r, 10));
      }
    } finally {
      client.disconnect();
    }
  }

  before(async () => {
    [redis, s3] = await Promise.all([startRedis(), startS3()]);
    dataDir = await tempDir('llais-cluster-');
    cluster = { redisUrl: redis.url, s3: s3.settings, nodeId: '', sharedDataDir: true, lockMs: 1000 };
    // The account is made in the shared database before any node starts, as `llais keys create` would
    // (which also applies the migrations once, before nodes race to).
    db = openDatabase(dataDir);
    accounts = openAccounts(loadConfig({ dataDir }, { env: {} }), db);
    await accounts.accounts.ensure(ACCOUNT, 'pro');
    await accounts.ledger.grant(ACCOUNT, 1000, 'test');
    await accounts.keys.add(ACCOUNT, KEY);
    // The database exists now (made above), so the nodes can start together.
    [serve, ...workers] = await Promise.all([
      startNode('serve', { dataDir, jobConcurrency: 0, webhooks: WEBHOOKS, plans: PLANS, cluster: { ...cluster, nodeId: 'serve-1' } }),
      ...[1, 2].map((i) => startNode('worker', { dataDir, jobConcurrency: 1, webhooks: WEBHOOKS, plans: PLANS, cluster: { ...cluster, nodeId: `worker-${i}` } })),
    ]);
    nodes = [serve, ...workers];
  });

  after(async () => {
    await Promise.all((nodes ?? []).map((n) => n.close()));
    await Promise.all([redis?.stop(), s3?.stop()]);
    db?.close();
  });

  it('health names the node, its role and each backend, reachable', async () => {
    const res = await fetch(`${serve.url}/v1/health/`);
    const body = (await res.json()) as { node: unknown; backends: unknown };
    assert.deepEqual(body.node, { id: 'serve-1', role: 'serve' });
    assert.deepEqual(body.backends, { queue: { kind: 'redis', reachable: true }, results: { kind: 's3', reachable: true }, database: { kind: 'sqlite', reachable: true } });
    const worker = (await (await fetch(`${workers[0]!.url}/v1/health/`)).json()) as { node: unknown };
    assert.deepEqual(worker.node, { id: 'worker-1', role: 'worker' });
    const refused = await fetch(`${workers[0]!.url}/v1/tts/`, { method: 'POST', body: '{}' });
    assert.equal(refused.status, 404);
    assert.match(((await refused.json()) as { error: { message: string } }).error.message, /queue worker/);
  });

  it('jobs accepted by the serve node complete on the workers; the result streams from S3 through the node, Range included', async () => {
    const uuids = await Promise.all(['One job for the cluster.', 'Another job, on another node.', 'And a third.'].map((t) => postJob(serve, t)));
    for (const uuid of uuids) {
      const done = await poll(serve, uuid);
      assert.equal(done.status, 'completed');
      assert.equal(completions(serve, uuid), 0, 'the serve node runs no jobs');
      assert.equal(await completedBy(workers, uuid), 1);
      // Reserved by the node that accepted it, committed by the node that ran it, in the one ledger.
      assert.deepEqual(await ledgerOf(uuid), ['commit', 'reserve']);
      const bytes = await downloadResultWav(done.result_url as string, done.duration as number);
      const part = await fetch(done.result_url as string, { headers: { Range: 'bytes=8-11' } });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), `bytes 8-11/${bytes.length}`);
      assert.equal(Buffer.from(await part.arrayBuffer()).toString('latin1'), 'WAVE');
    }
  });

  it('a batch accepted by the serve node completes on the workers, and its webhook is sent once', async () => {
    const receiver = await startWebhookReceiver();
    const { hooks } = receiver;
    try {
      const webhookUrl = receiver.url;
      const texts = ['First item.', 'Second item.', 'Third item.', 'Fourth item.'].map((text) => ({ text, voice: 'en-us' }));
      const res = await fetch(`${serve.url}/v1/tts/batch/`, { method: 'POST', headers: json(), body: JSON.stringify({ texts, webhook_url: webhookUrl }) });
      assert.equal(res.status, 200, await res.clone().text());
      const { batch_id: id } = (await res.json()) as { batch_id: string };
      const deadline = Date.now() + 20_000;
      while (hooks.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const sent = JSON.parse(hooks[0] ?? '{}') as { batch_id: string; status: string; completed: number; items: Array<{ uuid: string }> };
      assert.deepEqual([sent.batch_id, sent.status, sent.completed], [id, 'completed', 4]);
      for (const item of sent.items) assert.equal(await completedBy(workers, item.uuid), 1);
      const polled = (await (await fetch(`${serve.url}/v1/tts/batch/result/?batch_id=${id}`, { headers: json() })).json()) as { status: string; webhook: { status: string } };
      assert.deepEqual([polled.status, polled.webhook.status], ['completed', 'delivered']);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(hooks.length, 1, 'one delivery, by one node');
    } finally {
      receiver.close();
    }
  });

  it('a worker draining on SIGTERM hands its running job back to the queue: it completes once, on another node', async () => {
    const third = await startNode('worker', { dataDir, jobConcurrency: 1, webhooks: WEBHOOKS, plans: PLANS, cluster: { ...cluster, nodeId: 'worker-3' } });
    nodes.push(third);
    workers.push(third);
    const uuid = await postJob(serve, LONG_TEXT);
    const victim = await runnerOf(uuid);
    await victim.close();
    workers.splice(workers.indexOf(victim), 1);
    const done = await poll(serve, uuid, 30_000);
    assert.equal(done.status, 'completed');
    assert.equal(completions(victim, uuid), 0, 'the draining node did not complete it');
    assert.equal(await completedBy(workers, uuid), 1, 'another worker completed it exactly once');
  });

  it('a worker draining on SIGTERM hands its running async transcription back to the queue: it completes once, on another node', async () => {
    const fourth = await startNode('worker', { dataDir, jobConcurrency: 1, webhooks: WEBHOOKS, plans: PLANS, cluster: { ...cluster, nodeId: 'worker-4' } });
    nodes.push(fourth);
    workers.push(fourth);
    const res = await fetch(`${serve.url}/v1/stt/`, { method: 'POST', headers: { authorization: json().authorization! }, body: speechForm(await repeatedSpeech(3), { async: 'true' }) });
    assert.equal(res.status, 202, await res.clone().text());
    const { job_id: id } = (await res.json()) as { job_id: string };
    const logged = (node: ClusterNode, what: string): number => node.lines.filter((l) => l.includes(`"audio job ${what}"`) && l.includes(id)).length;
    let victim: ClusterNode | undefined;
    for (const deadline = Date.now() + 15_000; !(victim = workers.find((w) => logged(w, 'started') > 0)); await new Promise((r) => setTimeout(r, 20))) {
      if (Date.now() > deadline) throw new Error(`audio job ${id} did not start on a worker`);
    }
    await victim.close();
    workers.splice(workers.indexOf(victim), 1);
    // Read from the shared database: polls over HTTP would spend the plan's requests per minute.
    const records = new SqliteToolJobStore(db);
    let job = await records.get(id);
    for (const deadline = Date.now() + 60_000; job?.status === 'processing' && Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) job = await records.get(id);
    assert.equal(job?.status, 'completed', JSON.stringify(job));
    assert.equal(logged(victim, 'completed'), 0, 'the draining node did not complete it');
    for (const deadline = Date.now() + 5000; workers.every((w) => logged(w, 'completed') === 0) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
    assert.equal(workers.reduce((n, w) => n + logged(w, 'completed'), 0), 1, 'another worker completed it exactly once');
  });

  it('a worker killed with SIGKILL mid-job leaves the job to the other: it completes once, elsewhere', async () => {
    const uuid = await postJob(serve, LONG_TEXT);
    const victim = await runnerOf(uuid);
    await victim.kill();
    const done = await poll(serve, uuid, 30_000);
    assert.equal(done.status, 'completed');
    assert.equal(completions(victim, uuid), 0, 'the killed node did not complete it');
    const survivor = workers.find((w) => w !== victim)!;
    assert.equal(await completedBy([survivor], uuid), 1, 'the other worker completed it exactly once');
    assert.deepEqual(await ledgerOf(uuid), ['commit', 'reserve'], 'charged once');
    const file = await fetch(done.result_url as string);
    const probe = await probeAudio(new Uint8Array(await file.arrayBuffer()));
    assert.ok(Math.abs(probe.durationSec - (done.duration as number)) < 0.05);
  });

  it('a plan\'s requests per minute hold exactly for 50 concurrent requests spread over three serve nodes', async () => {
    const racerKey = generateApiKey();
    await accounts.accounts.ensure('racer', 'starter');
    await accounts.ledger.grant('racer', 1000, 'test');
    await accounts.keys.add('racer', racerKey);
    const more = await Promise.all([2, 3].map((i) => startNode('serve', { dataDir, jobConcurrency: 0, plans: PLANS, cluster: { ...cluster, nodeId: `serve-${i}` } })));
    nodes.push(...more);
    const serveNodes = [serve, ...more];
    // Real requests with bodies (read after the asynchronous admission): short streamed syntheses.
    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const res = await fetch(`${serveNodes[i % 3]!.url}/v1/tts/stream/`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${racerKey}` }, body: JSON.stringify({ text: `Request ${i}.`, voice: 'en-us' }) });
        const body = res.status === 200 ? (await res.arrayBuffer()).byteLength : ((await res.json()) as { error: { code: string } }).error.code;
        return { status: res.status, body, remaining: res.headers.get('x-ratelimit-remaining') };
      }),
    );
    const ok = results.filter((r) => r.status === 200);
    assert.equal(ok.length, 20, JSON.stringify(results.map((r) => r.status)));
    assert.ok(ok.every((r) => typeof r.body === 'number' && r.body > 1000), 'each admitted request streamed audio');
    assert.deepEqual(ok.map((r) => Number(r.remaining)).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i), 'one count per request, none lost or doubled');
    const refused = results.filter((r) => r.status !== 200);
    assert.ok(refused.every((r) => r.status === 429 && r.body === 'rate_limit_exceeded'), JSON.stringify(refused.slice(0, 3)));
  });

  it('while Redis is away queued work gets 503 queue_unavailable (streams still work); it recovers when Redis is back', async () => {
    await redis.stop();
    // The node sees the connection close at once; give its reconnect loop a moment to notice.
    let refused: Response | undefined;
    for (let i = 0; i < 50; i++) {
      refused = await fetch(`${serve.url}/v1/tts/`, { method: 'POST', headers: json(), body: JSON.stringify({ text: 'Not now.', voice: 'en-us' }) });
      if (refused.status !== 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(refused!.status, 503);
    assert.equal(refused!.headers.get('retry-after'), '5');
    assert.equal(((await refused!.json()) as { error: { code: string } }).error.code, 'queue_unavailable');
    const audioJob = () => fetch(`${serve.url}/v1/audio/enhance/`, { method: 'POST', headers: { authorization: json().authorization! }, body: toolForm(toolWav([pluckedLoop(8000, 1, [220], 0.5)], 8000), { async: 'true' }) });
    const audioRefused = await audioJob();
    assert.equal(audioRefused.status, 503, 'an async audio job too, before its upload is stored or charged');
    assert.equal(((await audioRefused.json()) as { error: { code: string } }).error.code, 'queue_unavailable');
    const health = (await (await fetch(`${serve.url}/v1/health/`)).json()) as { backends: { queue: { reachable: boolean } } };
    assert.equal(health.backends.queue.reachable, false);
    const stream = await fetch(`${serve.url}/v1/tts/stream/`, { method: 'POST', headers: json(), body: JSON.stringify({ text: 'Streaming needs no queue.', voice: 'en-us' }) });
    assert.equal(stream.status, 200);
    await stream.arrayBuffer();

    await redis.start();
    let uuid: string | undefined;
    for (let i = 0; i < 100 && uuid === undefined; i++) {
      const res = await fetch(`${serve.url}/v1/tts/`, { method: 'POST', headers: json(), body: JSON.stringify({ text: 'Back again.', voice: 'en-us' }) });
      if (res.status === 200) uuid = ((await res.json()) as { uuid: string }).uuid;
      else await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(uuid, 'the node accepts queued work again once Redis is back');
    assert.equal((await poll(serve, uuid)).status, 'completed');
    const accepted = await audioJob();
    assert.equal(accepted.status, 202, await accepted.clone().text());
    const { job_id } = (await accepted.json()) as { job_id: string };
    let job = { status: 'processing' };
    for (const deadline = Date.now() + 30_000; job.status === 'processing' && Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      job = (await (await fetch(`${serve.url}/v1/audio/jobs/${job_id}`, { headers: json() })).json()) as { status: string };
    }
    assert.equal(job.status, 'completed', `the async audio job runs on a worker again: ${JSON.stringify(job)}`);
  });
});

describe('a node started before its Redis is reachable', { skip }, () => {
  const nodeCluster = (redisUrl: string): ClusterSettings => ({ ...loadConfig({}, { env: {} }).cluster, redisUrl, nodeId: 'early', sharedDataDir: true, lockMs: 1000 });
  const ttsJob = (url: string): Promise<Response> =>
    fetch(`${url}/v1/tts/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'The first job.', voice: 'en-us', format: 'wav' }) });

  it('waits for Redis before it listens (bounded), so its first queued job is accepted, not refused with 503', async () => {
    const redis = await startRedis();
    await redis.stop();
    let startedAt = 0;
    const starting = startTestApp({ cluster: nodeCluster(redis.url) }).then((app) => ((startedAt = Date.now()), app));
    await new Promise((r) => setTimeout(r, 1500));
    // Taken before the start: the node may see Redis ready before this process reads its log line.
    const redisStartAt = Date.now();
    await redis.start();
    const app = await starting;
    try {
      assert.ok(startedAt >= redisStartAt, `listening ${redisStartAt - startedAt} ms before Redis was started`);
      const res = await ttsJob(app.url);
      assert.equal(res.status, 200, await res.clone().text());
    } finally {
      await app.close();
      await redis.stop();
    }
  });

  it('with Redis down for good, it starts after the wait: streaming works, queued work gets 503 queue_unavailable', async () => {
    const redis = await startRedis();
    await redis.stop();
    const app = await startTestApp({ cluster: nodeCluster(redis.url) });
    try {
      const refused = await ttsJob(app.url);
      assert.equal(refused.status, 503);
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'queue_unavailable');
      const streamed = await fetch(`${app.url}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'espeak', input: 'Still here.', voice: 'en-us', response_format: 'pcm' }) });
      assert.equal(streamed.status, 200, await streamed.clone().text());
      assert.ok((await streamed.arrayBuffer()).byteLength > 1000);
    } finally {
      await app.close();
    }
  });
});
