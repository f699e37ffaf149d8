import assert from 'node:assert/strict';
import { mkdir, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { App } from '../src/app.js';
import { probeAudio } from '../src/audio/probe.js';
import { downloadResultWav } from './helpers/result-download.js';
import { sweepExpired } from '../src/jobs/expiry-sweep.js';
import { startTestApp, tempDir } from './helpers/app.js';

async function postJob(app: App, body: unknown): Promise<{ uuid: string; job_id: string; status: string; credits_used: number }> {
  const res = await fetch(`${app.url}/v1/tts/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as { uuid: string; job_id: string; status: string; credits_used: number };
}

function postRaw(app: App, body: unknown): Promise<Response> {
  return fetch(`${app.url}/v1/tts/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function pollUntilDone(app: App, uuid: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await fetch(`${app.url}/v1/speech/results/?uuid=${uuid}`);
    const body = (await res.json()) as Record<string, unknown>;
    if (body.status !== 'queued' && body.status !== 'processing') return body;
    if (Date.now() > deadline) throw new Error(`job ${uuid} still ${String(body.status)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('queued TTS jobs', () => {
  it('POST -> poll -> download: a valid file with Content-Type, Content-Length and Range support', async () => {
    const app = await startTestApp();
    try {
      const job = await postJob(app, { text: 'A queued job, rendered to a file.', voice: 'en-us', format: 'wav' });
      assert.match(job.uuid, /^[0-9a-f]{32}$/);
      assert.match(job.job_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(job.status, 'queued');
      assert.equal(job.credits_used, 1);
      const done = await pollUntilDone(app, job.uuid);
      assert.equal(done.status, 'completed');
      assert.equal(done.result_url, `${app.url}/static/downloads/${job.uuid}/output.wav`);
      assert.equal(done.format, 'wav');
      assert.equal(done.voice, 'en-us');
      // The header was patched with the real sizes: the container's own duration is right.
      const bytes = await downloadResultWav(done.result_url as string, done.duration as number);
      const part = await fetch(done.result_url as string, { headers: { Range: 'bytes=0-3' } });
      assert.equal(part.status, 206);
      assert.equal(Buffer.from(await part.arrayBuffer()).toString('latin1'), 'RIFF');
    } finally {
      await app.close();
    }
  });

  it('a job accepted before a restart completes after it', async () => {
    const dataDir = await tempDir();
    const first = await startTestApp({ dataDir }, { processJobs: false });
    const job = await postJob(first, { text: 'Survive a restart, please.', voice: 'en-us', format: 'mp3' });
    await first.close();
    const second = await startTestApp({ dataDir });
    try {
      const done = await pollUntilDone(second, job.uuid);
      assert.equal(done.status, 'completed');
      const file = await fetch(done.result_url as string);
      const probe = await probeAudio(new Uint8Array(await file.arrayBuffer()));
      assert.equal(probe.codec, 'mp3');
      assert.ok(probe.durationSec > 0.5);
    } finally {
      await second.close();
    }
  });

  it('the expiry sweep deletes results; polls and downloads then say so', async () => {
    const app = await startTestApp();
    try {
      const job = await postJob(app, { text: 'Short lived.', voice: 'en-us', format: 'flac' });
      const done = await pollUntilDone(app, job.uuid);
      assert.equal(done.status, 'completed');
      const removed = await sweepExpired(app.context.jobs, app.context.results, Date.now() + 25 * 3600 * 1000);
      assert.equal(removed, 1);
      const poll = await fetch(`${app.url}/v1/speech/results/?uuid=${job.uuid}`);
      assert.equal(poll.status, 404);
      assert.equal(((await poll.json()) as { error: { code: string } }).error.code, 'result_expired');
      const file = await fetch(done.result_url as string);
      assert.equal(file.status, 404);
    } finally {
      await app.close();
    }
  });

  it('a full job queue answers 503 job_queue_full with Retry-After and the envelope, and accepts again once it drains', async () => {
    const app = await startTestApp({ jobQueueMaxJobs: 1 });
    try {
      // 1,800 characters: the first job is still being synthesized when the second request lands.
      const text = 'The quick brown fox jumps over the lazy dog. '.repeat(40);
      const first = await postJob(app, { text, voice: 'en-us', format: 'wav' });
      const refused = await postRaw(app, { text: 'One more, please.', voice: 'en-us', format: 'wav' });
      assert.equal(refused.status, 503);
      assert.ok(Number(refused.headers.get('retry-after')) > 0, 'Retry-After');
      const body = (await refused.json()) as { error: { type: string; code: string; message: string; param: unknown } };
      assert.equal(body.error.code, 'job_queue_full');
      assert.equal(body.error.type, 'overloaded_error');
      assert.equal(body.error.param, null);
      assert.equal(app.context.queue.size, 1, 'the refused job was not queued');
      assert.equal((await app.context.jobs.countByStatus('queued')) + (await app.context.jobs.countByStatus('processing')), 1, 'nor stored');
      assert.equal((await pollUntilDone(app, first.uuid)).status, 'completed');
      const accepted = await postJob(app, { text: 'One more, please.', voice: 'en-us', format: 'wav' });
      assert.equal((await pollUntilDone(app, accepted.uuid)).status, 'completed');
      assert.equal(app.context.queue.chars, 0);
    } finally {
      await app.close();
    }
  });

  it('the job queue bounds the characters it holds, not only the count of jobs', async () => {
    const app = await startTestApp({ jobQueueMaxChars: 100 }, { processJobs: false });
    try {
      await postJob(app, { text: 'x'.repeat(60), voice: 'en-us' });
      const refused = await postRaw(app, { text: 'y'.repeat(60), voice: 'en-us' });
      assert.equal(refused.status, 503);
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'job_queue_full');
      // What still fits is taken.
      await postJob(app, { text: 'z'.repeat(40), voice: 'en-us' });
      assert.equal(app.context.queue.chars, 100);
    } finally {
      await app.close();
    }
  });

  it('jobs recovered at start-up count against the bound', async () => {
    const dataDir = await tempDir();
    const first = await startTestApp({ dataDir }, { processJobs: false });
    await postJob(first, { text: 'Recovered one.', voice: 'en-us' });
    await postJob(first, { text: 'Recovered two.', voice: 'en-us' });
    await first.close();
    const second = await startTestApp({ dataDir, jobQueueMaxJobs: 2 }, { processJobs: false });
    try {
      assert.equal(second.context.queue.size, 2);
      const refused = await postRaw(second, { text: 'Past the bound.', voice: 'en-us' });
      assert.equal(refused.status, 503);
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'job_queue_full');
    } finally {
      await second.close();
    }
  });

  it('the expiry timer itself deletes a result once its TTL has passed: polls then answer 404 result_expired', async () => {
    // A 1 s TTL swept every 50 ms: the server's own timer, not a direct call of the sweep.
    const app = await startTestApp({ resultTtlSeconds: 1, sweepIntervalSeconds: 0.05 });
    try {
      const job = await postJob(app, { text: 'Gone soon.', voice: 'en-us', format: 'flac' });
      const done = await pollUntilDone(app, job.uuid);
      assert.equal(done.status, 'completed');
      const deadline = Date.now() + 20_000;
      let poll: Response;
      for (;;) {
        poll = await fetch(`${app.url}/v1/speech/results/?uuid=${job.uuid}`);
        if (poll.status !== 200 || Date.now() > deadline) break;
        await poll.arrayBuffer();
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(poll.status, 404);
      assert.equal(((await poll.json()) as { error: { code: string } }).error.code, 'result_expired');
      const file = await fetch(done.result_url as string);
      assert.equal(file.status, 404);
      assert.equal(((await file.json()) as { error: { code: string } }).error.code, 'result_expired');
      // The sweep marks the job expired, then deletes its file: the deletion follows within moments.
      const deleted = Date.now() + 10_000;
      while ((await app.context.results.find(job.uuid, 'flac')) !== undefined && Date.now() < deleted) await new Promise((r) => setTimeout(r, 50));
      assert.equal(await app.context.results.find(job.uuid, 'flac'), undefined, 'the file is deleted');
    } finally {
      await app.close();
    }
  });

  it('HEAD on a result states its Content-Length without reading the file (8 GiB sparse file)', async () => {
    const dataDir = await tempDir();
    const app = await startTestApp({ dataDir });
    try {
      const uuid = 'ab'.repeat(16);
      const dir = join(dataDir, 'results', uuid);
      await mkdir(dir, { recursive: true });
      // Sparse: no disk used, and larger than any buffer V8 can allocate (a HEAD that built a body
      // of the file's size failed with a 500 here).
      const sizeBytes = 8 * 2 ** 30;
      await writeFile(join(dir, 'output.wav'), '');
      await truncate(join(dir, 'output.wav'), sizeBytes);
      const url = `${app.url}/static/downloads/${uuid}/output.wav`;
      const head = await fetch(url, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), String(sizeBytes));
      assert.equal(head.headers.get('content-type'), 'audio/wav');
      assert.equal((await head.arrayBuffer()).byteLength, 0);
      const ranged = await fetch(url, { method: 'HEAD', headers: { Range: 'bytes=100-199' } });
      assert.equal(ranged.status, 206);
      assert.equal(ranged.headers.get('content-length'), '100');
      assert.equal(ranged.headers.get('content-range'), `bytes 100-199/${sizeBytes}`);
    } finally {
      await app.close();
    }
  });

  it('poll errors: missing, malformed and unknown uuids', async () => {
    const app = await startTestApp();
    try {
      const cases: Array<[string, number, string]> = [
        ['', 400, 'missing_required_parameter'],
        ['?uuid=xyz', 400, 'invalid_value'],
        [`?uuid=${'0'.repeat(32)}`, 404, 'job_not_found'],
      ];
      for (const [q, status, code] of cases) {
        const res = await fetch(`${app.url}/v1/speech/results/${q}`);
        assert.equal(res.status, status, q);
        assert.equal(((await res.json()) as { error: { code: string } }).error.code, code);
      }
      const traversal = await fetch(`${app.url}/static/downloads/..%2f..%2fetc/output.wav`);
      assert.equal(traversal.status, 404);
    } finally {
      await app.close();
    }
  });
});
