/**
 * The TTS worker pool under load: cancellation, priority, the queue bound, crashes. The main
 * thread's event-loop delay while workers synthesize is a figure in bench/engines.ts.
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import type { AudioChunk } from '../src/audio/pcm.js';
import { TtsService } from '../src/tts/service.js';
import type { SynthesisRequest, TtsEngine } from '../src/engines/tts/types.js';
import { ApiError } from '../src/errors.js';
import { TtsPool } from '../src/workers/tts-pool.js';

/** ~40k characters: over a minute of eSpeak's time, so a prompt stop is unmistakable. */
const LONG_TEXT = 'This sentence is one of very many in a long text that nobody will hear to the end. '.repeat(480);
/** Keeps the single worker busy while the test queues more (queueing is synchronous, so briefly is enough). */
const BLOCKER_TEXT = 'The worker is busy with this paragraph for a little while. '.repeat(10);
const SHORT_TEXT = 'Short and sweet.';
/**
 * Generous on purpose: the tests share 2 cores with other work. What it separates is a worker that
 * stopped (milliseconds) from one that went on with LONG_TEXT (over a minute).
 */
const SANITY_BOUND_MS = 20_000;

function request(text: string, extra: Partial<SynthesisRequest> = {}): SynthesisRequest {
  return { text, voice: 'en-us', language: 'en', speed: 1, ...extra };
}

async function drain(chunks: AsyncIterable<AudioChunk>): Promise<number> {
  let samples = 0;
  for await (const c of chunks) samples += c.pcm.length;
  return samples;
}

function isAbort(e: unknown): boolean {
  return e instanceof Error && e.name === 'AbortError';
}

let modelsDir: string;
let runtime: TtsService;
let espeak: TtsEngine;

before(async () => {
  modelsDir = mkdtempSync(join(tmpdir(), 'llais-pool-'));
  // One worker, so that "busy" and "queued" are certain.
  runtime = await TtsService.start({ workers: 1, modelsDir, maxQueue: 4 });
  const engine = runtime.engine('espeak');
  assert.ok(engine);
  espeak = engine;
});

after(async () => {
  await runtime.close();
  rmSync(modelsDir, { recursive: true, force: true });
});

describe('cancellation', () => {
  test('abort mid-synthesis stops at the next chunk and frees the worker at once', async () => {
    const before = runtime.stats();
    const controller = new AbortController();
    const iterator = espeak.synthesize(request(LONG_TEXT), controller.signal)[Symbol.asyncIterator]();
    const first = await iterator.next();
    assert.equal(first.done, false);
    const abortedAt = performance.now();
    controller.abort();
    await assert.rejects(iterator.next(), isAbort);

    const samples = await drain(espeak.synthesize(request(SHORT_TEXT), new AbortController().signal));
    const nextDoneMs = performance.now() - abortedAt;
    assert.ok(samples > 0);
    // Sanity bound, not a latency target (bench/engines.ts measures it: a few ms): the rest of
    // LONG_TEXT is over a minute of eSpeak's time, so a worker that kept synthesizing it cannot
    // serve the next request within 20 s however loaded the machine is.
    assert.ok(nextDoneMs < SANITY_BOUND_MS, 'the worker did not synthesize the rest of the long text');
    const stats = runtime.stats();
    assert.equal(stats.cancelledWhileRunning - before.cancelledWhileRunning, 1);
    assert.equal(stats.workersReplaced, before.workersReplaced, 'stopped cooperatively, not by killing the worker');
  });

  test('a consumer that stops reading cancels the synthesis too', async () => {
    const before = runtime.stats();
    for await (const _ of espeak.synthesize(request(LONG_TEXT), new AbortController().signal)) break;
    const started = performance.now();
    await drain(espeak.synthesize(request(SHORT_TEXT), new AbortController().signal));
    // The same sanity bound: far below the minute the rest of LONG_TEXT would take.
    assert.ok(performance.now() - started < SANITY_BOUND_MS);
    assert.equal(runtime.stats().cancelledWhileRunning - before.cancelledWhileRunning, 1);
  });

  test('a request aborted while queued never runs', async () => {
    const before = runtime.stats();
    const blocker = new AbortController();
    const running = drain(espeak.synthesize(request(LONG_TEXT), blocker.signal)).catch((e: unknown) => e);
    assert.equal(runtime.queueSize(), 0, 'the blocker went straight to the worker');

    const queued = new AbortController();
    const waiting = espeak.synthesize(request(SHORT_TEXT), queued.signal)[Symbol.asyncIterator]().next();
    assert.equal(runtime.queueSize(), 1);
    queued.abort();
    await assert.rejects(waiting, isAbort);
    assert.equal(runtime.queueSize(), 0);

    blocker.abort();
    assert.ok(isAbort(await running));
    await drain(espeak.synthesize(request(SHORT_TEXT), new AbortController().signal));
    const stats = runtime.stats();
    assert.equal(stats.droppedWhileQueued - before.droppedWhileQueued, 1);
    assert.equal(stats.dispatched - before.dispatched, 2, 'only the blocker and the last request reached the worker');
  });

  test('an already-aborted signal never queues anything', async () => {
    const before = runtime.stats();
    await assert.rejects(drain(espeak.synthesize(request(SHORT_TEXT), AbortSignal.abort())), isAbort);
    assert.equal(runtime.stats().dispatched, before.dispatched);
  });

  test('no abort listener is left behind', async () => {
    const controller = new AbortController();
    await drain(espeak.synthesize(request(SHORT_TEXT), controller.signal));
    for await (const _ of espeak.synthesize(request(LONG_TEXT), controller.signal)) break;
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });
});

