/**
 * Async audio tool jobs over HTTP: `DELETE /v1/audio/jobs/{id}` stops a running job (its pool
 * worker freed for the next request, its work folder and partial results gone, its credits
 * refunded, `cancelled` answered), a finished job cannot be cancelled (409), and job records live
 * in SQLite: after a server is killed mid-job, the next server on the same data directory answers
 * that job `failed`/`interrupted` and a job finished before the kill with its result, never 404.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';

import { toolJobResponse, toolResultResponse } from '../src/api/schemas/audio-tools.js';
import type { App } from '../src/app.js';
import { accountKey, startTestApp } from './helpers/app.js';
import { startChildServer } from './helpers/child-server.js';
import { ffmpegChildren, isAlive } from './helpers/processes.js';
import { pluckedLoop } from './helpers/tool-signals.js';
import { toolForm, toolWav } from './helpers/tool-wav.js';

const MAX_SEC = 30;
const RATE = 44_100;
/** Long enough (stereo separation of 29 s) that a poll sees it running. */
const long = (): Uint8Array => {
  const x = pluckedLoop(RATE, MAX_SEC - 1, [220, 277, 330], 0.3, 0.2);
  return toolWav([x, x.map((v) => -v * 0.5)], RATE);
};
const short = (): Uint8Array => toolWav([pluckedLoop(8000, 2, [220], 0.5)], 8000);

type Job = ReturnType<typeof toolJobResponse.parse>;

async function pollUntil(url: string, done: (job: Job) => boolean, timeoutMs = 30_000, headers: Record<string, string> = {}): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(url, { headers });
    assert.equal(res.status, 200);
    const job = toolJobResponse.parse(await res.json());
    if (done(job) || Date.now() > deadline) return job;
    // Polls count against the key's requests per minute: not faster than needed.
    await delay(100);
  }
}

describe('DELETE /v1/audio/jobs/{id}', () => {
  let app: App;
  let key: string;
  before(async () => {
    // One pool worker: a cancelled job that kept its worker would block the next request.
    app = await startTestApp({ audioToolsMaxDurationSec: MAX_SEC, poolWorkers: 1 });
    key = await accountKey(app, 'jobs', 'enterprise', 20);
  });
  after(() => app.close());
  const auth = (): Record<string, string> => ({ authorization: `Bearer ${key}` });
  const start = async (tool: string, file: Uint8Array): Promise<string> => {
    const res = await fetch(`${app.url}/v1/audio/${tool}/`, { method: 'POST', headers: auth(), body: toolForm(file, { async: 'true' }) });
    assert.equal(res.status, 202);
    return ((await res.json()) as { status_url: string }).status_url;
  };

  it('cancels a running job: worker freed, files gone, credits refunded, state cancelled', async () => {
    const work = join(app.config.dataDir, 'audio-tools');
    const completedBefore = await app.context.jobs.countByStatus('completed');
    const balanceBefore = await app.context.accounts.ledger.balance('jobs');
    const url = await start('separate', long());
    assert.ok((await app.context.accounts.ledger.balance('jobs')) < balanceBefore, 'the estimate is reserved');
    const running = await pollUntil(url, (j) => j.progress > 0 || j.status !== 'processing', 30_000, auth());
    assert.equal(running.status, 'processing', 'still running when cancelled');
    const res = await fetch(url, { method: 'DELETE', headers: auth() });
    assert.equal(res.status, 200);
    const cancelled = toolJobResponse.parse(await res.json());
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.result, undefined);
    // Answered once the worker stopped and the files went: nothing left to wait for.
    assert.deepEqual(await readdir(work), []);
    assert.deepEqual(await ffmpegChildren(), []);
    assert.equal(await app.context.jobs.countByStatus('completed'), completedBefore);
    assert.equal(await app.context.accounts.ledger.balance('jobs'), balanceBefore);
    assert.equal(toolJobResponse.parse(await (await fetch(url, { headers: auth() })).json()).status, 'cancelled');
    // The single pool worker serves the next request at once.
    const next = await fetch(`${app.url}/v1/audio/enhance/`, { method: 'POST', headers: auth(), body: toolForm(short()), signal: AbortSignal.timeout(20_000) });
    assert.equal(next.status, 200);
    await next.arrayBuffer();
  });

  it('a finished job cannot be cancelled: 409 job_already_finished, the result kept', async () => {
    const url = await start('enhance', short());
    const done = await pollUntil(url, (j) => j.status !== 'processing', 30_000, auth());
    assert.equal(done.status, 'completed');
    const res = await fetch(url, { method: 'DELETE', headers: auth() });
    assert.equal(res.status, 409);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'job_already_finished');
    const again = toolJobResponse.parse(await (await fetch(url, { headers: auth() })).json());
    assert.equal(again.status, 'completed');
    assert.equal((await fetch(toolResultResponse.parse(again.result).result_url)).status, 200);
  });

  it('404 for a job that does not exist', async () => {
    const res = await fetch(`${app.url}/v1/audio/jobs/atj_nope`, { method: 'DELETE', headers: auth() });
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'job_not_found');
  });
});

