/** `GET /metrics`: Prometheus text whose gauges follow what the server really holds. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { App } from '../src/app.js';
import { startTestApp } from './helpers/app.js';

/** The value of each sample line (`name value`), by metric name with its labels. */
async function scrape(app: App): Promise<Map<string, number>> {
  const res = await fetch(`${app.url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  const samples = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    assert.ok(m, `not a Prometheus sample line: ${line}`);
    samples.set(m[1]!, Number(m[2]));
  }
  return samples;
}

describe('GET /metrics', () => {
  let app: App;
  // Jobs stay queued (as after a crash), so the queue gauges can be read while they hold work.
  before(async () => {
    app = await startTestApp({}, { processJobs: false });
  });
  after(() => app.close());

  it('lists every gauge with a number, and the job queue gauges count what is queued', async () => {
    const idle = await scrape(app);
    for (const name of ['llais_http_requests_in_flight', 'llais_tts_queue_size', 'llais_jobs_queue_size', 'llais_jobs_queue_chars', 'llais_uploads_in_flight', 'llais_live_sessions', 'llais_pool_queue_size']) {
      assert.ok(Number.isFinite(idle.get(name)), `${name} missing or not a number`);
    }
    assert.equal(idle.get('llais_jobs_queue_size'), 0);
    assert.equal(idle.get('llais_jobs_queue_chars'), 0);
    assert.equal(idle.get('llais_uploads_in_flight'), 0);

    const text = 'One queued job, twenty-nine characters.'.slice(0, 29);
    const res = await fetch(`${app.url}/v1/tts/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text, voice: 'flite-slt' }) });
    assert.equal(res.status, 200);
    const busy = await scrape(app);
    assert.equal(busy.get('llais_jobs_queue_size'), 1);
    assert.equal(busy.get('llais_jobs_queue_chars'), text.length);
  });
});

describe('GET /metrics: requests, first audio and the token', () => {
  it('counts requests by route pattern and status, and times first audio', async () => {
    const app = await startTestApp();
    try {
      const speech = await fetch(`${app.url}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'flite', input: 'Counted.', voice: 'flite-slt', response_format: 'pcm' }) });
      await speech.arrayBuffer();
      await fetch(`${app.url}/static/downloads/${'0'.repeat(32)}/output.wav`).then((r) => r.arrayBuffer());
      const samples = await scrape(app);
      assert.equal(samples.get('llais_http_requests_total{route="/v1/audio/speech",method="POST",status="200"}'), 1);
      assert.equal(samples.get('llais_http_requests_total{route="/static/downloads/:uuid/:file",method="GET",status="404"}'), 1, 'ids in paths are labelled by the route pattern');
      assert.equal(samples.get('llais_tts_time_to_first_audio_seconds_count{endpoint="audio_speech"}'), 1);
      assert.ok(samples.get('llais_tts_time_to_first_audio_seconds_sum{endpoint="audio_speech"}')! > 0);
    } finally {
      await app.close();
    }
  });

  it('needs the bearer token when metricsToken is set', async () => {
    const app = await startTestApp({ metricsToken: 'scrape-me' });
    try {
      assert.equal((await fetch(`${app.url}/metrics`)).status, 401);
      assert.equal((await fetch(`${app.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
      assert.equal((await fetch(`${app.url}/metrics`, { headers: { authorization: 'Bearer scrape-me' } })).status, 200);
    } finally {
      await app.close();
    }
  });
});
