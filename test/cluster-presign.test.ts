/**
 * Presigned downloads (`LLAIS_S3_PRESIGN`) on real backends: a node with S3 results hands out a
 * `result_url` that is a presigned GET URL on the bucket's public endpoint (not the node), which
 * s3rver serves with the exact bytes the node itself streams, a Range request included; the URL
 * expires with the result. (s3rver does not check signatures, so the signature's validity is
 * AWS's and MinIO's to judge; what is checked here is where the URL points and what it serves.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clusterSkipReason, startNode, startRedis, startS3, type ClusterNode, type RedisServer, type S3Server } from './helpers/cluster.js';
import { DEFAULTS } from '../src/config.js';
import { tempDir } from './helpers/app.js';
import { startWebhookReceiver } from './helpers/webhook-receiver.js';

const skip = clusterSkipReason();
if (skip && process.env.CI) throw new Error(`cluster tests cannot run on CI: ${skip}`);

describe('cluster mode: presigned S3 downloads', { skip }, () => {
  let redis: RedisServer;
  let s3: S3Server;
  let node: ClusterNode;
  let publicEndpoint: string;

  before(async () => {
    [redis, s3] = await Promise.all([startRedis(), startS3()]);
    // The host clients use differs from the node's (127.0.0.1): the URL must be signed for it.
    publicEndpoint = s3.settings.endpoint.replace('127.0.0.1', 'localhost');
    const dataDir = await tempDir('llais-presign-');
    node = await startNode('serve', { dataDir, resultTtlSeconds: 3600, webhooks: { ...DEFAULTS.webhooks, allowPrivateTargets: true }, cluster: { redisUrl: redis.url, s3: { ...s3.settings, presign: true, publicEndpoint }, nodeId: 'p', sharedDataDir: true, lockMs: 1000 } });
  });

  after(async () => {
    await node?.close();
    await Promise.all([redis?.stop(), s3?.stop()]);
  });

  it('result_url is a presigned bucket URL that serves the exact bytes, with Range, expiring with the result', async () => {
    const created = await fetch(`${node.url}/v1/tts/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Straight from the bucket.', voice: 'en-us', format: 'wav' }) });
    assert.equal(created.status, 200, await created.clone().text());
    const { uuid } = (await created.json()) as { uuid: string };
    let done: { status: string; result_url?: string; expires_at?: string } = { status: 'queued' };
    for (let i = 0; i < 400 && (done.status === 'queued' || done.status === 'processing'); i++) {
      done = (await (await fetch(`${node.url}/v1/speech/results/?uuid=${uuid}`)).json()) as typeof done;
      if (done.status !== 'completed') await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(done.status, 'completed', JSON.stringify(done));
    const url = new URL(done.result_url!);
    assert.equal(url.origin, publicEndpoint, 'signed for the public endpoint, not the node');
    assert.notEqual(url.origin, node.url);
    assert.ok(url.pathname.endsWith(`/results/${uuid}/output.wav`), url.pathname);
    assert.ok(url.searchParams.get('X-Amz-Signature'), 'a presigned URL');
    const lifetime = Number(url.searchParams.get('X-Amz-Expires'));
    const untilExpiry = (Date.parse(done.expires_at!) - Date.now()) / 1000;
    assert.ok(Math.abs(lifetime - untilExpiry) < 30, `expires with the result: ${lifetime} s vs ${untilExpiry} s`);

    const viaNode = Buffer.from(await (await fetch(`${node.url}/static/downloads/${uuid}/output.wav`)).arrayBuffer());
    const direct = await fetch(url);
    assert.equal(direct.status, 200);
    const bytes = Buffer.from(await direct.arrayBuffer());
    assert.ok(bytes.length > 1000 && bytes.subarray(0, 4).toString('latin1') === 'RIFF');
    assert.ok(bytes.equals(viaNode), 'the same bytes as the node streams');
    const ranged = await fetch(url, { headers: { range: 'bytes=8-15' } });
    assert.equal(ranged.status, 206);
    assert.equal(Buffer.from(await ranged.arrayBuffer()).toString('latin1'), 'WAVEfmt ');
  });

  it("a batch's result_urls are presigned too, in the poll and in the webhook, each serving its item's bytes", async () => {
    const receiver = await startWebhookReceiver();
    const { hooks } = receiver;
    try {
      const webhook_url = receiver.url;
      const texts = ['First in the batch.', 'Second in the batch.'].map((text) => ({ text, voice: 'en-us' }));
      const res = await fetch(`${node.url}/v1/tts/batch/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ texts, webhook_url }) });
      assert.equal(res.status, 200, await res.clone().text());
      const { batch_id } = (await res.json()) as { batch_id: string };
      type View = { status: string; items?: Array<{ uuid: string; status: string; result_url: string }> };
      let view: View = { status: 'processing' };
      for (let i = 0; i < 400 && (view.status !== 'completed' || hooks.length === 0); i++) {
        view = (await (await fetch(`${node.url}/v1/tts/batch/result/?batch_id=${batch_id}`)).json()) as View;
        if (view.status !== 'completed' || hooks.length === 0) await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(view.status, 'completed', JSON.stringify(view));
      const sent = JSON.parse(hooks[0]!) as View;
      for (const [i, item] of view.items!.entries()) {
        for (const shown of [item.result_url, sent.items![i]!.result_url]) {
          const url = new URL(shown);
          assert.equal(url.origin, publicEndpoint, `item ${i}: signed for the public endpoint`);
          assert.ok(url.searchParams.get('X-Amz-Signature'), `item ${i}: a presigned URL`);
          assert.match(url.pathname, new RegExp(`/results/${item.uuid}/output\\.mp3$`), 'the batch default format, mp3');
        }
        const viaNode = Buffer.from(await (await fetch(`${node.url}/static/downloads/${item.uuid}/output.mp3`)).arrayBuffer());
        const direct = Buffer.from(await (await fetch(item.result_url)).arrayBuffer());
        assert.ok(direct.length > 1000 && direct.equals(viaNode), `item ${i}: the bucket serves the node's bytes`);
      }
    } finally {
      receiver.close();
    }
  });
});