describe('audio tool jobs survive a server restart', () => {
  it('a job running at a graceful stop (SIGTERM\'s close) answers failed/interrupted after it, as after a kill', async () => {
    const overrides = { audioToolsMaxDurationSec: MAX_SEC, poolWorkers: 1 };
    const first = await startTestApp(overrides);
    const res = await fetch(`${first.url}/v1/audio/separate/`, { method: 'POST', body: toolForm(long(), { async: 'true' }) });
    assert.equal(res.status, 202);
    const { job_id: id, status_url: url } = (await res.json()) as { job_id: string; status_url: string };
    await pollUntil(url, (j) => j.progress > 0 || j.status !== 'processing');
    // Before, the pool's `shutting_down` refusal was recorded as the job's error.
    await first.close();
    const second = await startTestApp({ ...overrides, dataDir: first.config.dataDir });
    try {
      const job = toolJobResponse.parse(await (await fetch(`${second.url}/v1/audio/jobs/${id}`)).json());
      assert.equal(job.status, 'failed');
      assert.equal(job.error?.code, 'interrupted', JSON.stringify(job.error));
    } finally {
      await second.close();
    }
  });

  it('a job cut off by a kill answers failed/interrupted, one finished before it its result', async () => {
    const overrides = { audioToolsMaxDurationSec: MAX_SEC, poolWorkers: 1 };
    const first = await startChildServer(overrides);
    const base = `http://127.0.0.1:${first.port}`;
    const post = async (tool: string, file: Uint8Array): Promise<{ job_id: string; status_url: string }> => {
      const res = await fetch(`${base}/v1/audio/${tool}/`, { method: 'POST', body: toolForm(file, { async: 'true' }) });
      assert.equal(res.status, 202);
      return (await res.json()) as { job_id: string; status_url: string };
    };
    const finished = await post('enhance', short());
    assert.equal((await pollUntil(finished.status_url, (j) => j.status !== 'processing')).status, 'completed');
    const cutOff = await post('separate', long());
    await pollUntil(cutOff.status_url, (j) => j.progress > 0 || j.status !== 'processing');
    process.kill(first.pid, 'SIGKILL');
    while (isAlive(first.pid)) await delay(10);

    const second = await startChildServer({ ...overrides, dataDir: first.dataDir });
    try {
      const url = (id: string): string => `http://127.0.0.1:${second.port}/v1/audio/jobs/${id}`;
      const interrupted = toolJobResponse.parse(await (await fetch(url(cutOff.job_id))).json());
      assert.equal(interrupted.status, 'failed');
      assert.equal(interrupted.error?.code, 'interrupted');
      const kept = toolJobResponse.parse(await (await fetch(url(finished.job_id))).json());
      assert.equal(kept.status, 'completed');
      assert.equal(kept.progress, 1);
      // The killed run's work folder was cleared at start.
      assert.deepEqual(await readdir(join(first.dataDir, 'audio-tools')).catch(() => []), []);
      const cancel = await fetch(url(cutOff.job_id), { method: 'DELETE' });
      assert.equal(cancel.status, 409);
    } finally {
      await second.close();
    }
  });
});
