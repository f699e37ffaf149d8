/**
 * `POST /v1/stt/` with `async=true` on one node: 202 and a job at `/v1/audio/jobs/{id}` whose
 * result is the JSON the synchronous request answers for the same file (same text, same charge),
 * and a `DELETE` of a running transcription ends it `cancelled` with nothing charged.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';

import type { App } from '../src/app.js';
import { generateApiKey } from '../src/accounts/api-key.js';
import { startTestApp } from './helpers/app.js';
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
    const { accounts, keys, ledger } = app.context.accounts;
    await accounts.ensure('stt-async', 'enterprise');
    await ledger.grant('stt-async', 100, 'test');
    key = generateApiKey();
    await keys.add('stt-async', key);
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
    await delay(300);
    const del = await fetch(url, { method: 'DELETE', headers: auth() });
    assert.equal(del.status, 200, await del.clone().text());
    assert.equal(((await del.json()) as Job).status, 'cancelled');
    assert.equal(await balance(), before0, 'the reservation was refunded');
    const after0 = (await (await fetch(url, { headers: auth() })).json()) as Job;
    assert.equal(after0.status, 'cancelled');
    assert.equal(after0.result, undefined);
  });
});
