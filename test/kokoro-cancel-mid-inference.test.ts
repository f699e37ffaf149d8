/**
 * Race: a Kokoro request cancelled while its worker is inside an inference. onnxruntime-node
 * runs inferences synchronously on the worker's thread, and terminating a thread there aborts
 * the whole process, so the pool must let the piece finish (the cancel flag stops the job at
 * its end) instead of terminating the worker after its usual grace time. The model here takes
 * seconds per inference on a CPU, longer than that grace time on the machines this runs on.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { App } from '../src/app.js';
import { pcmFromBytes, rms } from './helpers/audio.js';
import { startTestApp, tempDir } from './helpers/app.js';
import { slowKokoroModel, voicesArchive } from './helpers/kokoro-model.js';

/** ~2 x 4000^3 multiply-adds: seconds on one core. */
const MATRIX_SIZE = 4000;

function post(app: App, body: unknown): Promise<Response> {
  return fetch(`${app.url}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** Waits until the pool's counters say `done`, checking at each macrotask turn (no fixed sleep). */
async function until(app: App, done: (stats: ReturnType<App['context']['tts']['stats']>) => boolean): Promise<void> {
  while (!done(app.context.tts.stats())) await new Promise((resolve) => setImmediate(resolve));
}

describe('a Kokoro request cancelled mid-inference', () => {
  let app: App;
  before(async () => {
    const modelsDir = await tempDir('llais-kokoro-slow-');
    await mkdir(join(modelsDir, 'kokoro'), { recursive: true });
    await writeFile(join(modelsDir, 'kokoro', 'kokoro-v1.0.onnx'), slowKokoroModel(MATRIX_SIZE));
    await writeFile(join(modelsDir, 'kokoro', 'voices-v1.0.bin'), voicesArchive({ af_bella: 0.3 }));
    app = await startTestApp({ modelsDir, ttsWorkers: 1 });
  });
  after(() => app.close());

  it('stops at the end of the piece: the worker is not terminated, the process lives, the next request is served', async () => {
    const before = app.context.tts.stats();
    const engine = app.context.tts.engine('kokoro')!;
    const aborter = new AbortController();
    // The engine directly, as a barge-in does it: the abort reaches the pool at once.
    const chunks = engine.synthesize({ text: 'Hello there, how are you?', voice: 'af_bella', language: 'en', speed: 1, priority: 'first', sampleRateHz: 24_000 }, aborter.signal);
    const first = chunks[Symbol.asyncIterator]().next();
    await until(app, (s) => s.dispatched > before.dispatched);
    aborter.abort();
    await assert.rejects(first);
    assert.equal(app.context.tts.stats().cancelledWhileRunning, before.cancelledWhileRunning + 1);
    // Served once the worker has finished the piece it was in.
    const res = await post(app, { model: 'espeak', voice: 'en-us', input: 'Still here.', response_format: 'pcm' });
    assert.equal(res.status, 200);
    assert.ok(rms(pcmFromBytes(new Uint8Array(await res.arrayBuffer()))) > 300);
    assert.equal(app.context.tts.stats().workersReplaced, before.workersReplaced, 'no worker was terminated');
    assert.equal(app.context.tts.stats().failed, before.failed, 'the model loaded and ran: the cancel met an inference');
  });
});
