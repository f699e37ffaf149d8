/**
 * TD-PSOLA (src/voice/psola.ts) on signals whose answer is known: a 120 Hz pulse train raised by
 * 1.5 and lowered by 0.75 comes out at 180 and 90 Hz with its length kept; the same ratio leaves
 * unvoiced noise as it was (put back unshifted); speed 2 halves the length.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameSpectrum } from '../src/voice/frame-spectrum.js';
import { pitchMarks, psola } from '../src/voice/psola.js';

const RATE = 16_000;

/** A decaying 1.2 kHz resonance excited every period: a crude vowel at `f0`. */
function vowel(f0: number, seconds: number): Float32Array {
  const x = new Float32Array(Math.round(seconds * RATE));
  const period = RATE / f0;
  for (let p = 0; p < x.length; p += period) {
    for (let n = 0; n < 200 && Math.floor(p) + n < x.length; n++) x[Math.floor(p) + n] += 8000 * Math.exp(-n / 40) * Math.sin((2 * Math.PI * 1200 * n) / RATE);
  }
  return x;
}

function medianF0(x: Float32Array): number {
  const spectrum = new FrameSpectrum();
  const f0s: number[] = [];
  for (let s = 0; s + 640 <= x.length; s += 160) {
    const f = spectrum.analyze(x, s).f0;
    if (f > 0) f0s.push(f);
  }
  f0s.sort((a, b) => a - b);
  return f0s[Math.floor(f0s.length / 2)] ?? 0;
}

describe('TD-PSOLA', () => {
  it('moves the pitch of a voiced signal by the ratio and keeps its length', () => {
    const x = vowel(120, 1);
    const marks = pitchMarks(x, () => RATE / 120);
    for (const [ratio, want] of [[1.5, 180], [0.75, 90]] as const) {
      const y = psola(x, marks, () => ratio);
      assert.equal(y.length, x.length);
      const f0 = medianF0(y);
      assert.ok(Math.abs(f0 / want - 1) < 0.03, `ratio ${ratio}: ${f0} Hz, want ${want}`);
    }
  });

  it('puts unvoiced stretches back unshifted, and speed 2 halves the length', () => {
    let seed = 7;
    const noise = Float32Array.from({ length: RATE }, () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return (seed / 2 ** 31 - 0.5) * 4000;
    });
    const marks = pitchMarks(noise, () => 0);
    const y = psola(noise, marks, () => 1.5);
    let err = 0;
    let energy = 0;
    for (let i = 320; i < noise.length - 320; i++) {
      err += (y[i]! - noise[i]!) ** 2;
      energy += noise[i]! ** 2;
    }
    assert.ok(err / energy < 1e-6, `unvoiced changed: relative error ${err / energy}`);
    assert.equal(psola(noise, marks, () => 1, 2).length, RATE / 2);
  });
});
