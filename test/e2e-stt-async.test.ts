/**
 * `POST /v1/stt/` with `async=true` on one node: 202 and a job at `/v1/audio/jobs/{id}` whose
 * result is the JSON the synchronous request answers for the same file (same text, same charge),
 * and a `DELETE` of a running transcription ends it `cancelled` with nothing charged.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';

import type { App } from '../src/app.js';
import { accountKey, startTestApp } from './helpers/app.js';
import { repeatedSpeech, SHORT_SPEECH as SPEECH, speechForm as form } from './helpers/speech-wav.js';

interface Job {
  job_id: string;
  tool: string;
  status: string;
  progress: number;
  result?: Record<string, unknown>;
  error?: { code: string };
}

describe('POST /v1/stt/ async=true (one node)', () => {
  let app: App;
  let key: string;
  before(async () => {
    app = await startTestApp({ poolWorkers: 1 });
    key = await accountKey(app, 'stt-async', 'enterprise', 100);
  });
  after(() => app.close());
  const auth = (): Record<string, string> => ({ authorization: `Bearer ${key}` });
  const balance = (): Promise<number> => app.context.accounts.ledger.balance('stt-async');
  const poll = async (url: string, done: (j: Job) => boolean): Promise<Job> => {
    for (const deadline = Date.now() + 60_000; ; await delay(100)) {
      const res = await fetch(url, { headers: auth() });
      assert.equal(res.status, 200);
      const job = (await res.json()) as Job;
      if (done(job) || Date.now() > deadline) return job;
    }
  };

  it('202, then completed with the synchronous answer for the same file, charged alike', async () => {
    const speech = await readFile(SPEECH);
    const before0 = await balance();
    const sync = await fetch(`${app.url}/v1/stt/`, { method: 'POST', headers: auth(), body: form(speech) });
    assert.equal(sync.status, 200);
    const expected = (await sync.json()) as { text: string; credits_used: number; segments: unknown[]; duration: number };
    assert.ok(expected.text.length > 10, expected.text);
    const syncCost = before0 - (await balance());
    assert.equal(syncCost, expected.credits_used);

    const before1 = await balance();
    const res = await fetch(`${app.url}/v1/stt/`, { method: 'POST', headers: auth(), body: form(speech, { async: 'true' }) });
    assert.equal(res.status, 202, await res.clone().text());
    const accepted = (await res.json()) as { job_id: string; status: string; status_url: string };
    assert.equal(accepted.status, 'processing');
    assert.match(accepted.status_url, new RegExp(`/v1/audio/jobs/${accepted.job_id}$`));
    const job = await poll(accepted.status_url, (j) => j.status !== 'processing');
    assert.equal(job.status, 'completed', JSON.stringify(job));
    assert.equal(job.tool, 'transcribe');
    assert.equal(job.progress, 1);
    assert.equal(job.result?.text, expected.text);
    assert.deepEqual(job.result?.segments, expected.segments);
    assert.equal(job.result?.duration, expected.duration);
    assert.equal(job.result?.credits_used, expected.credits_used);
    assert.equal(job.result?.credits_remaining, await balance());
    assert.equal(before1 - (await balance()), syncCost, 'charged as the synchronous request');
    // A finished job cannot be cancelled.
    assert.equal((await fetch(accepted.status_url, { method: 'DELETE', headers: auth() })).status, 409);
  });

  it('an upload that is not audio is refused (415) before a job exists, nothing charged', async () => {
    const before0 = await balance();
    const res = await fetch(`${app.url}/v1/stt/?async=true`, { method: 'POST', headers: auth(), body: form(new TextEncoder().encode('not audio at all, just some text'.repeat(40))) });
    assert.equal(res.status, 415, await res.clone().text());
    assert.equal(await balance(), before0);
  });

  it('?async=true on the URL works too; a bad value is a 400', async () => {
    const bad = await fetch(`${app.url}/v1/stt/?async=maybe`, { method: 'POST', headers: auth(), body: form(await readFile(SPEECH)) });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { param: string } }).error.param, 'async');
    const res = await fetch(`${app.url}/v1/stt/?async=true`, { method: 'POST', headers: auth(), body: form(await readFile(SPEECH)) });
    assert.equal(res.status, 202);
    const { status_url: url } = (await res.json()) as { status_url: string };
    assert.equal((await poll(url, (j) => j.status !== 'processing')).status, 'completed');
  });

  it('DELETE of a running transcription: cancelled, nothing charged', async () => {
    const before0 = await balance();
    // About 4 minutes of speech: far longer to recognize than the DELETE takes to arrive.
    const res = await fetch(`${app.url}/v1/stt/`, { method: 'POST', headers: auth(), body: form(await repeatedSpeech(34), { async: 'true' }) });
    assert.equal(res.status, 202);
    const { status_url: url } = (await res.json()) as { status_url: string };
    assert.ok((await balance()) < before0, 'a minute is reserved');
    // Progress follows the recognizer through the audio: a share of it once the first segments are final.
    const running = await poll(url, (j) => j.progress > 0 || j.status !== 'processing');
    assert.equal(running.status, 'processing');
    assert.ok(running.progress > 0 && running.progress < 0.5, `progress ${running.progress} of about 4 minutes`);
    const del = await fetch(url, { method: 'DELETE', headers: auth() });
    assert.equal(del.status, 200, await del.clone().text());
    assert.equal(((await del.json()) as Job).status, 'cancelled');
    assert.equal(await balance(), before0, 'the reservation was refunded');
    const after0 = (await (await fetch(url, { headers: auth() })).json()) as Job;
    assert.equal(after0.status, 'cancelled');
    assert.equal(after0.result, undefined);
  });
});

/**
 * A request whose head and first body bytes go out now and the rest on `finish()`: the server
 * admits it (its pool check runs on the head) long before its job can start.
 */
