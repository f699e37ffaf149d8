/**
 * Spleeter 4/5-stem separation (src/engines/separation/spleeter-onnx.ts, chunked-stft.ts) with tiny
 * generated per-stem models of sherpa-onnx's export signature (test/helpers/spleeter-model.ts: four
 * stems keep their own band of bins, 'other' half of every bin): the ratio-mask stems add back to
 * the mix across a 512-frame chunk boundary and fed in odd-sized blocks; the stem keeping the low
 * bins holds 0.8 × the low tone of a two-tone mix and none of the high one (0.8 = 1 / (1 + 0.5²),
 * the squared ratio mask), 'other' 0.2 × both; and over HTTP, 5 stems named as Spleeter names them, 424 with
 * the pull command when the files are missing, 400 for a stem count Spleeter lacks.
 */
import assert from 'node:assert/strict';
import { mkdir, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { App } from '../src/app.js';
import { spleeterStage } from '../src/engines/separation/spleeter-onnx.js';
import { SPLEETER_5_STEMS } from '../src/engines/separation/spleeter-catalogue.js';
import { startTestApp, tempDir } from './helpers/app.js';
import { tinySpleeterStemModel } from './helpers/spleeter-model.js';
import { toolForm, toolWav } from './helpers/tool-wav.js';

const RATE = 44_100;
/** Bin 28 of 4096: in vocals' band (bins 0-255); 5 kHz is bin 464, in drums' (256-511). */
const LOW_HZ = 300;
const HIGH_HZ = 5000;

function tone(hz: number, amp: number, frames: number): Float32Array {
  // Faded in and out over 2048 samples, so the mix has nothing above bin 1024 (which Spleeter drops).
  const fade = 2048;
  return Float32Array.from({ length: frames }, (_, i) => {
    const edge = Math.min(1, i / fade, (frames - 1 - i) / fade);
    return amp * Math.sin(0.5 * Math.PI * edge) ** 2 * Math.sin((2 * Math.PI * hz * i) / RATE);
  });
}

function twoTones(seconds: number): { low: Float32Array[]; high: Float32Array[]; mix: Float32Array[] } {
  const n = Math.round(seconds * RATE);
  const low = [tone(LOW_HZ, 0.3, n), tone(LOW_HZ, 0.15, n)];
  const high = [tone(HIGH_HZ, 0.2, n), tone(HIGH_HZ, 0.25, n)];
  return { low, high, mix: low.map((l, c) => l.map((v, i) => v + high[c]![i]!)) };
}

function rmsDiff(a: Float32Array, b: Float32Array, from = 0, to = a.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s / (to - from));
}

async function installSpleeter(modelsDir: string, stems: 4 | 5): Promise<string[]> {
  const dir = join(modelsDir, `spleeter-${stems}stems`);
  await mkdir(dir, { recursive: true });
  const names = stems === 5 ? SPLEETER_5_STEMS : ['vocals', 'drums', 'bass', 'other'];
  return Promise.all(names.map(async (s, k) => {
    const path = join(dir, `${s}.onnx`);
    await writeFile(path, tinySpleeterStemModel(k, stems));
    return path;
  }));
}