/** Resolves once the single worker has finished whatever it was doing (e.g. stopping a cancelled task). */
async function idle(engine: TtsEngine): Promise<void> {
  await drain(engine.synthesize(request(SHORT_TEXT), new AbortController().signal));
}

describe('scheduling', () => {
  test("a stream's first piece is served before queued later pieces of other streams", async () => {
    await idle(espeak);
    const finished: string[] = [];
    const track = (name: string, req: SynthesisRequest): Promise<void> =>
      drain(espeak.synthesize(req, new AbortController().signal)).then(() => {
        finished.push(name);
      });
    const all = [track('blocker', request(BLOCKER_TEXT))];
    for (const name of ['rest-1', 'rest-2', 'rest-3']) all.push(track(name, request(SHORT_TEXT, { priority: 'rest' })));
    all.push(track('first', request(SHORT_TEXT, { priority: 'first' })));
    assert.equal(runtime.queueSize(), 4, 'everything but the blocker is waiting');
    await Promise.all(all);
    assert.deepEqual(finished, ['blocker', 'first', 'rest-1', 'rest-2', 'rest-3']);
  });

  test('later pieces go earliest deadline first; one without a deadline after them', async () => {
    await idle(espeak);
    const finished: string[] = [];
    const track = (name: string, req: SynthesisRequest): Promise<void> =>
      drain(espeak.synthesize(req, new AbortController().signal)).then(() => {
        finished.push(name);
      });
    const now = performance.now();
    const all = [track('blocker', request(BLOCKER_TEXT))];
    // The queue holds 4 here.
    all.push(track('no-deadline', request(SHORT_TEXT, { priority: 'rest' })));
    all.push(track('due-in-3s', request(SHORT_TEXT, { priority: 'rest', deadlineMs: now + 3000 })));
    all.push(track('due-in-1s', request(SHORT_TEXT, { priority: 'rest', deadlineMs: now + 1000 })));
    all.push(track('due-in-2s', request(SHORT_TEXT, { priority: 'rest', deadlineMs: now + 2000 })));
    await Promise.all(all);
    assert.deepEqual(finished, ['blocker', 'due-in-1s', 'due-in-2s', 'due-in-3s', 'no-deadline']);
  });

  test('a full queue answers 503 overloaded with Retry-After', async () => {
    await idle(espeak);
    const controller = new AbortController();
    const pending = [request(LONG_TEXT), ...Array.from({ length: 4 }, () => request(SHORT_TEXT))].map((r) =>
      drain(espeak.synthesize(r, controller.signal)).catch((e: unknown) => e),
    );
    assert.equal(runtime.queueSize(), 4);
    await assert.rejects(drain(espeak.synthesize(request(SHORT_TEXT), new AbortController().signal)), (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.status, 503);
      assert.equal(e.code, 'overloaded');
      assert.equal(e.message, 'Synthesis queue is full, retry shortly');
      assert.equal(e.headers['Retry-After'], '1');
      return true;
    });
    controller.abort();
    for (const outcome of await Promise.all(pending)) assert.ok(isAbort(outcome));
    assert.equal(runtime.queueSize(), 0);
  });
});

describe('worker failure', () => {
  let pool: TtsPool;

  before(async () => {
    pool = await TtsPool.start({ workers: 1, maxQueue: 8, picoLingwareDir: null });
  });

  after(async () => {
    await pool.close();
  });

  test('a worker that crashes fails only its own request and is replaced', async () => {
    const signal = new AbortController().signal;
    // An engine error kills its worker: a wasm engine that threw is not trusted again.
    const doomed = drain(pool.run({ engine: 'flite', voice: 'no-such-voice', text: SHORT_TEXT, speed: 1, priority: 'rest' }, signal));
    const queuedBehind = drain(pool.run({ engine: 'espeak', voice: 'gmw/en-US', text: SHORT_TEXT, speed: 1, priority: 'rest' }, signal));
    assert.equal(pool.queueSize(), 1);
    await assert.rejects(doomed, (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.status, 500);
      assert.equal(e.code, 'synthesis_failed');
      return true;
    });
    assert.ok((await queuedBehind) > 0, 'the request queued behind it is served by the replacement');
    const stats = pool.stats();
    assert.equal(stats.workersReplaced, 1);
    assert.equal(stats.failed, 1);
    assert.equal(stats.workers, 1);
  });
});

describe('TtsPool on an accelerator', () => {
  test('built-in jobs stay off the device worker: with two workers, a second eSpeak job waits for the first', async () => {
    // webgpu marks the pool as accelerated; no neural session is created by eSpeak jobs.
    const pool = await TtsPool.start({ workers: 2, maxQueue: 8, picoLingwareDir: null, onnx: { providers: ['webgpu'], threadsPerSession: 0 } });
    try {
      const signal = new AbortController().signal;
      const order: string[] = [];
      const run = async (name: string, text: string): Promise<void> => {
        let first = true;
        for await (const _ of pool.run({ engine: 'espeak', voice: 'gmw/en-US', text, speed: 1, priority: 'rest' }, signal)) {
          if (first) order.push(`${name} starts`);
          first = false;
        }
        order.push(`${name} ends`);
      };
      const a = run('a', BLOCKER_TEXT);
      await new Promise((resolve) => setImmediate(resolve));
      await Promise.all([a, run('b', SHORT_TEXT)]);
      // On CPU both workers would take one each; here the device worker is kept for Piper/Kokoro.
      assert.deepEqual(order, ['a starts', 'a ends', 'b starts', 'b ends']);
    } finally {
      await pool.close();
    }
  });
});