function heldUpload(url: string, body: { bytes: Uint8Array; type: string }, headers: Record<string, string>): { finish(): void; response: Promise<{ status: number; body: string }> } {
  const { hostname, port, pathname, search } = new URL(url);
  const socket = connect(Number(port), hostname);
  const head = [`POST ${pathname}${search} HTTP/1.1`, `Host: ${hostname}:${port}`, `Content-Type: ${body.type}`, `Content-Length: ${body.bytes.length}`, 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
  socket.write(head);
  socket.write(body.bytes.subarray(0, 100));
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString();
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      // A chunked JSON answer is one chunk here: the JSON object sits between its first { and last }.
      const json = text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1);
      resolve({ status, body: json });
    });
  });
  return { finish: () => void socket.write(body.bytes.subarray(100)), response };
}

describe('async transcriptions on a busy node (one pool worker, no pool queue)', () => {
  let app: App;
  let key: string;
  before(async () => {
    app = await startTestApp({ poolWorkers: 1, poolMaxQueue: 0, jobQueueMaxJobs: 3 });
    key = await accountKey(app, 'burst', 'enterprise', 100);
  });
  after(() => app.close());

  it('a burst past the pool\'s room: every accepted job completes; past LLAIS_JOB_QUEUE_MAX_JOBS the next is refused (503 job_queue_full) with nothing charged', async () => {
    const req = new Request('http://x/', { method: 'POST', body: form(await readFile(SPEECH), { async: 'true' }) });
    const body = { bytes: new Uint8Array(await req.arrayBuffer()), type: req.headers.get('content-type')! };
    const auth = { authorization: `Bearer ${key}` };
    // Four heads while the one worker is free: each passes the pool's check.
    const uploads = Array.from({ length: 4 }, () => heldUpload(`${app.url}/v1/stt/`, body, auth));
    // All four are being received (the pool's check comes first), whatever the machine's load.
    for (const deadline = Date.now() + 10_000; app.context.uploads.active < 4 && Date.now() < deadline; ) await delay(10);
    assert.equal(app.context.uploads.active, 4);
    // Three bodies end together: two of their jobs find the worker taken and no queue to wait in.
    // Before they waited for it (workers/until-admitted.ts), those two ended `failed` `overloaded`
    // after their 202.
    for (const u of uploads.slice(0, 3)) u.finish();
    const accepted = await Promise.all(uploads.slice(0, 3).map((u) => u.response));
    assert.deepEqual(accepted.map((r) => r.status), [202, 202, 202], JSON.stringify(accepted));
    const balance = (): Promise<number> => app.context.accounts.ledger.balance('burst');
    const reserved = await balance();
    // The fourth, with three unfinished: refused before anything is stored or charged.
    uploads[3]!.finish();
    const refused = await uploads[3]!.response;
    assert.equal(refused.status, 503, refused.body);
    assert.equal((JSON.parse(refused.body) as { error: { code: string } }).error.code, 'job_queue_full');
    assert.equal(await balance(), reserved, 'the refused job reserved nothing');
    const jobs: Job[] = [];
    for (const r of accepted) {
      const url = (JSON.parse(r.body) as { status_url: string }).status_url;
      for (const deadline = Date.now() + 60_000; ; await delay(100)) {
        const job = (await (await fetch(url, { headers: auth })).json()) as Job;
        if (job.status !== 'processing' || Date.now() > deadline) {
          jobs.push(job);
          break;
        }
      }
    }
    assert.deepEqual(jobs.map((j) => j.status), ['completed', 'completed', 'completed'], JSON.stringify(jobs.map((j) => j.error)));
    const texts = jobs.map((j) => j.result?.text as string);
    assert.ok(texts[0]!.length > 10 && texts.every((t) => t === texts[0]), JSON.stringify(texts));
    const spent = jobs.reduce((n, j) => n + (j.result?.credits_used as number), 0);
    assert.equal(await balance(), 100 - spent, 'three charges, settled once each');
  });
});
