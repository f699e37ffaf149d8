/**
 * Kokoro end to end over HTTP, on tiny models with the real inputs and outputs of both
 * published exports (test/helpers/kokoro-model.ts), in the real file layouts. One server for
 * the whole file: it starts without Kokoro, which is then installed, switched to the other
 * layout and broken while it runs, so the tests run in order.
 */
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createParser } from 'eventsource-parser';
import WebSocket from 'ws';
import type { App } from '../src/app.js';
import { decodeToPcm } from '../src/audio/decode.js';
import { EspeakCore } from '../src/engines/tts/espeak/espeak-core.js';
import { phonemizeSentences } from '../src/engines/tts/espeak/phonemize.js';
import { chunkPhonemes } from '../src/engines/tts/kokoro/chunks.js';
import { tieSeparatedIpa } from '../src/engines/tts/kokoro/espeak-ties.js';
import { FIRST_PIECE_MAX_TOKENS } from '../src/engines/tts/kokoro/kokoro-core.js';
import { espeakToKokoro } from '../src/engines/tts/kokoro/phonemes.js';
import { tokenize } from '../src/engines/tts/kokoro/vocab.js';
import { pcmFromBytes, rms } from './helpers/audio.js';
import { splitSentences } from '../src/text/sentences.js';
import { startTestApp, tempDir } from './helpers/app.js';
import { SAMPLES_PER_TOKEN, unloadableKokoroModel, writeKokoroOnnxLayout, writeOnnxCommunityLayout } from './helpers/kokoro-model.js';

/** Each voice's style vectors start with its amplitude, which the tiny model plays at. */
const VOICES = { af_bella: 0.2, af_sky: 0.6, af_alloy: 0.3, am_echo: 0.25, bm_fable: 0.35, ff_siwis: 0.4 };
const SENTENCE = 'Hello there, this is a test.';
const LONG_TEXT =
  'The first sentence is short. The second one goes on for a while, so that the stream has more than one piece to send. ' +
  'A third sentence follows it, and a fourth one closes the paragraph with a few more words.';

