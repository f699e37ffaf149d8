import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';

import { StreamResampler } from '../src/audio/resample.js';
import { concatPcm } from '../src/audio/pcm.js';
import { measureQuality, resampleChunked } from '../bench/lib/resample-quality.js';
import { sourceModuleUrl } from './helpers/repo.js';

function sine(frequencyHz: number, sampleRateHz: number, seconds: number, amplitude = 10_000): Int16Array {
  const pcm = new Int16Array(Math.round(sampleRateHz * seconds));
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(amplitude * Math.sin((2 * Math.PI * frequencyHz * i) / sampleRateHz));
  return pcm;
}

function oneShot(fromHz: number, toHz: number, pcm: Int16Array): Int16Array {
  const resampler = new StreamResampler(fromHz, toHz);
  return concatPcm([resampler.process(pcm), resampler.flush()]);
}

/** Feeds `pcm` in pseudo-random chunk sizes from 0 to 2000 samples (seeded, so failures repeat). */
function chunkedRun(fromHz: number, toHz: number, pcm: Int16Array, seed: number): Int16Array {
  return resampleChunked((a, b) => new StreamResampler(a, b), fromHz, toHz, pcm, seed);
}

/** Upward zero crossings per second over the middle of the signal (away from the filter's edges). */
function frequencyOf(pcm: Int16Array, sampleRateHz: number): number {
  const start = Math.floor(pcm.length * 0.1);
  const end = Math.floor(pcm.length * 0.9);
  let crossings = 0;
  for (let i = start + 1; i < end; i++) if (pcm[i - 1]! < 0 && pcm[i]! >= 0) crossings++;
  return crossings / ((end - start) / sampleRateHz);
}

function rmsOfMiddle(pcm: Int16Array): number {
  const middle = pcm.subarray(Math.floor(pcm.length * 0.1), Math.floor(pcm.length * 0.9));
  let sum = 0;
  for (const s of middle) sum += s * s;
  return Math.sqrt(sum / middle.length);
}

describe('StreamResampler', () => {
  for (const fromHz of [22_050, 16_000, 48_000, 44_100]) {
    const toHz = 24_000;
    const input = sine(1000, fromHz, 1.5);
    const expected = oneShot(fromHz, toHz, input);

    it(`${fromHz} -> ${toHz}: any chunking gives exactly the one-shot output`, () => {
      for (const seed of [1, 2, 3]) assert.deepEqual(chunkedRun(fromHz, toHz, input, seed), expected, `seed ${seed}`);
    });

    it(`${fromHz} -> ${toHz}: length is ceil(n * to / from), the 1 kHz tone keeps its pitch and level`, () => {
      assert.equal(expected.length, Math.ceil((input.length * toHz) / fromHz));
      assert.ok(Math.abs(frequencyOf(expected, toHz) - 1000) < 2, `${frequencyOf(expected, toHz)} Hz`);
      const gainDb = 20 * Math.log10(rmsOfMiddle(expected) / rmsOfMiddle(input));
      assert.ok(Math.abs(gainDb) < 0.1, `gain ${gainDb.toFixed(3)} dB`);
    });

    it(`${fromHz} -> ${toHz}: output is the ideal sine to within -60 dB (no imaging or aliasing)`, () => {
      // The output is centred on the input: sample n is the input's value at n * from / to.
      const ideal = sine(1000, toHz, expected.length / toHz);
      let error = 0;
      let signal = 0;
      for (let i = Math.floor(expected.length * 0.1); i < expected.length * 0.9; i++) {
        error += (expected[i]! - ideal[i]!) ** 2;
        signal += ideal[i]! ** 2;
      }
      const snrDb = 10 * Math.log10(signal / error);
      assert.ok(snrDb > 60, `SNR ${snrDb.toFixed(1)} dB`);
    });
  }

  it('attenuates a tone above the output Nyquist when downsampling (48 kHz -> 24 kHz, 15 kHz tone)', () => {
    const out = oneShot(48_000, 24_000, sine(15_000, 48_000, 1));
    assert.ok(rmsOfMiddle(out) < 10_000 * 0.001, `alias RMS ${rmsOfMiddle(out).toFixed(1)}`);
  });

  it('an odd ratio (24001 -> 24000) still keeps pitch and level', () => {
    const out = oneShot(24_001, 24_000, sine(1000, 24_001, 1));
    assert.ok(Math.abs(frequencyOf(out, 24_000) - 1000) < 2);
    assert.ok(Math.abs(rmsOfMiddle(out) / (10_000 / Math.SQRT2) - 1) < 0.01);
  });

  it('equal rates pass samples through unchanged', () => {
    const input = sine(440, 24_000, 0.1);
    const resampler = new StreamResampler(24_000, 24_000);
    assert.deepEqual(concatPcm([resampler.process(input), resampler.flush()]), input);
  });

  it('after flush() the same resampler serves a new stream identically', () => {
    const input = sine(1000, 16_000, 0.3);
    const resampler = new StreamResampler(16_000, 24_000);
    const first = concatPcm([resampler.process(input), resampler.flush()]);
    const second = concatPcm([resampler.process(input), resampler.flush()]);
    assert.deepEqual(second, first);
  });

  it('clips instead of wrapping around at full scale', () => {
    const square = new Int16Array(4800).map((_, i) => (Math.floor(i / 40) % 2 ? 32_767 : -32_768));
    const out = oneShot(16_000, 24_000, square);
    const max = Math.max(...out);
    const min = Math.min(...out);
    assert.equal(max, 32_767, 'Gibbs overshoot is clipped at the top');
    assert.equal(min, -32_768);
  });

  it('large ratios and long chunks (more output than one call fits in the buffer) still match one-shot and length', () => {
    for (const [fromHz, toHz] of [
      [8_000, 48_000],
      [48_000, 8_000],
    ] as const) {
      const input = sine(440, fromHz, 3);
      const whole = oneShot(fromHz, toHz, input);
      assert.equal(whole.length, Math.ceil((input.length * toHz) / fromHz));
      assert.deepEqual(chunkedRun(fromHz, toHz, input, 5), whole, `${fromHz} -> ${toHz}`);
      assert.ok(Math.abs(frequencyOf(whole, toHz) - 440) < 2);
    }
  });

  it('rejects rates that are not positive integers', () => {
    assert.throws(() => new StreamResampler(0, 24_000), RangeError);
    assert.throws(() => new StreamResampler(22_050.5, 24_000), RangeError);
  });
});

