/**
 * The limits that were still per node, on one real redis-server shared by two serve nodes: an
 * anonymous address's characters per day spent half on each node stop exactly at the plan's
 * number, and live WebSocket sessions opened at once over both nodes hold the plan's concurrency
 * exactly (the rest are refused at the handshake with 429), the slots freed when sessions close.
 * And each node's `/metrics` labels every series with its own node id.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { generateApiKey } from '../src/accounts/api-key.js';
import { openAccounts } from '../src/accounts/accounts.js';
import { loadConfig } from '../src/config.js';
import { openDatabase, type Db } from '../src/storage/database.js';
import { clusterSkipReason, startNode, startRedis, type ClusterNode, type RedisServer } from './helpers/cluster.js';
import { tempDir } from './helpers/app.js';

const skip = clusterSkipReason();
if (skip && process.env.CI) throw new Error(`cluster tests cannot run on CI: ${skip}`);

/** Small numbers so the test is quick; request rates out of the way of what is measured. */
const DAILY_CHARS = 100;
const CONCURRENT = 3;
const PLANS = { anonymous: { daily_chars: DAILY_CHARS, requests_per_minute: 1000 }, starter: { concurrent: CONCURRENT, requests_per_minute: 1000 } };
const KEY = generateApiKey();

/** Opens a TTS WebSocket: the open socket, or the refused handshake's status. */
function openSession(node: ClusterNode): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${node.url.replace(/^http/, 'ws')}/v1/tts/ws`, { headers: { authorization: `Bearer ${KEY}` } });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    ws.once('error', reject);
  });
}

describe('cluster mode: anonymous characters per day and live sessions exact across nodes', { skip }, () => {
  let redis: RedisServer;
  let nodes: ClusterNode[] = [];
  let db: Db;

  before(async () => {
    redis = await startRedis();
    const dataDir = await tempDir('llais-cluster-limits-');
    // A key exists, so the nodes count (auto mode is open only while there are no keys).
    db = openDatabase(dataDir);
    const accounts = openAccounts(loadConfig({ dataDir }, { env: {} }), db);
    accounts.accounts.ensure('live', 'starter');
    accounts.ledger.grant('live', 100_000, 'test');
    accounts.keys.add('live', KEY);
    const cluster = { redisUrl: redis.url, s3: null, sharedDataDir: true, lockMs: 1000 };
    nodes = await Promise.all(['a', 'b'].map((id) => startNode('serve', { dataDir, jobConcurrency: 0, plans: PLANS, cluster: { ...cluster, nodeId: id } })));
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    db?.close();
    await redis?.stop();
  });

  it('an anonymous address spending its characters on two nodes is stopped exactly at the plan\'s daily number', async () => {
    const text = 'Ten chars.'; // 10 characters: DAILY_CHARS / 10 requests fit, half on each node
    const statuses: number[] = [];
    const codes: string[] = [];
    for (let i = 0; i < DAILY_CHARS / 10 + 4; i++) {
      const res = await fetch(`${nodes[i % 2]!.url}/v1/tts/stream/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text, voice: 'en-us' }) });
      statuses.push(res.status);
      if (res.status === 200) await res.arrayBuffer();
      else codes.push(((await res.json()) as { error: { code: string } }).error.code);
    }
    assert.deepEqual(statuses.slice(0, DAILY_CHARS / 10), Array(DAILY_CHARS / 10).fill(200), JSON.stringify(statuses));
    assert.deepEqual(statuses.slice(DAILY_CHARS / 10), [429, 429, 429, 429]);
    assert.deepEqual(codes, Array(4).fill('daily_limit_exceeded'));
  });

  it(`live sessions opened at once over two nodes: exactly ${CONCURRENT} are accepted; closing one frees its slot`, async () => {
    const opened = await Promise.all(Array.from({ length: 10 }, (_, i) => openSession(nodes[i % 2]!)));
    const sockets = opened.filter((o): o is WebSocket => typeof o !== 'number');
    try {
      assert.equal(sockets.length, CONCURRENT, JSON.stringify(opened.map((o) => (typeof o === 'number' ? o : 'open'))));
      assert.ok(opened.every((o) => typeof o !== 'number' || o === 429));
      const closed = new Promise((r) => sockets[0]!.once('close', r));
      sockets[0]!.close();
      await closed;
      // The node releases the slot on close (one Redis round trip): a new session soon fits again.
      let again: WebSocket | number = 429;
      for (let i = 0; i < 50 && typeof again === 'number'; i++) {
        again = await openSession(nodes[1]!);
        if (typeof again === 'number') await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(typeof again !== 'number', 'a closed session frees its slot');
      sockets[0] = again;
      assert.equal(await openSession(nodes[0]!), 429, 'and only that one');
    } finally {
      for (const s of sockets) s.close();
    }
  });

  it('/metrics: every series of each node carries its own node label', async () => {
    for (const node of nodes) {
      const text = await (await fetch(`${node.url}/metrics`)).text();
      const samples = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
      assert.ok(samples.length > 20, text.slice(0, 500));
      const id = node === nodes[0] ? 'a' : 'b';
      const unlabelled = samples.filter((l) => !l.includes(`node="${id}"`));
      assert.deepEqual(unlabelled, [], `all of node ${id}'s series are labelled`);
      assert.ok(samples.some((l) => l.startsWith('llais_http_requests_total{') && l.includes(`node="${id}"`)), 'the request tallies too');
      assert.ok(samples.some((l) => l.startsWith('llais_live_sessions{') && l.includes(`node="${id}"`)), 'and the gauges');
    }
  });
});
