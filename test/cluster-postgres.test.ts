/**
 * Cluster mode on Postgres (issue 17): `llais migrate`, the ledger exact across nodes, and the
 * SQLite and Postgres stores held to one contract table. A real Postgres from Debian's package,
 * started by test/helpers/postgres.ts; skipped only where it is not installed and CI is unset.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { loadConfig } from '../src/config.js';
import { databaseCheck } from '../src/doctor/backend-checks.js';
import { openDatabase } from '../src/storage/database.js';
import { LATEST_VERSION, MIGRATIONS, appliedVersion } from '../src/storage/postgres/migrations.js';
import { createPgPool } from '../src/storage/postgres/pool.js';
import { postgresStores, sqliteStores, type SharedStores } from '../src/storage/shared-stores.js';
import { generateApiKey } from '../src/accounts/api-key.js';
import type { ClusterSettings } from '../src/cluster/cluster-config.js';
import { startTestApp, tempDir } from './helpers/app.js';
import { clusterSkipReason, completedBy, completions, startNode, startRedis, startS3, type ClusterNode, type RedisServer, type S3Server } from './helpers/cluster.js';
import { postgresSkipReason, startPostgres, type PostgresServer } from './helpers/postgres.js';
import { storeContract } from './helpers/store-contract.js';
import { tooManyPronunciations } from '../src/accounts/pronunciation-store.js';
import { MAX_PRONUNCIATIONS } from '../src/text/pronunciations.js';
import { MAX_EMBEDDINGS_PER_ACCOUNT, tooManyEmbeddings } from '../src/voice/embedding-store.js';
import { cliArgs, REPO_ROOT } from './helpers/repo.js';
import { readFile } from 'node:fs/promises';
import { S3JobUploads } from '../src/jobs/job-uploads.js';
import { QUEUE_RUNNER, type ToolJobRecord, type ToolJobStore } from '../src/jobs/tool-job-store.js';
import { repeatedSpeech, SHORT_SPEECH, speechForm } from './helpers/speech-wav.js';
import { pluckedLoop } from './helpers/tool-signals.js';
import { toolForm, toolWav } from './helpers/tool-wav.js';
import { CLIP_TEXTS, wavOf } from './helpers/voices.js';
import { S3VoiceAudioStore } from '../src/voice/s3-voice-audio-store.js';

const skip = postgresSkipReason();
if (skip) process.stderr.write(`cluster-postgres tests skipped: ${skip}\n`);

const migrateCli = async (url: string): Promise<string> =>
  (await promisify(execFile)(process.execPath, cliArgs('migrate', '--data-dir', await tempDir()), { cwd: REPO_ROOT, env: { ...process.env, LLAIS_DATABASE_URL: url } })).stdout;

describe('cluster mode on Postgres', { skip }, () => {
  let server: PostgresServer;
  before(async () => {
    server = await startPostgres();
  });
  after(() => server?.stop());

  it('`llais migrate` applies every step once, concurrent runs included; a node on an unmigrated database refuses to start', async () => {
    const url = await server.createDatabase('migrate_test');
    const refused = startTestApp({ cluster: { ...loadConfig({}).cluster, databaseUrl: url } });
    await assert.rejects(refused, /schema version 0.*run `llais migrate`/s);
    const first = await migrateCli(url);
    for (const m of MIGRATIONS) assert.match(first, new RegExp(`applied ${m.version}: ${m.name}`));
    const second = await migrateCli(url);
    assert.doesNotMatch(second, /applied/);
    assert.match(second, new RegExp(`up to date \\(schema version ${LATEST_VERSION}\\)`));
    // Two runs at once on another empty database: the advisory lock lets each step apply once.
    const other = await server.createDatabase('migrate_race');
    const [a, b] = await Promise.all([migrateCli(other), migrateCli(other)]);
    assert.equal((a + b).match(/applied \d+:/g)?.length, MIGRATIONS.length);
    const pool = createPgPool(other);
    try {
      assert.equal(await appliedVersion(pool), LATEST_VERSION);
    } finally {
      await pool.end();
    }
    // A non-Postgres URL is refused with what is wrong.
    await assert.rejects(startTestApp({ cluster: { ...loadConfig({}).cluster, databaseUrl: 'mysql://x@localhost/db' } }), /LLAIS_DATABASE_URL must be a postgres:\/\//);
  });

  describe('stores', () => {
    let url: string;
    let nodes: SharedStores[] = [];
    before(async () => {
      url = await server.createDatabase('stores_test');
      await migrateCli(url);
      // Two pools: two nodes.
      nodes = [await postgresStores(url), await postgresStores(url)];
    });
    after(async () => {
      for (const n of nodes) await n.close();
    });

    it('ledger: 50 concurrent reserves over two nodes with credits for 20 give exactly 20; rows sum to the balance; settled once', async () => {
      const [a, b] = nodes as [SharedStores, SharedStores];
      await a.accounts.ensure('racer', 'pro');
      await a.ledger.grant('racer', 20, 'test');
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).ledger.reserve('racer', 1, `race-${i}`, null)),
      );
      const won = results.map((r, i) => (r.ok ? i : -1)).filter((i) => i >= 0);
      assert.equal(won.length, 20, 'exactly 20 reserves succeed');
      assert.ok(results.every((r) => r.balance >= 0), 'no reserve sees a negative balance');
      assert.equal(await a.ledger.balance('racer'), 0);
      const rows = await b.ledger.history('racer', 1000);
      assert.equal(rows.reduce((sum, r) => sum + r.delta, 0), await b.ledger.balance('racer'), 'the rows sum to the balance');
      // Commit one and refund another from both nodes at once: each settles once.
      const [c1, c2] = [`race-${won[0]}`, `race-${won[1]}`];
      const settled = await Promise.all([a.ledger.commit(c1), b.ledger.commit(c1), a.ledger.refund(c2, 'x'), b.ledger.refund(c2, 'y')]);
      assert.equal(settled.filter((s) => s !== null).length, 2, 'one commit and one refund took effect');
      assert.equal(await a.ledger.commit(c2), null, 'a refunded reservation cannot be committed');
      assert.equal((await a.ledger.history('racer', 1000)).filter((r) => r.ref === c2 && r.kind !== 'reserve').length, 1);
      assert.equal(await a.ledger.balance('racer'), 1, 'the refunded credit is back, once');
      await assert.rejects(a.ledger.reserve('racer', 1, c1, null), /already used/);
    });

    it('the SQLite and Postgres stores answer one contract table alike', async () => {
      const db = openDatabase(await tempDir());
      const fresh = await server.createDatabase('contract_test');
      await migrateCli(fresh);
      const pgStores = await postgresStores(fresh);
      try {
        const sqlite = await storeContract(sqliteStores(db));
        const postgres = await storeContract(pgStores);
        assert.ok(sqlite.length > 20, 'the table has its rows');
        for (let i = 0; i < sqlite.length; i++) assert.deepEqual(postgres[i], sqlite[i], `step ${sqlite[i]?.[0]}`);
        // Alike is not enough: the answers both must give.
        const answer = (name: string): unknown => sqlite.find(([step]) => step === name)?.[1];
        assert.deepEqual(answer('ownership.ownerOf each'), ['acme', 'acme', 'acme', 'beta', undefined]);
        assert.deepEqual(answer('ownership.ownerOf is per kind'), [undefined, undefined, 'beta']);
        assert.deepEqual(answer('pronunciations.add past the limit at once'), { ok: MAX_PRONUNCIATIONS, refused: [tooManyPronunciations().message] });
        assert.equal(answer('pronunciations.list at the limit'), MAX_PRONUNCIATIONS);
        assert.deepEqual(answer('pronunciations.remove by another account'), false);
        assert.deepEqual(answer('conversations.get in order'), {
          systemPrompt: null,
          seqs: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => `${n}:${n % 2 === 1 ? 'user' : 'assistant'}`),
          texts: ['hello', 're: hello', 'again', 're: again', 'third', 're: third'],
        });
        assert.equal((answer('voices.get reads back the exact vector') as unknown[])[1], true);
        assert.deepEqual(answer('voices.add past the limit at once'), { ok: MAX_EMBEDDINGS_PER_ACCOUNT, refused: [tooManyEmbeddings().message] });
        assert.deepEqual(answer('voices.count'), [2, 0]);
      } finally {
        db.close();
        await pgStores.close();
      }
    });

    it('reports the database reachable for health', async () => {
      assert.equal(nodes[0]!.kind, 'postgres');
      assert.equal(await nodes[0]!.reachable(1000), true);
    });

    it('`llais doctor`\'s database check: passes when migrated, names `llais migrate` when not, and the URL without its password when unreachable', async () => {
      const check = (databaseUrl: string) => databaseCheck(loadConfig({ cluster: { ...loadConfig({}).cluster, databaseUrl } }));
      const good = await check(url);
      assert.equal(good.status, 'ok', good.detail);
      assert.match(good.detail, new RegExp(`schema version ${LATEST_VERSION}`));
      const unmigrated = await check(await server.createDatabase('doctor_unmigrated'));
      assert.equal(unmigrated.status, 'fail');
      assert.match(unmigrated.fix ?? '', /llais migrate/);
      const closed = await check('postgres://llais:hunter2@127.0.0.1:1/llais');
      assert.equal(closed.status, 'fail');
      assert.ok(!closed.detail.includes('hunter2'), closed.detail);
      assert.match(closed.detail, /127\.0\.0\.1:1/);
    });
  });

  // Async audio tool job records: the two stores answer alike, and a start interrupts only what died with it.
  it('async audio job records: SQLite and Postgres alike; only a node\'s own local jobs are interrupted, never a queued one', async () => {
    const db = openDatabase(await tempDir());
    const url = await server.createDatabase('tool_jobs_test');
    await migrateCli(url);
    const pg = await postgresStores(url);
    const run = async (store: ToolJobStore): Promise<unknown[]> => {
      const steps: unknown[] = [];
      const id = (n: number): string => `atj_${String(n).padStart(32, '0')}`;
      await store.create({ id: id(1), tool: 'enhance', totalFrames: 100, runner: QUEUE_RUNNER, payload: { ext: 'wav', n: [1, 2] } });
      await store.create({ id: id(2), tool: 'transcribe', totalFrames: 0, runner: 'node-a' });
      await store.create({ id: id(3), tool: 'separate', totalFrames: 50, runner: 'node-b' });
      await store.setProgress(id(1), 40);
      const strip = (r: ToolJobRecord | undefined) => r && { ...r, createdAt: typeof r.createdAt, finishedAt: typeof r.finishedAt };
      steps.push(strip(await store.get(id(1))), await store.get('atj_none'));
      steps.push(await store.interruptUnfinished({ code: 'interrupted', message: 'x' }, 'node-a'));
      steps.push(strip(await store.get(id(2))), (await store.get(id(3)))?.status, (await store.get(id(1)))?.status);
      steps.push((await store.unfinishedQueued()).map((r) => r.id), await store.countQueued());
      steps.push(await store.finish(id(1), { status: 'cancelled' }), await store.finish(id(1), { status: 'completed', result: { a: 1 } }));
      await store.setProgress(id(1), 90);
      steps.push(strip(await store.get(id(1))), (await store.unfinishedQueued()).length, await store.countQueued());
      steps.push(await store.interruptUnfinished({ code: 'interrupted', message: 'y' }));
      steps.push((await store.get(id(3)))?.status);
      await store.prune(Date.now() + 1);
      steps.push(await store.get(id(1)));
      return steps;
    };
    try {
      const sqlite = await run(sqliteStores(db).toolJobs);
      const postgres = await run(pg.toolJobs);
      assert.deepEqual(postgres, sqlite);
      assert.deepEqual(sqlite[2], 1, 'node-a\'s local job only');
      assert.equal(sqlite[4], 'processing', 'node-b\'s local job runs on');
      assert.equal(sqlite[14], 'failed');
      assert.equal(sqlite[15], undefined, 'pruned');
      assert.deepEqual(sqlite[6], ['atj_' + '1'.padStart(32, '0')], 'the queued job stays for the queue');
      assert.equal(sqlite[7], 1, 'one queued job counted');
      assert.deepEqual(sqlite[8], true);
      assert.deepEqual(sqlite[9], false, 'a cancelled job does not complete');
      assert.equal(sqlite[12], 0, 'an ended job no longer counts');
      assert.equal(sqlite[13], 1, 'without a runner: every local job, the queued one already ended');
    } finally {
      db.close();
      await pg.close();
    }
  });

  describe('three nodes on Redis + Postgres, each with its own data directory', { skip: clusterSkipReason() }, () => {
    const KEY = generateApiKey();
    /** Another account's key: what K1 made must not be visible to it on any node. */
    const OTHER = generateApiKey();
    let redis: RedisServer;
    let s3: S3Server;
    let stores: SharedStores;
    let nodes: ClusterNode[] = [];
    let cluster: ClusterSettings;
    const auth = { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' };

    before(async () => {
      const url = await server.createDatabase('three_nodes');
      await migrateCli(url);
      [redis, s3] = await Promise.all([startRedis(), startS3()]);
      stores = await postgresStores(url);
      await stores.accounts.ensure('acme', 'pro');
      await stores.ledger.grant('acme', 1000, 'test');
      await stores.keys.add('acme', KEY);
      await stores.accounts.ensure('other', 'pro');
      await stores.keys.add('other', OTHER);
      // No sharedDataDir: job records, ledger and keys are shared through Postgres, results through S3.
      cluster = { redisUrl: redis.url, databaseUrl: url, s3: s3.settings, nodeId: '', sharedDataDir: false, lockMs: 1000 };
      nodes = await Promise.all([
        startNode('serve', { dataDir: await tempDir('llais-a-'), jobConcurrency: 0, cluster: { ...cluster, nodeId: 'serve-a' } }),
        startNode('worker', { dataDir: await tempDir('llais-b-'), jobConcurrency: 1, cluster: { ...cluster, nodeId: 'worker-b' } }),
        startNode('serve', { dataDir: await tempDir('llais-c-'), jobConcurrency: 0, cluster: { ...cluster, nodeId: 'serve-c' } }),
      ]);
    });
    after(async () => {
      await Promise.all(nodes.map((n) => n.close()));
      await stores?.close();
      await Promise.all([redis?.stop(), s3?.stop()]);
    });

    it('a job submitted to one node runs on another and downloads from the third; charged once', async () => {
      const [a, b, c] = nodes as [ClusterNode, ClusterNode, ClusterNode];
      const health = (await (await fetch(`${c.url}/v1/health/`)).json()) as { backends: Record<string, unknown> };
      assert.deepEqual(health.backends.database, { kind: 'postgres', reachable: true });
      const res = await fetch(`${a.url}/v1/tts/`, { method: 'POST', headers: auth, body: JSON.stringify({ text: 'One job across three nodes.', voice: 'en-us', format: 'wav' }) });
      assert.equal(res.status, 200, await res.clone().text());
      const { uuid, credits_used: credits } = (await res.json()) as { uuid: string; credits_used: number };
      let done: Record<string, unknown> = {};
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
        done = (await (await fetch(`${c.url}/v1/speech/results/?uuid=${uuid}`, { headers: auth })).json()) as Record<string, unknown>;
        if (done.status === 'completed' || done.status === 'failed') break;
      }
      assert.equal(done.status, 'completed', JSON.stringify(done));
      assert.equal(await completedBy([b], uuid), 1, 'the worker ran it');
      assert.equal(completions(a, uuid) + completions(c, uuid), 0, 'the serve nodes ran nothing');
      assert.match(done.result_url as string, new RegExp(`^${c.url}/`));
      const file = await fetch(done.result_url as string);
      assert.equal(file.status, 200);
      assert.equal(Buffer.from(await file.arrayBuffer()).subarray(0, 4).toString(), 'RIFF');
      const rows = (await stores.ledger.history('acme', 100)).filter((r) => r.ref === uuid);
      assert.deepEqual(rows.map((r) => r.kind).sort(), ['commit', 'reserve'], 'reserved on one node, committed on another, once');
      assert.equal(await stores.ledger.balance('acme'), 1000 - credits);
    });

    it('what one key makes on one node (owned job, saved pronunciation, conversation, stored voice) is the same on another, and hidden from another key', async () => {
      const [a, , c] = nodes as [ClusterNode, ClusterNode, ClusterNode];
      const as = (key: string, json = true): Record<string, string> => ({ Authorization: `Bearer ${key}`, ...(json ? { 'Content-Type': 'application/json' } : {}) });
      const post = (node: ClusterNode, path: string, key: string, body: unknown): Promise<Response> => fetch(`${node.url}${path}`, { method: 'POST', headers: as(key), body: JSON.stringify(body) });
      const code = async (res: Response): Promise<[number, string | undefined]> => [res.status, res.ok ? undefined : ((await res.json()) as { error: { code: string } }).error.code];
      // A pronunciation saved on A is listed on C and applied to a job submitted to C.
      assert.equal((await post(a, '/api/v1/pronunciations/', KEY, { word: 'Llais', replacement: 'thlice' })).status, 200);
      const listed = (await (await fetch(`${c.url}/api/v1/pronunciations/`, { headers: as(KEY) })).json()) as { pronunciations: Array<{ word: string }> };
      assert.deepEqual(listed.pronunciations.map((p) => p.word), ['Llais']);
      assert.equal(((await (await fetch(`${c.url}/api/v1/pronunciations/`, { headers: as(OTHER) })).json()) as { total: number }).total, 0);
      const res = await post(c, '/v1/tts/', KEY, { text: 'Llais.', voice: 'en-us', format: 'wav' });
      assert.equal(res.status, 200, await res.clone().text());
      const { uuid } = (await res.json()) as { uuid: string };
      assert.deepEqual(((await stores.jobs.get(uuid))!.request as { pronunciations: Array<{ word: string }> }).pronunciations.map((r) => r.word), ['Llais']);
      // The job, made with K1 on C: another key polls it on A as a job that does not exist; K1 polls it there.
      assert.deepEqual(await code(await fetch(`${a.url}/v1/speech/results/?uuid=${uuid}`, { headers: as(OTHER) })), [404, 'job_not_found']);
      assert.equal((await fetch(`${a.url}/v1/speech/results/?uuid=${uuid}`, { headers: as(KEY) })).status, 200);
      // A conversation started on A continues on C, for its own key only.
      const first = (await (await post(a, '/v1/voice-chat/', KEY, { text: 'Hello there.' })).json()) as { conversation_id: string };
      assert.deepEqual(await code(await post(c, '/v1/voice-chat/', OTHER, { text: 'Mine now?', conversation_id: first.conversation_id })), [404, 'conversation_not_found']);
      const second = await post(c, '/v1/voice-chat/', KEY, { text: 'How are you?', conversation_id: first.conversation_id });
      assert.equal(second.status, 200, await second.clone().text());
      assert.equal(((await second.json()) as { conversation_id: string }).conversation_id, first.conversation_id);
      assert.deepEqual((await stores.conversations.get(first.conversation_id))!.messages.map((m) => `${m.role}:${m.content}`).filter((m) => m.startsWith('user:')), ['user:Hello there.', 'user:How are you?']);
      // A voice embedded on A is listed on C and converts toward there; another key finds no such voice.
      const speech = await fetch(`${a.url}/v1/audio/speech`, { method: 'POST', headers: as(KEY), body: JSON.stringify({ model: 'espeak', input: CLIP_TEXTS[0], voice: 'en-us', response_format: 'pcm' }) });
      const bytes = new Uint8Array(await speech.arrayBuffer());
      const wav = wavOf(new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 1), 24_000);
      const upload = (fields: Record<string, string>): FormData => {
        const fd = new FormData();
        for (const [k, v] of Object.entries(fields)) fd.append(k, v);
        fd.append('file', new Blob([new Uint8Array(wav)]), 'voice.wav');
        return fd;
      };
      const embedded = await fetch(`${a.url}/v1/voice-embed/`, { method: 'POST', headers: as(KEY, false), body: upload({}) });
      assert.equal(embedded.status, 200, await embedded.clone().text());
      const { embed_id: embedId } = (await embedded.json()) as { embed_id: string };
      const voices = (await (await fetch(`${c.url}/v1/voice-embed/`, { headers: as(KEY) })).json()) as { embeddings: Array<{ embed_id: string }> };
      assert.deepEqual(voices.embeddings.map((e) => e.embed_id), [embedId]);
      assert.deepEqual(await code(await fetch(`${c.url}/v1/voice-convert/`, { method: 'POST', headers: as(OTHER, false), body: upload({ target_voice: embedId, format: 'wav' }) })), [404, 'embedding_not_found']);
      const converted = await fetch(`${c.url}/v1/voice-convert/`, { method: 'POST', headers: as(KEY, false), body: upload({ target_voice: embedId, format: 'wav' }) });
      assert.equal(converted.status, 200, await converted.clone().text());
      assert.equal(Buffer.from(await converted.arrayBuffer()).subarray(0, 4).toString(), 'RIFF');
      // Its audio (for the audio-based converters) is in the bucket, not on A's disk, and goes with the voice.
      const voiceAudio = new S3VoiceAudioStore(s3.settings);
      assert.ok(((await voiceAudio.load(embedId))?.length ?? 0) > 16_000, 'the stored voice\'s audio is in the bucket');
      const removed = await fetch(`${c.url}/v1/voice-embed/?embed_id=${embedId}`, { method: 'DELETE', headers: as(KEY) });
      assert.equal(removed.status, 200, await removed.clone().text());
      assert.equal(await voiceAudio.load(embedId), undefined, 'deleted through another node, its audio too');
      // The job ends before the nodes stop, so none is handed back mid-run.
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
        if ((await stores.jobs.get(uuid))?.status === 'completed') break;
      }
    });

    // Async audio tool and transcription jobs on the `audio-jobs` queue (uploads on S3).
    describe('async audio jobs across the nodes', () => {
      // An account of its own (enterprise: the polls stay within its requests per minute).
      const JOBS_KEY = generateApiKey();
      const keyOnly = { Authorization: `Bearer ${JOBS_KEY}` };
      // A second worker from the start (its start-up off the kill test's clock): either may take a job.
      let d: ClusterNode;
      const workers = (): ClusterNode[] => [nodes[1]!, d];
      const startedOnWorkers = (id: string): number => workers().reduce((n, w) => n + started(w, id), 0);
      before(async () => {
        d = await startNode('worker', { dataDir: await tempDir('llais-d-'), jobConcurrency: 1, cluster: { ...cluster, nodeId: 'worker-d' } });
        nodes.push(d);
        await stores.accounts.ensure('audio', 'enterprise');
        await stores.ledger.grant('audio', 1000, 'test');
        await stores.keys.add('audio', JOBS_KEY);
      });
      const started = (node: ClusterNode, id: string): number => node.lines.filter((l) => l.includes('"audio job started"') && l.includes(id)).length;
      const finished = (node: ClusterNode, id: string): number => node.lines.filter((l) => l.includes('"audio job completed"') && l.includes(id)).length;
      // Every request counts against the account's 300 a minute, polls too: on a slow machine a
      // test's polls can reach it, and a real client waits out the 429's Retry-After, as these do.
      const call = async (node: ClusterNode, path: string, init: RequestInit = {}): Promise<Response> => {
        for (;;) {
          const res = await fetch(`${node.url}${path}`, { ...init, headers: keyOnly });
          if (res.status !== 429) return res;
          await new Promise((r) => setTimeout(r, Math.max(1, Number(res.headers.get('retry-after')) || 1) * 1000));
        }
      };
      type JobView = { status: string; result?: Record<string, unknown>; progress: number };
      const readJob = async (node: ClusterNode, id: string): Promise<JobView> => {
        const res = await call(node, `/v1/audio/jobs/${id}`);
        assert.equal(res.status, 200, await res.clone().text());
        return (await res.json()) as JobView;
      };
      const submit = async (node: ClusterNode, path: string, form: FormData): Promise<string> => {
        const res = await call(node, path, { method: 'POST', body: form });
        assert.equal(res.status, 202, await res.clone().text());
        return ((await res.json()) as { job_id: string }).job_id;
      };
      const pollDone = async (node: ClusterNode, id: string, timeoutMs = 60_000): Promise<JobView> => {
        for (const deadline = Date.now() + timeoutMs; ; await new Promise((r) => setTimeout(r, 250))) {
          const job = await readJob(node, id);
          if (job.status !== 'processing' || Date.now() > deadline) return job;
        }
      };
      const settledOnce = async (id: string, used: number): Promise<void> => {
        // The worker settles the charge right after the record ends: a poll may be a moment ahead.
        const rowsOf = async () => (await stores.ledger.history('audio', 1000)).filter((r) => r.ref === id);
        for (const deadline = Date.now() + 5000; (await rowsOf()).length < 2 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
        const rows = await rowsOf();
        assert.deepEqual(rows.map((r) => r.kind).sort(), ['commit', 'reserve'], 'reserved on the accepting node, committed once');
        assert.equal(rows.reduce((sum, r) => sum + r.delta, 0), -used);
      };
      const assertUploadGone = async (id: string): Promise<void> => {
        const store = new S3JobUploads(s3.settings);
        try {
          assert.equal(await store.exists(id, 'wav'), false, 'the upload is gone from S3');
        } finally {
          store.close();
        }
      };

      it('an enhance job submitted to node A runs on the worker, is polled and downloaded on node C; upload gone; charged once', async () => {
        const [a, , c] = nodes as [ClusterNode, ClusterNode, ClusterNode];
        const balance = await stores.ledger.balance('audio');
        const id = await submit(a, '/v1/audio/enhance/', toolForm(toolWav([pluckedLoop(8000, 2, [220], 0.5)], 8000), { async: 'true' }));
        const job = await pollDone(c, id);
        assert.equal(job.status, 'completed', JSON.stringify(job));
        assert.equal(job.progress, 1);
        assert.equal(startedOnWorkers(id), 1, 'a worker ran it, once');
        assert.equal(started(a, id) + started(c, id), 0, 'the serve nodes ran nothing');
        const result = job.result as { result_url: string; credits_used: number; credits_remaining: number };
        const file = await call(c, new URL(result.result_url).pathname);
        assert.equal(file.status, 200);
        assert.equal(Buffer.from(await file.arrayBuffer()).subarray(0, 4).toString(), 'RIFF');
        await assertUploadGone(id);
        await settledOnce(id, result.credits_used);
        assert.equal(await stores.ledger.balance('audio'), balance - result.credits_used);
        assert.equal(result.credits_remaining, balance - result.credits_used);
      });

      it('an async transcription submitted to node C runs on the worker and answers on node A', async () => {
        const [a, , c] = nodes as [ClusterNode, ClusterNode, ClusterNode];
        const id = await submit(c, '/v1/stt/', speechForm(await readFile(SHORT_SPEECH), { async: 'true' }));
        const job = await pollDone(a, id);
        assert.equal(job.status, 'completed', JSON.stringify(job));
        assert.equal(startedOnWorkers(id), 1);
        assert.equal(started(a, id) + started(c, id), 0);
        const result = job.result as { text: string; credits_used: number; segments: unknown[] };
        assert.ok(result.text.length > 5, result.text);
        await settledOnce(id, result.credits_used);
        await assertUploadGone(id);
      });

      it('a DELETE on node C stops the job running on the worker: cancelled, refunded, upload gone', async () => {
        const [a, , c] = nodes as [ClusterNode, ClusterNode, ClusterNode];
        const balance = await stores.ledger.balance('audio');
        const id = await submit(a, '/v1/stt/', speechForm(await repeatedSpeech(34), { async: 'true' }));
        while (startedOnWorkers(id) === 0) await new Promise((r) => setTimeout(r, 50));
        // The worker writes its progress to the record (about every second): node C reads it there.
        // The first comes with the first final segment (~7 s of audio, a cold decoder first): on a
        // starved machine that took over 30 s once. Polled every 500 ms for up to 2 minutes.
        let progress = 0;
        try {
          for (const deadline = Date.now() + 120_000; progress === 0 && Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
            progress = (await readJob(c, id)).progress;
          }
          assert.ok(progress > 0 && progress < 0.5, `progress ${progress} of about 4 minutes, read on another node`);
        } catch (err) {
          // A 4-minute job left running would hold a worker and fail the next test as well.
          await call(c, `/v1/audio/jobs/${id}`, { method: 'DELETE' });
          throw err;
        }
        const res = await call(c, `/v1/audio/jobs/${id}`, { method: 'DELETE' });
        assert.equal(res.status, 200, await res.clone().text());
        assert.equal(((await res.json()) as { status: string }).status, 'cancelled');
        assert.equal(await stores.ledger.balance('audio'), balance, 'nothing charged');
        const rows = (await stores.ledger.history('audio', 1000)).filter((r) => r.ref === id);
        assert.deepEqual(rows.map((r) => r.kind).sort(), ['refund', 'reserve']);
        // The worker notices within its 500 ms watch and gives its slot back: the next job runs.
        const next = await submit(a, '/v1/audio/enhance/', toolForm(toolWav([pluckedLoop(8000, 1, [330], 0.5)], 8000), { async: 'true' }));
        assert.equal((await pollDone(c, next)).status, 'completed');
        assert.equal(workers().reduce((n, w) => n + finished(w, id), 0), 0, 'the cancelled job never completed');
        await assertUploadGone(id);
      });

      it('the worker killed mid-job: the other worker runs it again, the record ends once, charged once', async () => {
        const a = nodes[0]!;
        const id = await submit(a, '/v1/stt/', speechForm(await repeatedSpeech(2), { async: 'true' }));
        let victim: ClusterNode | undefined;
        while (!(victim = workers().find((w) => started(w, id) > 0))) await new Promise((r) => setTimeout(r, 10));
        const other = workers().find((w) => w !== victim)!;
        await victim.kill();
        const job = await pollDone(a, id);
        assert.equal(job.status, 'completed', JSON.stringify(job));
        assert.equal(finished(victim, id), 0, 'the killed worker did not finish it');
        assert.equal(started(other, id), 1, 'the stalled job was handed to the other worker');
        assert.equal(finished(other, id), 1);
        await settledOnce(id, (job.result as { credits_used: number }).credits_used);
      });

      it('past LLAIS_JOB_QUEUE_MAX_JOBS unfinished queued audio jobs across the cluster, a new one is refused with 503 job_queue_full', async () => {
        const a = nodes[0]!;
        // Records only (no queue entry, no worker): the bound is counted in the shared database.
        const fill = 1000 - (await stores.toolJobs.countQueued());
        const ids = Array.from({ length: fill }, (_, i) => `atj_${'f'.repeat(24)}${String(i).padStart(8, '0')}`);
        try {
          for (let i = 0; i < ids.length; i += 100) await Promise.all(ids.slice(i, i + 100).map((id) => stores.toolJobs.create({ id, tool: 'enhance', totalFrames: 1, runner: QUEUE_RUNNER })));
          const balance = await stores.ledger.balance('audio');
          const res = await call(a, '/v1/audio/enhance/', { method: 'POST', body: toolForm(toolWav([pluckedLoop(8000, 1, [220], 0.5)], 8000), { async: 'true' }) });
          assert.equal(res.status, 503, await res.clone().text());
          assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'job_queue_full');
          assert.ok(Number(res.headers.get('retry-after')) > 0);
          assert.equal(await stores.ledger.balance('audio'), balance, 'nothing reserved');
        } finally {
          for (let i = 0; i < ids.length; i += 100) await Promise.all(ids.slice(i, i + 100).map((id) => stores.toolJobs.finish(id, { status: 'cancelled' })));
        }
      });
    });
  });
});