describe('StreamResampler quality (bench/lib/resample-quality.ts, against analytic signals)', () => {
  for (const [fromHz, toHz] of [
    [16_000, 24_000],
    [22_050, 24_000],
    [24_000, 16_000],
  ] as const) {
    it(`${fromHz} -> ${toHz}: flat to 0.9 Nyquist, sweep and 1 kHz sine clean, no aliasing, chunking-invariant`, () => {
      const q = measureQuality((a, b) => new StreamResampler(a, b), fromHz, toHz);
      assert.ok(q.rippleDb <= 0.1, `passband ripple ${q.rippleDb.toFixed(3)} dB`);
      // The sweep's error covers images (upsampling) and phase as well as gain.
      assert.ok(q.sweepErrorDb <= -60, `sweep error ${q.sweepErrorDb.toFixed(1)} dB`);
      if (toHz < fromHz) assert.ok(q.aliasingDb <= -60, `aliasing ${q.aliasingDb.toFixed(1)} dB`);
      assert.ok(q.sine1kSnrDb >= 80, `1 kHz SNR ${q.sine1kSnrDb.toFixed(1)} dB`);
      assert.ok(q.chunkedEqualsOneShot, 'chunked output differs from one-shot');
      assert.equal(q.lengthError, 0);
    });
  }
});

describe('StreamResampler in a worker thread', () => {
  it('loads its WebAssembly there and gives the main thread\'s output', async () => {
    const input = sine(1000, 16_000, 0.5);
    const expected = oneShot(16_000, 24_000, input);
    // An eval'd worker is CommonJS and does not inherit tsx's loader hooks: it registers them first.
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      import(workerData.tsx)
        .then((tsx) => { tsx.register(); return import(workerData.url); })
        .then(({ StreamResampler }) => {
        const r = new StreamResampler(16000, 24000);
        const a = r.process(workerData.input);
        const b = r.flush();
        parentPort.postMessage([...a, ...b]);
      });`;
    const url = sourceModuleUrl('audio/resample.ts');
    const tsx = import.meta.resolve('tsx/esm/api');
    const worker = new Worker(code, { eval: true, workerData: { tsx, url, input } });
    try {
      const [samples] = (await new Promise((resolve, reject) => {
        worker.once('message', (m) => resolve([m]));
        worker.once('error', reject);
      })) as [number[]];
      assert.deepEqual(Int16Array.from(samples), expected);
    } finally {
      await worker.terminate();
    }
  });
});
