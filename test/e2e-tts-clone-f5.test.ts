/**
 * `/v1/tts/clone/` with F5-TTS installed (tiny graphs in the DakeQQ/F5-TTS-ONNX layout,
 * helpers/f5-model.ts, whose output value is 100 · (reference level + mean text id)): before the
 * install, `model=f5-tts` is a 424 naming what to install and other requests fall back to a
 * built-in voice plus conversion; after it, the model runs (`X-Llais-Cloner: f5-tts`), the
 * reference audio and the text both reach it, a missing `reference_text` is transcribed by the
 * server, the result is a job with subtitles, and bad uploads still get their 4xx.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { App } from '../src/app.js';
import { F5_FILES } from '../src/engines/voice/f5-tts.js';
import { startTestApp } from './helpers/app.js';
import { tinyF5Models } from './helpers/f5-model.js';
import { speak, wavOf, type Clip } from './helpers/voices.js';

const REF_TEXT = 'The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background.';
const VOCAB = [' ', '!', '"', "'", ',', '.', ...'abcdefghijklmnopqrstuvwxyz', ...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'];

function form(fields: Record<string, string>, reference?: Uint8Array): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  if (reference) fd.append('reference_audio', new Blob([new Uint8Array(reference)]), 'ref.wav');
  return fd;
}

/** The middle sample of a 16 kHz mono WAV answer (the tiny model's output is constant; the resampler rings at the ends). */
function middle(bytes: Uint8Array): { value: number; samples: number } {
  const pcm = new Int16Array(bytes.slice(44).buffer);
  return { value: pcm[Math.floor(pcm.length / 2)]!, samples: pcm.length };
}

describe('voice cloning with F5-TTS installed (tiny graphs)', () => {
  let app: App;
  let reference: Clip;
  let quieter: Uint8Array;
  before(async () => {
    app = await startTestApp();
    reference = await speak(app.url, 'flite-slt', REF_TEXT);
    quieter = wavOf(Int16Array.from(reference.pcm16k, (x) => Math.round(x / 4)), 16_000);
    reference = { ...reference, wav: wavOf(reference.pcm16k, 16_000) };
  });
  after(() => app.close());

  const clone = (fields: Record<string, string>, ref?: Uint8Array): Promise<Response> => fetch(`${app.url}/v1/tts/clone/`, { method: 'POST', body: form(fields, ref) });

  it('before the install: model=f5-tts is a 424 naming the install, without model the fallback runs', async () => {
    const res = await clone({ text: 'Hello there.', model: 'f5-tts', format: 'wav' }, reference.wav);
    assert.equal(res.status, 424);
    const err = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(err.error.code, 'model_not_installed');
    assert.match(err.error.message, /llais models pull f5-tts/);
    const fallback = await clone({ text: 'Hello there.', format: 'wav' }, reference.wav);
    assert.equal(fallback.status, 200, await fallback.clone().text());
    assert.equal(fallback.headers.get('x-llais-cloner'), 'base-voice+conversion');
  });

  it('once installed: the model runs, with the reference audio and the text reaching it', async () => {
    const dir = join(app.config.modelsDir, 'f5-tts');
    await mkdir(dir, { recursive: true });
    const tiny = tinyF5Models();
    await writeFile(join(dir, F5_FILES.preprocess), tiny.preprocess);
    await writeFile(join(dir, F5_FILES.transformer), tiny.transformer);
    await writeFile(join(dir, F5_FILES.decode), tiny.decode);
    await writeFile(join(dir, F5_FILES.vocab), `${VOCAB.join('\n')}\n`);
    const run = async (text: string, ref: Uint8Array): Promise<{ value: number; samples: number }> => {
      const res = await clone({ text, reference_text: REF_TEXT, format: 'wav' }, ref);
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(res.headers.get('x-llais-cloner'), 'f5-tts');
      assert.equal(res.headers.get('x-llais-synthetic'), 'true');
      const uuid = res.headers.get('x-job-uuid')!;
      const srt = await fetch(`${app.url}/v1/speech/subtitles/?uuid=${uuid}`);
      assert.equal(srt.status, 200, await srt.clone().text());
      assert.match(await srt.text(), /-->/);
      return middle(new Uint8Array(await res.arrayBuffer()));
    };
    const a = await run('glue the sheet', reference.wav);
    const b = await run('glue the sheet', quieter);
    const c = await run('GLUE THE SHEET', reference.wav);
    const d = await run('glue the sheet to the dark blue background', reference.wav);
    console.log(`f5-tts (tiny): value ${a.value} (quieter reference ${b.value}, other text ${c.value}); ${a.samples} samples, longer text ${d.samples}`);
    assert.ok(a.value > b.value, 'the reference audio reaches the model');
    assert.ok(Math.abs(a.value - c.value) > 100, 'the text reaches the model (upper-case letters have higher ids)');
    assert.ok(d.samples > a.samples * 1.5, 'the frame budget grows with the text');
  });

  it('transcribes the reference when reference_text is absent; bad uploads still get their 4xx', async () => {
    const res = await clone({ text: 'glue the sheet', format: 'wav' }, reference.wav);
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('x-llais-cloner'), 'f5-tts');
    const short = wavOf(reference.pcm16k.subarray(0, 8000), 16_000);
    const tooShort = await clone({ text: 'glue the sheet', reference_text: 'the' }, short);
    assert.ok(tooShort.status >= 400 && tooShort.status < 500, `short reference: ${tooShort.status}`);
    const garbage = await clone({ text: 'glue the sheet' }, new TextEncoder().encode('not audio at all'));
    assert.ok(garbage.status >= 400 && garbage.status < 500, `garbage reference: ${garbage.status}`);
    const noText = await clone({}, reference.wav);
    assert.equal(noText.status, 400);
  });
});
