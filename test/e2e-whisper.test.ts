/**
 * Whisper through the HTTP API with the official `openai` client, on a generated export written
 * in the real layout (`<models>/whisper-tiny/`, see test/helpers/whisper-model.ts) whose decoder
 * is scripted to say "Hello world." in one segment from 0 to 1 s: the model names that mean it,
 * translations, a corrupt model beside it (424 naming the reinstall command, PocketSphinx still
 * serving), and a size not installed (424 with the pull command; a server with no Whisper at all
 * is covered by e2e-stt's validation table).
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI, { APIError, toFile } from 'openai';
import type { App } from '../src/app.js';
import { wavHeader } from '../src/audio/encode.js';
import { startTestApp, tempDir } from './helpers/app.js';
import { rawRealtime } from './helpers/realtime.js';
import { TINY_SEGMENT_END_S, TINY_TEXT, writeTinyWhisper } from './helpers/whisper-model.js';

const RATE_HZ = 16_000;

/** Two seconds of a 440 Hz tone as a 16 kHz WAV file. */
function toneWav(): Buffer {
  const pcm = Int16Array.from({ length: 2 * RATE_HZ }, (_, i) => Math.round(Math.sin((2 * Math.PI * 440 * i) / RATE_HZ) * 8000));
  const data = Buffer.from(pcm.buffer);
  return Buffer.concat([Buffer.from(wavHeader(data.length, RATE_HZ)), data]);
}

