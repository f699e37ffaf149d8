import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createParser } from 'eventsource-parser';
import type { App } from '../src/app.js';
import { EspeakCore } from '../src/engines/tts/espeak/espeak-core.js';
import { phonemizeSentences } from '../src/engines/tts/espeak/phonemize.js';
import { phonemeIds } from '../src/engines/tts/piper/phoneme-ids.js';
import { pcmFromBytes, rms } from './helpers/audio.js';
import { splitSentences } from '../src/text/sentences.js';
import { startTestApp, tempDir } from './helpers/app.js';
import { SAMPLES_PER_ID, TINY_PHONEME_ID_MAP, TINY_SAMPLE_RATE_HZ, TONE_HZ, tinyPiperModel, unloadablePiperModel, writeTinyVoice } from './helpers/piper-model.js';

const OUTPUT_RATE_HZ = 24_000;
const SINGLE = 'en_US-tiny-medium';
const MULTI = 'en_GB-duo-medium';
const CORRUPT = 'en_US-broken-low';
const MISMATCHED = 'en_US-mismatch-low';
const UNLOADABLE = 'en_US-badop-low';
const SENTENCE = 'Hello there, this is a test.';

function post(app: App, path: string, body: unknown): Promise<Response> {
  return fetch(app.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function speechPcm(app: App, body: Record<string, unknown>): Promise<Int16Array> {
  const res = await post(app, '/v1/audio/speech', { model: 'piper', response_format: 'pcm', ...body });
  assert.equal(res.status, 200, await res.clone().text());
  return pcmFromBytes(new Uint8Array(await res.arrayBuffer()));
}

/** Frequency from the rate of sign changes: a sine of f Hz changes sign 2f times a second. */
function toneHz(pcm: Int16Array, sampleRateHz: number): number {
  let crossings = 0;
  for (let i = 1; i < pcm.length; i++) if (pcm[i - 1]! < 0 !== pcm[i]! < 0) crossings++;
  return crossings / 2 / (pcm.length / sampleRateHz);
}

/** The samples the tiny model makes for `text` at `lengthScale`, from the same phonemizer the workers use. */
async function expectedModelSamples(text: string, lengthScale: number): Promise<number> {
  const espeak = await EspeakCore.load();
  const map = new Map(Object.entries(TINY_PHONEME_ID_MAP));
  // Each piece the server cuts the text into is phonemized and spoken on its own.
  return splitSentences(text)
    .flatMap((piece) => phonemizeSentences(piece, (clause) => espeak.ipa(clause, 'gmw/en-US')))
    .map((sentence) => Math.floor(phonemeIds(sentence, map).length * lengthScale * SAMPLES_PER_ID))
    .reduce((a, b) => a + b, 0);
}

describe('Piper voices from <modelsDir>/piper/, end to end over HTTP', () => {
  let app: App;
  let piperDir: string;

  before(async () => {
    const modelsDir = await tempDir('llais-piper-');
    piperDir = join(modelsDir, 'piper');
    await writeTinyVoice(piperDir, SINGLE);
    await writeTinyVoice(piperDir, MULTI, { speakers: { alice: 0, bob: 1 }, languageCode: 'en_GB', espeakVoice: 'en-gb-x-rp' });
    // A download cut short: the first half of a valid model.
    await writeTinyVoice(piperDir, CORRUPT);
    const whole = await readFile(join(piperDir, `${CORRUPT}.onnx`));
    await writeFile(join(piperDir, `${CORRUPT}.onnx`), whole.subarray(0, Math.floor(whole.length / 2)));
    // A multi-speaker model under a single-speaker JSON.
    await writeTinyVoice(piperDir, MISMATCHED);
    await writeFile(join(piperDir, `${MISMATCHED}.onnx`), tinyPiperModel(true));
    await writeTinyVoice(piperDir, UNLOADABLE);
    await writeFile(join(piperDir, `${UNLOADABLE}.onnx`), unloadablePiperModel());
    app = await startTestApp({ modelsDir });
  });
  after(() => app.close());

  it('lists each voice by file name and each speaker of a multi-speaker voice as name:speaker', async () => {
    const body = (await (await fetch(`${app.url}/v1/voices/?model=piper`)).json()) as { voices: Array<{ id: string; model: string; language: string }> };
    const ids = body.voices.map((v) => v.id).sort();
    // The unloadable voice passes the checks made when it is found; only loading it fails.
    assert.deepEqual(ids, [`${MULTI}:alice`, `${MULTI}:bob`, UNLOADABLE, SINGLE]);
    assert.equal(body.voices.find((v) => v.id === SINGLE)!.language, 'en-us');
    assert.equal(body.voices.find((v) => v.id === `${MULTI}:bob`)!.language, 'en-gb');
  });

  it('/v1/models/ shows piper installed and loaded, and each broken voice failed with its reason', async () => {
    const body = (await (await fetch(`${app.url}/v1/models/`)).json()) as {
      models: Array<{ id: string; installed: boolean; loaded: boolean; failed?: Array<{ voice: string; reason: string }> }>;
    };
    const piper = body.models.find((m) => m.id === 'piper')!;
    assert.equal(piper.installed, true);
    assert.equal(piper.loaded, true);
    const failed = new Map((piper.failed ?? []).map((f) => [f.voice, f.reason]));
    assert.deepEqual([...failed.keys()].sort(), [CORRUPT, MISMATCHED]);
    assert.match(failed.get(CORRUPT)!, /truncated/);
    assert.match(failed.get(MISMATCHED)!, /sid/);
  });

  it('/v1/audio/speech returns 24 kHz audio as long as the model output, resampled from 22.05 kHz', async () => {
    const pcm = await speechPcm(app, { voice: SINGLE, input: SENTENCE });
    const expected = ((await expectedModelSamples(SENTENCE, 1)) * OUTPUT_RATE_HZ) / TINY_SAMPLE_RATE_HZ;
    assert.ok(Math.abs(pcm.length - expected) < 0.01 * expected, `${pcm.length} samples, expected about ${expected.toFixed(0)}`);
    assert.ok(rms(pcm) > 10_000, `rms ${rms(pcm).toFixed(0)}: the model's sine, peak-normalized`);
    assert.ok(Math.abs(toneHz(pcm, OUTPUT_RATE_HZ) - TONE_HZ) < 5, 'the model rate was converted, not relabelled');
  });

  it('speed 2 halves the length (length_scale / speed)', async () => {
    const normal = await speechPcm(app, { voice: SINGLE, input: SENTENCE });
    const fast = await speechPcm(app, { voice: SINGLE, input: SENTENCE, speed: 2 });
    const ratio = fast.length / normal.length;
    assert.ok(Math.abs(ratio - 0.5) < 0.01, `fast/normal = ${ratio.toFixed(3)}`);
  });

  it('/v1/tts/stream/ streams a multi-speaker voice, passing the speaker as sid', async () => {
    const tones: number[] = [];
    for (const speaker of ['alice', 'bob']) {
      const res = await post(app, '/v1/tts/stream/', { text: 'One sentence here. And a second one follows it.', voice: `${MULTI}:${speaker}` });
      assert.equal(res.status, 200);
      const events: Array<{ type: string; audio?: string }> = [];
      const parser = createParser({ onEvent: (e) => events.push(JSON.parse(e.data)) });
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
      const deltas = events.filter((e) => e.type === 'speech.audio.delta');
      assert.ok(deltas.length >= 2, `${deltas.length} deltas`);
      assert.equal(events.at(-1)!.type, 'speech.audio.done');
      tones.push(toneHz(pcmFromBytes(Buffer.concat(deltas.map((d) => Buffer.from(d.audio!, 'base64')))), OUTPUT_RATE_HZ));
    }
    // The tiny model's pitch is TONE_HZ × (sid + 1): alice is sid 0, bob sid 1.
    assert.ok(Math.abs(tones[0]! - TONE_HZ) < 5, `alice ${tones[0]} Hz`);
    assert.ok(Math.abs(tones[1]! - 2 * TONE_HZ) < 10, `bob ${tones[1]} Hz`);
  });

  it('a corrupt voice gets 424 naming it and how to reinstall; eSpeak keeps working', async () => {
    const res = await post(app, '/v1/audio/speech', { model: 'piper', voice: CORRUPT, input: 'Hello.' });
    assert.equal(res.status, 424);
    const error = ((await res.json()) as { error: { code: string; message: string; param: string } }).error;
    assert.equal(error.code, 'model_not_installed');
    assert.equal(error.param, 'voice');
    assert.match(error.message, new RegExp(`'${CORRUPT}'.*truncated.*Reinstall`));
    const espeak = await speechPcm(app, { model: 'espeak', voice: 'en-us', input: 'Still here.' });
    assert.ok(rms(espeak) > 300);
  });

  it('a voice onnxruntime cannot load fails its request with 424 and is listed failed from then on; the worker stays', async () => {
    const replacedBefore = app.context.tts.stats().workersReplaced;
    const res = await post(app, '/v1/audio/speech', { model: 'piper', voice: UNLOADABLE, input: 'Hello.', response_format: 'pcm' });
    assert.equal(res.status, 424, await res.clone().text());
    const error = ((await res.json()) as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'model_not_installed');
    assert.match(error.message, new RegExp(`'${UNLOADABLE}' failed to load`));
    const voices = (await (await fetch(`${app.url}/v1/voices/?model=piper`)).json()) as { voices: Array<{ id: string }> };
    assert.ok(!voices.voices.some((v) => v.id === UNLOADABLE));
    const again = await post(app, '/v1/audio/speech', { model: 'piper', voice: UNLOADABLE, input: 'Hello.' });
    assert.equal(again.status, 424);
    assert.equal(app.context.tts.stats().workersReplaced, replacedBefore, 'no worker died for it');
    const pcm = await speechPcm(app, { voice: SINGLE, input: 'Still speaking.' });
    assert.ok(rms(pcm) > 10_000);
  });

  it('a voice dropped into the directory while the server runs is offered without a restart', async () => {
    const name = 'en_US-late-low';
    await writeTinyVoice(piperDir, name);
    const pcm = await speechPcm(app, { voice: name, input: 'Hi.' });
    assert.ok(pcm.length > 0 && rms(pcm) > 10_000);
  });

  it('a broken voice repaired by copying good files over it is offered again without a restart', async () => {
    // Written in place: the directory's own modification time does not change.
    await writeFile(join(piperDir, `${CORRUPT}.onnx`), tinyPiperModel(false));
    const pcm = await speechPcm(app, { voice: CORRUPT, input: 'Fixed.' });
    assert.ok(rms(pcm) > 10_000);
  });
});
