/**
 * Whisper models loaded at start (config `modelsLoadAtStart`) through the STT service on a real
 * worker pool: the listed models are loaded into the workers before any request, and one whose
 * files onnxruntime cannot load is reported failed, with its reinstall command, without a request
 * having to find out.
 */
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DEFAULT_ONNX_SETTINGS } from '../src/engines/onnx/settings.js';
import { PooledSttService } from '../src/stt/pooled-stt-service.js';
import { WorkerPool } from '../src/workers/pool.js';
import { tempDir } from './helpers/app.js';
import { writeTinyWhisper } from './helpers/whisper-model.js';

let dir: string;
let pool: WorkerPool;

before(async () => {
  dir = await tempDir('llais-whisper-load-');
  await writeTinyWhisper(join(dir, 'whisper-tiny'));
  await writeTinyWhisper(join(dir, 'whisper-base.en'));
  const decoder = join(dir, 'whisper-base.en', 'onnx', 'decoder_model_merged.onnx');
  await writeFile(decoder, (await readFile(decoder)).subarray(0, 1000));
  pool = WorkerPool.start({ threads: 1, maxQueue: 4 });
});

after(async () => {
  await pool.close();
  await rm(dir, { recursive: true, force: true });
});

const service = (): PooledSttService =>
  new PooledSttService(pool, dir, { whisper: { onnx: DEFAULT_ONNX_SETTINGS, budgetBytesPerThread: 0, variant: 'auto' } });

test('only the listed models load; before that nothing is loaded', async () => {
  const stt = service();
  const status = (id: string) => stt.models().find((m) => m.id === id)!;
  assert.deepEqual([status('whisper-tiny').installed, status('whisper-tiny').loaded], [true, false]);
  assert.deepEqual(await stt.loadAtStart('whisper-tiny', AbortSignal.timeout(60_000)), ['whisper-tiny']);
  assert.equal(status('whisper-tiny').loaded, true);
  assert.equal(status('whisper-base.en').failed, undefined, 'not listed, not tried');
});

test('`all` loads every installed Whisper model; a broken one is failed with its reinstall command, the rest loaded', async () => {
  const stt = service();
  assert.deepEqual(await stt.loadAtStart('all', AbortSignal.timeout(60_000)), ['whisper-tiny']);
  const base = stt.models().find((m) => m.id === 'whisper-base.en')!;
  assert.equal(base.loaded, false);
  assert.match(base.failed ?? '', /whisper-base\.en' failed to load: decoder_model_merged\.onnx: .*llais models pull whisper-base\.en/);
  assert.throws(() => stt.resolve({ model: 'whisper-base.en', language: 'en', task: 'transcribe', wordTimestamps: false, diarize: false, live: false }), /failed to load/);
  assert.deepEqual(stt.resolve({ language: 'en', task: 'transcribe', wordTimestamps: false, diarize: false, live: false }), { model: 'whisper-tiny' });
});

test('sttDefaultModel must name a speech-to-text model or be auto: a misspelt one stops the start', () => {
  assert.throws(() => new PooledSttService(pool, dir, { defaultModel: 'whisper-tinny' }), /sttDefaultModel: 'whisper-tinny' is not a speech-to-text model/);
  assert.deepEqual(new PooledSttService(pool, dir, { defaultModel: 'pocketsphinx' }).resolve({ language: 'en', task: 'transcribe', wordTimestamps: false, diarize: false, live: false }), { model: 'pocketsphinx' });
});