async function status424(run: Promise<unknown>): Promise<string> {
  const error = await run.then(
    () => assert.fail('expected a 424'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof APIError, String(error));
  assert.equal(error.status, 424, error.message);
  return error.message;
}

describe('Whisper end to end', () => {
  let app: App;
  let client: OpenAI;
  const wav = toneWav();
  const file = (): ReturnType<typeof toFile> => toFile(wav, 'tone.wav');

  before(async () => {
    const dataDir = await tempDir('llais-e2e-whisper-');
    const modelsDir = join(dataDir, 'models');
    await writeTinyWhisper(join(modelsDir, 'whisper-tiny'));
    // A second size whose decoder was cut short by an interrupted copy: only onnxruntime notices.
    await writeTinyWhisper(join(modelsDir, 'whisper-base'));
    const decoder = join(modelsDir, 'whisper-base', 'onnx', 'decoder_model_merged.onnx');
    const bytes = await readFile(decoder);
    await writeFile(decoder, bytes.subarray(0, bytes.length >> 1));
    app = await startTestApp({ dataDir, modelsDir, poolWorkers: 1 });
    client = new OpenAI({ baseURL: `${app.url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
  });
  after(() => app?.close());

  it('with Whisper installed, whisper-1, gpt-4o-transcribe, whisper and whisper-tiny all mean it', async () => {
    for (const model of ['whisper-1', 'gpt-4o-transcribe', 'whisper', 'whisper-tiny']) {
      const t = await client.audio.transcriptions.create({ file: await file(), model });
      assert.equal(t.text, TINY_TEXT.trim(), model);
    }
  });

  it('verbose_json carries the segment cut at the timestamp tokens and the detected language', async () => {
    const t = await client.audio.transcriptions.create({ file: await file(), model: 'whisper-1', response_format: 'verbose_json', language: 'en' });
    assert.equal(t.text, TINY_TEXT.trim());
    assert.deepEqual(t.segments?.map((s) => [s.start, s.end, s.text.trim()]), [[0, TINY_SEGMENT_END_S, TINY_TEXT.trim()]]);
    assert.ok(Math.abs(t.duration - 2) < 0.05, `duration ${t.duration}`);
  });

  it('word timestamps: without cross-attention outputs each word gets its share of the segment by characters', async () => {
    const t = await client.audio.transcriptions.create({ file: await file(), model: 'whisper-tiny', response_format: 'verbose_json', timestamp_granularities: ['word'] });
    const words = t.words ?? [];
    assert.equal(words.map((w) => w.word.trim()).join(' ').replace(' .', '.'), TINY_TEXT.trim());
    assert.equal(words[0]!.start, 0);
    assert.ok(Math.abs(words.at(-1)!.end - TINY_SEGMENT_END_S) < 0.02, `last word ends at ${words.at(-1)!.end}`);
    for (let i = 1; i < words.length; i++) assert.ok(words[i - 1]!.end <= words[i]!.start + 1e-9 && words[i]!.start < words[i]!.end, JSON.stringify(words));
    // "Hello" is 5 of the segment's characters, so it ends well inside the 1 s span.
    assert.ok(words[0]!.end > 0.3 && words[0]!.end < 0.6, `split at ${words[0]!.end}`);
  });

  it('translations run the translate task on the same model', async () => {
    const t = await client.audio.translations.create({ file: await file(), model: 'whisper-1' });
    assert.equal(t.text, TINY_TEXT.trim());
  });

  it('a corrupt model gets 424 naming it and its reinstall command, twice, while the others keep serving', async () => {
    for (let i = 0; i < 2; i++) {
      const message = await status424(client.audio.transcriptions.create({ file: await file(), model: 'whisper-base' }));
      assert.match(message, /whisper-base' failed to load: decoder_model_merged\.onnx/);
      assert.match(message, /llais models pull whisper-base/);
    }
    const sphinx = await client.audio.transcriptions.create({ file: await file(), model: 'pocketsphinx' });
    assert.equal(typeof sphinx.text, 'string');
    const t = await client.audio.transcriptions.create({ file: await file(), model: 'whisper-1' });
    assert.equal(t.text, TINY_TEXT.trim(), 'the healthy size still serves');
    const { models } = (await (await fetch(`${app.url}/v1/models`)).json()) as { models: Array<{ id: string; installed: boolean; loaded: boolean; failed?: string }> };
    const byId = new Map(models.map((m) => [m.id, m]));
    assert.deepEqual([byId.get('whisper-tiny')?.installed, byId.get('whisper-tiny')?.loaded, byId.get('whisper-tiny')?.failed], [true, true, undefined]);
    assert.equal(byId.get('whisper-base')?.installed, true);
    assert.match(byId.get('whisper-base')?.failed ?? '', /decoder_model_merged\.onnx/);
    assert.equal(byId.get('whisper-small')?.installed, false);
    const health = (await (await fetch(`${app.url}/v1/health`)).json()) as { models_loaded: string[] };
    assert.ok(health.models_loaded.includes('whisper-tiny') && !health.models_loaded.includes('whisper-base'), health.models_loaded.join(', '));
  });

  it('Realtime turns use audio.input.transcription.model: Whisper transcribes the turn when it is committed', async () => {
    const { send, log, ws } = await rawRealtime(`${app.url.replace('http', 'ws')}/v1/realtime?model=x`);
    // 2 s of tone as the session's default input, 24 kHz pcm16.
    const pcm = Int16Array.from({ length: 48_000 }, (_, i) => Math.round(Math.sin((2 * Math.PI * 440 * i) / 24_000) * 8000));
    const turn = async (model: string): Promise<{ type: string; [k: string]: unknown }> => {
      const from = log.events.length;
      send({ type: 'session.update', session: { audio: { input: { turn_detection: null, transcription: { model } } }, output_modalities: ['text'] } });
      await log.waitFor('session.updated', { from });
      send({ type: 'input_audio_buffer.append', audio: Buffer.from(pcm.buffer).toString('base64') });
      send({ type: 'input_audio_buffer.commit' });
      const done = log.waitFor('conversation.item.input_audio_transcription.completed', { from });
      const failed = log.waitFor('conversation.item.input_audio_transcription.failed', { from });
      return (await Promise.race([done, failed])).event;
    };
    const whisper = await turn('whisper-tiny');
    assert.equal(whisper.transcript, TINY_TEXT.trim());
    const missing = await turn('whisper-small');
    assert.equal(missing.type, 'conversation.item.input_audio_transcription.failed');
    assert.match(JSON.stringify(missing.error), /llais models pull whisper-small/);
    ws.close();
  });

  it('a size that is not installed gets 424 with the exact pull command', async () => {
    const message = await status424(client.audio.transcriptions.create({ file: await file(), model: 'whisper-small' }));
    assert.match(message, /`llais models pull whisper-small`/);
  });
});