function post(app: App, path: string, body: unknown): Promise<Response> {
  return fetch(app.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function speechPcm(app: App, body: Record<string, unknown>): Promise<Int16Array> {
  const res = await post(app, '/v1/audio/speech', { model: 'kokoro', response_format: 'pcm', ...body });
  assert.equal(res.status, 200, await res.clone().text());
  return pcmFromBytes(new Uint8Array(await res.arrayBuffer()));
}

interface SseResult {
  deltas: Int16Array[];
  done: { model: string; voice: string };
}

async function sse(app: App, body: Record<string, unknown>): Promise<SseResult> {
  const res = await post(app, '/v1/tts/stream/', body);
  assert.equal(res.status, 200, await res.clone().text());
  const events: Array<{ type: string; audio?: string; model?: string; voice?: string }> = [];
  const parser = createParser({ onEvent: (e) => events.push(JSON.parse(e.data)) });
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
  const done = events.at(-1)!;
  assert.equal(done.type, 'speech.audio.done', JSON.stringify(done));
  const deltas = events.filter((e) => e.type === 'speech.audio.delta').map((e) => pcmFromBytes(Buffer.from(e.audio!, 'base64')));
  return { deltas, done: { model: done.model!, voice: done.voice! } };
}

async function errorOf(res: Response): Promise<{ code: string; message: string; param: string }> {
  return ((await res.json()) as { error: { code: string; message: string; param: string } }).error;
}

/** The int16 RMS of a sine of the given float amplitude. */
const sineRms = (amplitude: number): number => (amplitude * 32_767) / Math.SQRT2;

describe('Kokoro from <modelsDir>/kokoro/, end to end over HTTP', () => {
  let app: App;
  let kokoroDir: string;
  let espeak: EspeakCore;

  /** The samples the tiny model makes for a text: each piece the server cuts it into, phonemized as the workers do. */
  const expectedSamples = (text: string, speed: number): number => splitSentences(text).reduce((sum, piece) => sum + pieceSamples(piece, speed), 0);
  const pieceSamples = (text: string, speed: number): number => {
    const sentences = phonemizeSentences(text, (clause) => tieSeparatedIpa(espeak.ipa(clause, 'gmw/en-US')), false);
    const phonemes = sentences.map((s) => espeakToKokoro(s, 'en-us')).join(' ');
    return chunkPhonemes(phonemes, { firstChunkMaxTokens: FIRST_PIECE_MAX_TOKENS })
      .map((piece) => Math.floor(((tokenize(piece).length + 2) * SAMPLES_PER_TOKEN) / speed))
      .reduce((a, b) => a + b, 0);
  };

  before(async () => {
    const modelsDir = await tempDir('llais-kokoro-');
    kokoroDir = join(modelsDir, 'kokoro');
    espeak = await EspeakCore.load();
    app = await startTestApp({ modelsDir });
  });
  after(() => app.close());

  it('without Kokoro the defaults stay: an OpenAI voice name speaks with Flite', async () => {
    const { done } = await sse(app, { text: 'Hi.', voice: 'alloy' });
    assert.equal(done.model, 'flite');
    const res = await post(app, '/v1/audio/speech', { model: 'kokoro', voice: 'af_bella', input: 'Hi.' });
    assert.equal(res.status, 424);
    assert.match((await errorOf(res)).message, /llais models pull kokoro/);
  });

  it('once installed (no restart) it lists every voice of voices-v1.0.bin with language and gender', async () => {
    await writeKokoroOnnxLayout(kokoroDir, VOICES);
    const body = (await (await fetch(`${app.url}/v1/voices/?model=kokoro`)).json()) as { voices: Array<{ id: string; language: string; gender: string }> };
    assert.deepEqual(body.voices.map((v) => v.id).sort(), Object.keys(VOICES).sort());
    const byId = new Map(body.voices.map((v) => [v.id, v]));
    assert.deepEqual([byId.get('bm_fable')!.language, byId.get('bm_fable')!.gender], ['en-gb', 'male']);
    assert.deepEqual([byId.get('ff_siwis')!.language, byId.get('ff_siwis')!.gender], ['fr', 'female']);
    const models = (await (await fetch(`${app.url}/v1/models/`)).json()) as { models: Array<{ id: string; installed: boolean; loaded: boolean }> };
    const kokoro = models.models.find((m) => m.id === 'kokoro')!;
    assert.deepEqual([kokoro.installed, kokoro.loaded], [true, true]);
  });

  it('/v1/audio/speech gives 24 kHz audio as long as the model output, at the voice\'s style', async () => {
    const pcm = await speechPcm(app, { voice: 'af_bella', input: SENTENCE });
    assert.equal(pcm.length, expectedSamples(SENTENCE, 1));
    assert.ok(Math.abs(rms(pcm) - sineRms(VOICES.af_bella)) < 0.02 * sineRms(VOICES.af_bella), `rms ${rms(pcm).toFixed(0)}`);
  });

  it('speed 2 halves the length (the model\'s speed input)', async () => {
    const fast = await speechPcm(app, { voice: 'af_bella', input: SENTENCE, speed: 2 });
    assert.equal(fast.length, expectedSamples(SENTENCE, 2));
    const normal = expectedSamples(SENTENCE, 1);
    assert.ok(Math.abs(fast.length / normal - 0.5) < 0.01, `fast/normal = ${(fast.length / normal).toFixed(3)}`);
  });

  it('/v1/tts/stream/ sends a long text as several 24 kHz chunks', async () => {
    const { deltas, done } = await sse(app, { text: LONG_TEXT, voice: 'af_sky', model: 'kokoro' });
    assert.ok(deltas.length > 1, `${deltas.length} deltas`);
    // The first piece is short: at most FIRST_PIECE_MAX_TOKENS tokens and the two pads.
    assert.ok(deltas[0]!.length <= (FIRST_PIECE_MAX_TOKENS + 2) * SAMPLES_PER_TOKEN, `first delta ${deltas[0]!.length} samples`);
    assert.equal(done.model, 'kokoro');
    const all = Int16Array.from(deltas.flatMap((d) => [...d]));
    assert.ok(Math.abs(rms(all) - sineRms(VOICES.af_sky)) < 0.02 * sineRms(VOICES.af_sky));
  });

  it('mixes voices by weight: af_bella+af_sky is their mean, af_bella(3)+af_sky(1) leans to af_bella', async () => {
    const even = await speechPcm(app, { voice: 'af_bella+af_sky', input: SENTENCE });
    const weighted = await speechPcm(app, { voice: 'af_bella(3)+af_sky(1)', input: SENTENCE });
    const near = (pcm: Int16Array, amplitude: number) => Math.abs(rms(pcm) - sineRms(amplitude)) < 0.02 * sineRms(amplitude);
    assert.ok(near(even, (VOICES.af_bella + VOICES.af_sky) / 2), `even mix rms ${rms(even).toFixed(0)}`);
    assert.ok(near(weighted, (3 * VOICES.af_bella + VOICES.af_sky) / 4), `weighted mix rms ${rms(weighted).toFixed(0)}`);
    assert.equal(even.length, expectedSamples(SENTENCE, 1), 'the mix speaks with the leading voice\'s phonemes');
  });

  it('an unknown voice or a malformed mix is 400 voice_not_found', async () => {
    for (const voice of ['af_nobody', 'af_bella+af_nobody', 'af_bella(-1)+af_sky']) {
      const res = await post(app, '/v1/audio/speech', { model: 'kokoro', voice, input: 'Hi.' });
      assert.equal(res.status, 400, voice);
      assert.equal((await errorOf(res)).code, 'voice_not_found', voice);
    }
  });

  it('with Kokoro installed it is the default model, and OpenAI voice names mean its voices of the same name', async () => {
    const alloy = await sse(app, { text: SENTENCE, voice: 'alloy' });
    assert.deepEqual(alloy.done, { model: 'kokoro', voice: 'af_alloy' });
    const fable = await sse(app, { text: SENTENCE, voice: 'fable' });
    assert.deepEqual(fable.done, { model: 'kokoro', voice: 'bm_fable' });
    const pcm = await speechPcm(app, { model: 'tts-1', voice: 'echo', input: SENTENCE });
    assert.ok(Math.abs(rms(pcm) - sineRms(VOICES.am_echo)) < 0.02 * sineRms(VOICES.am_echo), 'echo is am_echo');
  });

  it('model kokoro with voice af_bella works on /v1/tts/ws and in voice chat too', async () => {
    const ws = new WebSocket(`${app.url.replace(/^http/, 'ws')}/v1/tts/ws?model=kokoro&voice=af_bella`);
    const events: Array<{ type: string; audio?: string; session?: { model: string; voice: string } }> = [];
    ws.on('message', (data) => events.push(JSON.parse(String(data))));
    ws.on('open', () => {
      ws.send(JSON.stringify({ type: 'text', text: SENTENCE }));
      ws.send(JSON.stringify({ type: 'close' }));
    });
    await new Promise((resolve) => ws.on('close', resolve));
    const created = events.find((e) => e.type === 'session.created')!;
    assert.deepEqual([created.session!.model, created.session!.voice], ['kokoro', 'af_bella']);
    assert.equal(events.at(-1)!.type, 'done', events.map((e) => e.type).join(', '));
    const audio = Buffer.concat(events.filter((e) => e.type === 'audio.delta').map((e) => Buffer.from(e.audio!, 'base64')));
    assert.equal(audio.length / 2, expectedSamples(SENTENCE, 1));

    const res = await post(app, '/v1/voice-chat/', { text: SENTENCE, tts_model: 'kokoro', voice: 'af_bella' });
    assert.equal(res.status, 200, await res.clone().text());
    const { audio_url } = (await res.json()) as { audio_url: string };
    const pcm = await decodeToPcm(new Uint8Array(await (await fetch(audio_url)).arrayBuffer()), 24_000);
    // The echo responder says the text back, sentence by sentence, and MP3 pads with silence: the
    // length is near, not equal, and the peak (not the RMS) is af_bella's level.
    const expected = expectedSamples(SENTENCE, 1);
    assert.ok(Math.abs(pcm.length - expected) < 0.15 * expected, `${pcm.length} samples, expected about ${expected}`);
    const peak = pcm.reduce((max, x) => Math.max(max, Math.abs(x)), 0);
    assert.ok(Math.abs(peak - VOICES.af_bella * 32_767) < 0.08 * VOICES.af_bella * 32_767, `peak ${peak}`);
  });

  it('reads the onnx-community layout (onnx/model_quantized.onnx, voices/*.bin) when that is what is installed', async () => {
    await rm(join(kokoroDir, 'kokoro-v1.0.onnx'));
    await rm(join(kokoroDir, 'voices-v1.0.bin'));
    await writeOnnxCommunityLayout(kokoroDir, { af_bella: 0.5, am_echo: 0.25 });
    const body = (await (await fetch(`${app.url}/v1/voices/?model=kokoro`)).json()) as { voices: Array<{ id: string }> };
    assert.deepEqual(body.voices.map((v) => v.id).sort(), ['af_bella', 'am_echo']);
    const pcm = await speechPcm(app, { voice: 'af_bella', input: SENTENCE });
    assert.equal(pcm.length, expectedSamples(SENTENCE, 1));
    assert.ok(Math.abs(rms(pcm) - sineRms(0.5)) < 0.02 * sineRms(0.5));
  });

  it('a truncated model file: kokoro is failed with the reason, requests get 424 with the reinstall command, eSpeak still speaks', async () => {
    const modelPath = join(kokoroDir, 'onnx', 'model_quantized.onnx');
    const whole = await readFile(modelPath);
    await writeFile(modelPath, whole.subarray(0, Math.floor(whole.length / 2)));
    const res = await post(app, '/v1/audio/speech', { model: 'kokoro', voice: 'af_bella', input: 'Hello.' });
    assert.equal(res.status, 424);
    const error = await errorOf(res);
    assert.equal(error.code, 'model_not_installed');
    assert.match(error.message, /'kokoro' failed to load: onnx\/model_quantized\.onnx: .*truncated.*`llais models pull kokoro`/);
    const byVoice = await post(app, '/v1/audio/speech', { model: 'tts-1', voice: 'af_bella', input: 'Hello.' });
    assert.equal(byVoice.status, 424, 'a Kokoro voice named without the model');
    const models = (await (await fetch(`${app.url}/v1/models/`)).json()) as { models: Array<{ id: string; installed: boolean; loaded: boolean; failed?: Array<{ reason: string }> }> };
    const kokoro = models.models.find((m) => m.id === 'kokoro')!;
    assert.deepEqual([kokoro.installed, kokoro.loaded], [true, false]);
    assert.match(kokoro.failed![0]!.reason, /truncated/);
    const espeak = await speechPcm(app, { model: 'espeak', voice: 'en-us', input: 'Still here.' });
    assert.ok(rms(espeak) > 300);
    await writeFile(modelPath, whole);
  });

  it('a corrupt voice file is failed with its reason while the other voices keep speaking', async () => {
    await writeFile(join(kokoroDir, 'voices', 'am_echo.bin'), Buffer.alloc(1000));
    const res = await post(app, '/v1/audio/speech', { model: 'kokoro', voice: 'am_echo', input: 'Hello.' });
    assert.equal(res.status, 424);
    assert.match((await errorOf(res)).message, /voices\/am_echo\.bin: .*1000 bytes/);
    const pcm = await speechPcm(app, { voice: 'af_bella', input: 'Still speaking.' });
    assert.ok(rms(pcm) > 1000);
  });

  it('a model onnxruntime cannot load fails its request with 424, is failed from then on, and no worker dies for it', async () => {
    const replacedBefore = app.context.tts.stats().workersReplaced;
    await writeFile(join(kokoroDir, 'onnx', 'model_quantized.onnx'), unloadableKokoroModel());
    const res = await post(app, '/v1/audio/speech', { model: 'kokoro', voice: 'af_bella', input: 'Hello.', response_format: 'pcm' });
    assert.equal(res.status, 424, await res.clone().text());
    assert.match((await errorOf(res)).message, /'kokoro' failed to load: onnx\/model_quantized\.onnx: .*NoSuchKokoroOp/);
    const again = await post(app, '/v1/audio/speech', { model: 'kokoro', voice: 'af_bella', input: 'Hello.' });
    assert.equal(again.status, 424);
    assert.equal(app.context.tts.stats().workersReplaced, replacedBefore);
    const { done } = await sse(app, { text: 'Hi.', voice: 'alloy' });
    assert.equal(done.model, 'flite', 'with Kokoro failed, the defaults fall back');
  });
});