describe('Spleeter stage (in process)', () => {
  it('5 stems add back to the mix across a chunk boundary; the low-band stem holds 0.8 × the low tone only', async (t) => {
    const paths = await installSpleeter(await tempDir(), 5);
    const stage = await spleeterStage({ model: { id: 'spleeter-5stems', stems: SPLEETER_5_STEMS, paths }, channels: 2 });
    // 12.5 s: 539 frames, so a second 512-frame chunk and the padded tail both run.
    const { low, high, mix } = twoTones(12.5);
    const n = mix[0]!.length;
    const outs: Float32Array[][] = [];
    for (let at = 0; at < n; at += 100_003) outs.push(await stage.push(mix.map((ch) => ch.subarray(at, Math.min(n, at + 100_003)))));
    outs.push(await stage.flush());
    const channels = Array.from({ length: 10 }, (_, k) => {
      const out = new Float32Array(outs.reduce((s, o) => s + o[k]!.length, 0));
      let at = 0;
      for (const o of outs) {
        out.set(o[k]!, at);
        at += o[k]!.length;
      }
      return out;
    });
    assert.equal(channels[0]!.length, n, 'each stem is as long as the input');
    for (const c of [0, 1]) {
      const sum = new Float32Array(n);
      for (let s = 0; s < 5; s++) channels[2 * s + c]!.forEach((v, i) => (sum[i] += v));
      let worst = 0;
      for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(sum[i]! - mix[c]![i]!));
      t.diagnostic(`channel ${c}: worst |Σ stems − mix| ${worst.toExponential(2)}`);
      assert.ok(worst < 1e-5, `channel ${c}: the stems add back to the mix (worst ${worst})`);
      const scaled = (x: Float32Array, k: number): Float32Array => x.map((v) => k * v);
      // The tones are 0.15-0.3 peak: the other tone, or a magnitude ratio mask (2/3), would leave ~0.02-0.18 RMS.
      const vocalsErr = rmsDiff(channels[c]!, scaled(low[c]!, 0.8));
      const drumsErr = rmsDiff(channels[2 + c]!, scaled(high[c]!, 0.8));
      const otherErr = rmsDiff(channels[8 + c]!, scaled(mix[c]!, 0.2));
      t.diagnostic(`channel ${c}: RMS error vocals ${vocalsErr.toExponential(2)}, drums ${drumsErr.toExponential(2)}, other ${otherErr.toExponential(2)}`);
      assert.ok(vocalsErr < 1e-5, `channel ${c}: vocals (bins 0-255) is 0.8 × the ${LOW_HZ} Hz tone alone (RMS error ${vocalsErr})`);
      assert.ok(drumsErr < 1e-5, `channel ${c}: drums (bins 256-511) is 0.8 × the ${HIGH_HZ} Hz tone alone (RMS error ${drumsErr})`);
      assert.ok(otherErr < 1e-5, `channel ${c}: other is 0.2 × the mix (RMS error ${otherErr})`);
      for (const s of [2, 3]) assert.ok(rmsDiff(channels[2 * s + c]!, new Float32Array(n)) < 1e-5, `${SPLEETER_5_STEMS[s]} is silent`);
    }
  });

  it('a set cancel flag stops it before the next chunk', async () => {
    const paths = await installSpleeter(await tempDir(), 4);
    const cancelFlag = new Int32Array(new SharedArrayBuffer(4));
    const stage = await spleeterStage({ model: { id: 'spleeter-4stems', stems: ['vocals', 'drums', 'bass', 'other'], paths }, channels: 1, cancelFlag });
    const { mix } = twoTones(0.5);
    const out = await stage.push([mix[0]!]);
    assert.equal(out.length, 4, 'mono in: one channel per stem');
    Atomics.store(cancelFlag, 0, 1);
    await assert.rejects(stage.flush(), { name: 'AbortError' });
  });
});

describe('POST /v1/audio/separate/ with model=spleeter', () => {
  let app: App;
  before(async () => {
    app = await startTestApp({ poolWorkers: 1 });
    await installSpleeter(app.config.modelsDir, 5);
  });
  after(async () => {
    await app?.close();
  });
  const post = (mix: Float32Array[], fields: Record<string, string>): Promise<Response> =>
    fetch(`${app.url}/v1/audio/separate/`, { method: 'POST', body: toolForm(toolWav(mix, RATE), fields), headers: { accept: 'application/json' } });

  it('5 stems as JSON: vocals, drums, bass, piano, other; vocals holds 0.8 × the low tone', async () => {
    const { mix, low } = twoTones(1);
    const res = await post(mix, { stems: '5', model: 'spleeter' });
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as { stems: Record<string, string> };
    assert.deepEqual(Object.keys(body.stems), ['vocals', 'drums', 'bass', 'piano', 'other']);
    const wav = new Uint8Array(await (await fetch(body.stems.vocals!)).arrayBuffer());
    const v = new DataView(wav.buffer, wav.byteOffset);
    assert.equal(v.getUint16(22, true), 2);
    const frames = Math.floor(v.getUint32(40, true) / 4);
    assert.equal(frames, low[0]!.length);
    const left = Float32Array.from({ length: frames }, (_, i) => v.getInt16(44 + i * 4, true) / 32768);
    // The stem is encoded with a peak guard only (no loudness change at these levels).
    const expected = low[0]!.map((x) => 0.8 * x);
    assert.ok(rmsDiff(left, expected) < 1e-4, `vocals is 0.8 × the low tone (RMS error ${rmsDiff(left, expected)})`);
  });

  it('4 stems without the files: 424 naming the pull command; 6 stems: 400', async () => {
    const { mix } = twoTones(0.2);
    const missing = await post(mix, { stems: '4', model: 'spleeter' });
    assert.equal(missing.status, 424);
    const body = (await missing.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'model_not_installed');
    assert.match(body.error.message, /llais models pull spleeter-4stems/);
    const six = await post(mix, { stems: '6', model: 'spleeter' });
    assert.equal(six.status, 400);
  });

  it('a cut-short stem file is a 424 naming the reinstall, not a 500', async () => {
    const path = join(app.config.modelsDir, 'spleeter-5stems', 'piano.onnx');
    await truncate(path, (await stat(path)).size - 2000);
    const res = await post(twoTones(0.2).mix, { stems: '5', model: 'spleeter' });
    assert.equal(res.status, 424);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /piano\.onnx is damaged.*llais models pull spleeter-5stems`/);
  });
});
