/**
 * OpenVoice v2's tone-colour converter behind `/v1/voice-convert/` (model=openvoice, the
 * default): the linear spectrogram is OpenVoice's (checked on a sine: frame count, peak bin and
 * magnitude), the 16 <-> 22.05 kHz resampling keeps a tone, and with tiny ONNX models in the two-file export layout installed, a recording is
 * converted toward two stored voices: `X-Llais-Converter` names it, the length is kept, and the
 * target's tone-colour embedding, extracted from the voice's kept audio, decides the result (the
 * tiny converter scales loudness by mean(target se) / mean(source se), measured on the output).
 * A pitch shift keeps the embedded converter; a corrupt converter file is 424.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { App } from '../src/app.js';
import { linearSpectrogram, OPENVOICE_BINS, spectrogramFrames } from '../src/engines/voice/linear-spectrogram.js';
import { openVoiceEmbedding } from '../src/engines/voice/openvoice.js';
import { resampleSinc } from '../src/engines/voice/sinc-resample.js';
import { startTestApp } from './helpers/app.js';
import { tinyOpenVoiceModels } from './helpers/speaker-model.js';
import { speak, type Clip } from './helpers/voices.js';

const TEXT = 'The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background.';

function form(file: Uint8Array, fields: Record<string, string>): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  fd.append('file', new Blob([new Uint8Array(file)]), 'speech.wav');
  return fd;
}

function wavPcm(bytes: Uint8Array): Int16Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return new Int16Array(bytes.slice(44, 44 + view.getUint32(40, true)).buffer);
}

const rms = (pcm: Int16Array): number => Math.sqrt(pcm.reduce((a, x) => a + x * x, 0) / pcm.length);
const mean = (v: Float32Array): number => v.reduce((a, x) => a + x, 0) / v.length;

describe('OpenVoice tone-colour converter', () => {
  it("computes OpenVoice's linear spectrogram (22.05 kHz, n_fft 1024, hop 256, Hann, reflect-padded)", () => {
    const rate = 22_050;
    const bin = 93; // 93 × 22050 / 1024 ≈ 2002.6 Hz, exactly on a bin
    const wave = Float32Array.from({ length: rate }, (_, n) => 0.5 * Math.sin((2 * Math.PI * bin * rate) / 1024 / rate * n));
    const { data, frames } = linearSpectrogram(wave);
    assert.equal(frames, spectrogramFrames(rate));
    assert.equal(frames, 1 + Math.floor((rate + 768 - 1024) / 256));
    assert.equal(data.length, OPENVOICE_BINS * frames);
    const t = Math.floor(frames / 2);
    const column = Array.from({ length: OPENVOICE_BINS }, (_, b) => data[b * frames + t]!);
    assert.equal(column.indexOf(Math.max(...column)), bin);
    // A periodic Hann window sums to 512: a sine of amplitude A peaks at A·512/2.
    assert.ok(Math.abs(column[bin]! - 0.5 * 256) < 1, `peak ${column[bin]}`);
  });

  it('resamples 16 kHz to 22.05 kHz and back keeping a tone (frequency, level, length)', () => {
    const tone = Float32Array.from({ length: 16_000 }, (_, n) => 0.5 * Math.sin((2 * Math.PI * 1000 * n) / 16_000));
    const up = resampleSinc(tone, 16_000, 22_050);
    assert.equal(up.length, 22_050);
    // Away from the edges, the resampled tone is the same sine at the new rate.
    let worst = 0;
    for (let n = 1000; n < 21_000; n++) worst = Math.max(worst, Math.abs(up[n]! - 0.5 * Math.sin((2 * Math.PI * 1000 * n) / 22_050)));
    assert.ok(worst < 0.005, `largest error ${worst}`);
    const back = resampleSinc(up, 22_050, 16_000);
    assert.equal(back.length, 16_000);
    for (let n = 1000; n < 15_000; n += 97) assert.ok(Math.abs(back[n]! - tone[n]!) < 0.005, `sample ${n}: ${back[n]} vs ${tone[n]}`);
  });

  describe('through the server', () => {
    let app: App;
    let male: Clip;
    const targets: Array<{ clip: Clip; id: string }> = [];
    const dir = (): string => join(app.config.modelsDir, 'openvoice-v2');
    before(async () => {
      app = await startTestApp();
      male = await speak(app.url, 'flite-rms', TEXT);
      await mkdir(dir(), { recursive: true });
      const tiny = tinyOpenVoiceModels();
      await writeFile(join(dir(), 'tone_color_extractor.onnx'), tiny.extractor);
      await writeFile(join(dir(), 'tone_color_converter.onnx'), tiny.converter);
      for (const voice of ['flite-slt', 'flite-awb']) {
        const clip = await speak(app.url, voice, TEXT);
        const res = await fetch(`${app.url}/v1/voice-embed/`, { method: 'POST', body: form(clip.wav, {}) });
        assert.equal(res.status, 200, await res.clone().text());
        targets.push({ clip, id: ((await res.json()) as { embed_id: string }).embed_id });
      }
    });
    after(() => app.close());

    it("converts toward a stored voice's tone colour (model=openvoice by default)", async () => {
      const outs: Int16Array[] = [];
      for (const target of targets) {
        const res = await fetch(`${app.url}/v1/voice-convert/`, { method: 'POST', body: form(male.wav, { target_voice: target.id }) });
        assert.equal(res.status, 200, await res.clone().text());
        assert.equal(res.headers.get('x-llais-converter'), 'openvoice-v2');
        assert.equal(res.headers.get('x-llais-model'), 'openvoice');
        const out = wavPcm(new Uint8Array(await res.arrayBuffer()));
        // One hop at 22.05 kHz is 186 samples at 16 kHz; the resamplers add their rounding.
        assert.ok(Math.abs(out.length - male.pcm16k.length) < 400, `${out.length} samples from ${male.pcm16k.length}`);
        outs.push(out);
      }
      const extractor = join(dir(), 'tone_color_extractor.onnx');
      const se = await Promise.all(targets.map((t) => openVoiceEmbedding(extractor, t.clip.pcm16k, 16_000)));
      const expected = mean(se[0]!) / mean(se[1]!);
      const measured = rms(outs[0]!) / rms(outs[1]!);
      console.log(`tiny OpenVoice: output loudness ratio ${measured.toFixed(4)} toward the two voices, their se ratio ${expected.toFixed(4)}`);
      assert.ok(Math.abs(expected - 1) > 0.01, 'the two voices should have different tone-colour embeddings');
      assert.ok(Math.abs(measured / expected - 1) < 0.03, `measured ${measured}, expected ${expected}`);
    });

    it('keeps the embedded converter for a pitch shift; a corrupt converter file is 424', async () => {
      const shifted = await fetch(`${app.url}/v1/voice-convert/`, { method: 'POST', body: form(male.wav, { target_voice: targets[0]!.id, pitch_shift: '2' }) });
      assert.equal(shifted.status, 200);
      assert.equal(shifted.headers.get('x-llais-converter'), 'llais-dsp-v1');
      await writeFile(join(dir(), 'tone_color_converter.onnx'), new Uint8Array([9, 9, 9, 9]));
      const res = await fetch(`${app.url}/v1/voice-convert/`, { method: 'POST', body: form(male.wav, { target_voice: targets[0]!.id }) });
      assert.equal(res.status, 424, await res.clone().text());
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'engine_not_available');
    });
  });
});
