/**
 * The audio tools' DSP without a server, on signals the test made: the block STFT gives its input
 * back exactly and holds bounded memory over 10 minutes of stereo; BS.1770 loudness of a reference
 * tone; enhance's strengths and band extension measurably differ; dereverberation shortens the
 * decay after syllables while leaving a dry voice nearly alone; a discrete echo is found and
 * cancelled; separation's stems resemble their sources more than the mix does (SDR gains printed).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { RadixTwoFft } from '../src/audio/fft.js';
import { dereverbStage } from '../src/audio/dereverb/dereverb-chain.js';
import { detectEcho } from '../src/audio/dereverb/echo.js';
import { LoudnessMeter } from '../src/audio/dsp/loudness.js';
import { concatPlanar, type BlockStage } from '../src/audio/dsp/stage.js';
import { copySpectrum, StftBlockProcessor } from '../src/audio/dsp/stft-block.js';
import { enhanceStage } from '../src/audio/enhance/enhance-chain.js';
import { loadRnnoise } from '../src/audio/enhance/rnnoise.js';
import { twoStemStage } from '../src/audio/separate/separate-chain.js';
import { convolve, db, energy, pluckedLoop, random, roomResponse, sdr, speechLike } from './helpers/tool-signals.js';

/** Runs `stage` over planar `input` in blocks of `block` samples, as the worker does. */
function runStage(stage: BlockStage, input: Float32Array[], block = 4800): Float32Array[] {
  const parts: Float32Array[][] = [];
  for (let at = 0; at < input[0]!.length; at += block) parts.push(stage.push(input.map((ch) => ch.subarray(at, at + block))));
  parts.push(stage.flush());
  return concatPlanar(parts);
}

function mix(...xs: Float32Array[]): Float32Array {
  const out = new Float32Array(xs[0]!.length);
  for (const x of xs) for (let i = 0; i < out.length; i++) out[i] = out[i]! + x[i]!;
  return out;
}

function scaled(x: Float32Array, g: number): Float32Array {
  return x.map((v) => v * g);
}

function noise(length: number, level: number, seed: number): Float32Array {
  const rnd = random(seed);
  return Float32Array.from({ length }, () => (rnd() * 2 - 1) * level);
}

describe('block STFT', () => {
  it('gives the input back sample for sample, as long as it was, whatever the block sizes', () => {
    const p = new StftBlockProcessor({ fftSize: 1024, inChannels: 2, outChannels: 2 }, (i, o) => {
      copySpectrum(i[0]!, o[0]!, 513);
      copySpectrum(i[1]!, o[1]!, 513);
    });
    const a = noise(10_007, 0.5, 1);
    const b = noise(10_007, 0.5, 2);
    const parts: Float32Array[][] = [];
    let at = 0;
    for (const len of [1, 300, 5000, 77, 4629]) {
      parts.push(p.push([a.subarray(at, at + len), b.subarray(at, at + len)]));
      at += len;
    }
    parts.push(p.flush());
    const [oa, ob] = concatPlanar(parts);
    assert.equal(oa!.length, a.length);
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(oa![i]! - a[i]!) < 1e-5 && Math.abs(ob![i]! - b[i]!) < 1e-5, `sample ${i}`);
  });

  it('keeps memory bounded over 10 minutes of stereo, streamed through in 1 s blocks', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const rate = 4000;
    const p = new StftBlockProcessor({ fftSize: 256, inChannels: 2, outChannels: 2 }, (i, o) => {
      copySpectrum(i[0]!, o[0]!, 129);
      copySpectrum(i[1]!, o[1]!, 129);
    });
    const block = [new Float32Array(rate), new Float32Array(rate)];
    const rnd = random(3);
    let sumIn = 0;
    let sumOut = 0;
    const used = (): number => {
      gc();
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const before = used();
    let peak = 0;
    for (let s = 0; s < 600; s++) {
      for (const ch of block) for (let i = 0; i < rate; i++) sumIn += ch[i] = rnd() - 0.5;
      for (const ch of p.push(block)) for (const v of ch) sumOut += v;
      if (s % 200 === 199) peak = Math.max(peak, used() - before);
    }
    for (const ch of p.flush()) for (const v of ch) sumOut += v;
    // The whole signal would be 19 MB as float32; the processor holds a few frames.
    assert.ok(peak < 2 << 20, `memory grew by ${(peak / 1048576).toFixed(1)} MB`);
    assert.ok(Math.abs(sumIn - sumOut) < 1e-2, `${sumIn} vs ${sumOut}`);
  });
});

describe('loudness (ITU-R BS.1770, EBU R128 gating)', () => {
  it('measures a 997 Hz stereo tone at -23 dBFS as -23 LUFS, and gates silence out', () => {
    const rate = 48_000;
    const amp = 10 ** (-23 / 20);
    const tone = Float32Array.from({ length: rate * 5 }, (_, i) => amp * Math.sin((2 * Math.PI * 997 * i) / rate));
    const m = new LoudnessMeter(rate, 2);
    m.push([tone, tone]);
    assert.ok(Math.abs(m.integrated() + 23) < 0.1, `${m.integrated()}`);
    const silence = new Float32Array(rate * 10);
    m.push([silence, silence]);
    // Only the blocks straddling the tone's end (partly silent, above the relative gate) count.
    assert.ok(Math.abs(m.integrated() + 23) < 0.2, `gated: ${m.integrated()}`);
  });
});

describe('enhance', () => {
  it('strength changes the result: noise left by the denoiser, presence lift of the clarity EQ', async () => {
    const rnnoise = await loadRnnoise();
    const input = noise(48_000 * 2, 0.05, 4);
    const powers = ([1, 2, 3] as const).map((strength) => {
      const [out] = runStage(enhanceStage(rnnoise, 1, { denoise: true, clarity: false, superResolution: false, strength }), [input]);
      assert.equal(out!.length, input.length);
      return db(energy(out!, 48_000) / energy(input, 48_000));
    });
    console.log(`noise left by strength 1/2/3: ${powers.map((p) => p.toFixed(1)).join(' / ')} dB`);
    assert.ok(powers[0]! > powers[1]! + 6 && powers[1]! >= powers[2]! - 0.5, powers.join(', '));
    // The clarity chain on a quiet tone at 3.5 kHz (below the compressor's threshold): more lift each step.
    const tone = Float32Array.from({ length: 48_000 }, (_, i) => 0.01 * Math.sin((2 * Math.PI * 3500 * i) / 48_000));
    const lifts = ([1, 2, 3] as const).map((strength) => {
      const [out] = runStage(enhanceStage(rnnoise, 1, { denoise: false, clarity: true, superResolution: false, strength }), [tone]);
      return db(energy(out!, 24_000) / energy(tone, 24_000));
    });
    console.log(`presence lift by strength 1/2/3: ${lifts.map((p) => p.toFixed(1)).join(' / ')} dB`);
    assert.ok(lifts[1]! > lifts[0]! + 1 && lifts[2]! > lifts[1]! + 1, lifts.join(', '));
  });

  it('strength 3 raises the SNR of speech in babble (a second mix: other voices, other seeds) by 6 dB or more', async () => {
    const rnnoise = await loadRnnoise();
    const seconds = 6;
    const speech = speechLike(48_000, seconds, 7).signal;
    // Babble: twenty synthetic talkers, each from its own seed and start.
    const babble = new Float32Array(speech.length);
    for (let t = 0; t < 20; t++) {
      const talker = speechLike(48_000, seconds + 1, 100 + t).signal;
      const start = Math.floor(random(200 + t)() * 48_000);
      for (let i = 0; i < babble.length; i++) babble[i] = babble[i]! + talker[i + start]!;
    }
    const g = Math.sqrt(energy(speech) / energy(babble) / 10 ** (5 / 10));
    // Phase inversion (Hagerman & Olofsson 2004): what became of the speech and of the noise.
    const [a] = runStage(enhanceStage(rnnoise, 1, { denoise: true, clarity: false, superResolution: false, strength: 3 }), [mix(speech, scaled(babble, g))]);
    const [b] = runStage(enhanceStage(rnnoise, 1, { denoise: true, clarity: false, superResolution: false, strength: 3 }), [mix(speech, scaled(babble, -g))]);
    const speechOut = a!.map((v, i) => (v + b![i]!) / 2);
    const noiseOut = a!.map((v, i) => (v - b![i]!) / 2);
    const after = db(energy(speechOut) / energy(noiseOut));
    console.log(`enhance strength 3, synthetic babble: SNR 5.0 -> ${after.toFixed(1)} dB`);
    assert.ok(after >= 5 + 6, `SNR 5 -> ${after}`);
  });

  it('denoised speech stays aligned with its input, as long as it was, at every strength', async () => {
    const rnnoise = await loadRnnoise();
    const x = speechLike(48_000, 2, 2).signal;
    for (const strength of [1, 2, 3] as const) {
      const [y] = runStage(enhanceStage(rnnoise, 1, { denoise: true, clarity: false, superResolution: false, strength }), [x], 1000);
      assert.equal(y!.length, x.length);
      let best = Number.NEGATIVE_INFINITY;
      let lag = 0;
      for (let l = -1000; l <= 1000; l += 10) {
        let dot = 0;
        for (let i = 2000; i < x.length - 2000; i += 3) dot += x[i]! * y![i + l]!;
        if (dot > best) [best, lag] = [dot, l];
      }
      assert.equal(lag, 0, `strength ${strength}`);
    }
  });

  it('super_resolution fills the empty band above a low-passed signal, and leaves full-band audio alone', async () => {
    const rnnoise = await loadRnnoise();
    const rate = 48_000;
    // Harmonics up to 4 kHz only, like a voice through a narrow-band channel.
    const voice = speechLike(rate, 2, 5).signal;
    const [extended] = runStage(enhanceStage(rnnoise, 1, { denoise: false, clarity: false, superResolution: true, strength: 2 }), [voice]);
    const gain = db(energyAbove(extended!, rate, 6000) / energyAbove(voice, rate, 6000));
    console.log(`energy above 6 kHz: +${gain.toFixed(1)} dB with super_resolution`);
    assert.ok(gain > 20, `${gain}`);
    const full = noise(rate, 0.2, 6);
    const [same] = runStage(enhanceStage(rnnoise, 1, { denoise: false, clarity: false, superResolution: true, strength: 2 }), [full]);
    assert.ok(sdr(full, same!) > 40, `full band changed: ${sdr(full, same!)} dB`);
  });
});

/** Energy above `hz` (FFT of the whole signal: test-sized only). */
function energyAbove(x: Float32Array, rate: number, hz: number): number {
  let n = 1;
  while (n < x.length) n <<= 1;
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  re.set(x);
  new RadixTwoFft(n).transform(re, im);
  let e = 0;
  for (let k = Math.ceil((hz * n) / rate); k <= n / 2; k++) e += re[k]! ** 2 + im[k]! ** 2;
  return e;
}

describe('dereverb', () => {
  const rate = 48_000;
  const dry = speechLike(rate, 4, 8);
  /** Energy in the 20-140 ms after each syllable ends (pauses last ≥ 150 ms) against the syllables' own (dB): how long sound lingers. */
  const lingering = (x: Float32Array): number => {
    let tail = 0;
    let words = 0;
    dry.offsets.forEach((end, i) => {
      tail += energy(x, end + Math.round(0.02 * rate), Math.min(x.length, end + Math.round(0.14 * rate)));
      words += energy(x, dry.onsets[i]!, end);
    });
    return db(tail / words);
  };

  it('reverb: the decay after words drops, while a dry voice passes nearly unchanged', () => {
    const wet = convolve(dry.signal, roomResponse(rate, 0.7));
    const [out] = runStage(dereverbStage(1, { type: 'reverb', intensity: 3 }), [wet]);
    const before = lingering(wet);
    const after = lingering(out!);
    console.log(`tail after words: ${before.toFixed(1)} dB -> ${after.toFixed(1)} dB (dry voice: ${lingering(dry.signal).toFixed(1)} dB)`);
    assert.ok(after < before - 6, `${before} -> ${after}`);
    const [clean] = runStage(dereverbStage(1, { type: 'reverb', intensity: 3 }), [dry.signal]);
    const kept = sdr(dry.signal, clean!);
    console.log(`dry voice through dereverb: SDR ${kept.toFixed(1)} dB, level ${db(energy(clean!) / energy(dry.signal)).toFixed(1)} dB`);
    assert.ok(kept > 10, `${kept}`);
    assert.ok(db(energy(clean!) / energy(dry.signal)) > -3);
  });

  it('echo: finds a 150 ms echo of gain 0.5 and cancels it', () => {
    const d = Math.round(0.15 * rate);
    const delayed = new Float32Array(dry.signal.length);
    delayed.set(dry.signal.subarray(0, dry.signal.length - d), d);
    const echoed = mix(dry.signal, scaled(delayed, 0.5));
    const found = detectEcho(echoed, rate);
    assert.ok(found, 'an echo is detected');
    assert.ok(Math.abs(found.delaySamples - d) <= 2, `${found.delaySamples} vs ${d}`);
    assert.ok(Math.abs(found.gain - 0.5) < 0.1, `${found.gain}`);
    assert.equal(detectEcho(dry.signal, rate), undefined, 'no echo in the dry voice');
    const [out] = runStage(dereverbStage(1, { type: 'echo', intensity: 4 }), [echoed]);
    const before = sdr(dry.signal, echoed);
    const after = sdr(dry.signal, out!);
    console.log(`echo: SDR against the dry voice ${before.toFixed(1)} -> ${after.toFixed(1)} dB`);
    assert.ok(after > before + 10, `${before} -> ${after}`);
  });
});

describe('separate (2 stems, no model)', () => {
  const rate = 44_100;
  const voice = speechLike(rate, 4, 11).signal;
  const guitar = pluckedLoop(rate, 4, [196, 247, 294], 0.5, 0.05);
  const keys = pluckedLoop(rate, 4, [330, 392, 440, 523], 0.375, 0.05);

  it('stereo: a centred voice and instruments panned to the sides come apart', () => {
    // Guitar mostly left, keys mostly right, the voice in the middle.
    const left = mix(voice, scaled(guitar, 0.9), scaled(keys, 0.25));
    const right = mix(voice, scaled(guitar, 0.25), scaled(keys, 0.9));
    const [vl, vr, al, ar] = runStage(twoStemStage(2), [left, right], 4410);
    const mid = (a: Float32Array, b: Float32Array): Float32Array => a.map((v, i) => (v + b[i]!) / 2);
    const vocalsGain = sdr(voice, mid(vl!, vr!)) - sdr(voice, mid(left, right));
    const accLeft = mix(scaled(guitar, 0.9), scaled(keys, 0.25));
    const accGain = sdr(accLeft, al!) - sdr(accLeft, left);
    console.log(`stereo separation SDR gain: vocals +${vocalsGain.toFixed(1)} dB, accompaniment (left) +${accGain.toFixed(1)} dB`);
    assert.ok(vocalsGain > 6, `${vocalsGain}`);
    assert.ok(accGain > 3, `${accGain}`);
    // The stems add up to the mix.
    for (let i = 0; i < left.length; i += 97) assert.ok(Math.abs(vl![i]! + al![i]! - left[i]!) < 1e-4 && Math.abs(vr![i]! + ar![i]! - right[i]!) < 1e-4);
  });

  it('mono: the voice stem resembles the voice more than the mix does (harmonic/percussive and repetition masks)', () => {
    // A bass note and a noise hit every 250 ms: repeating and percussive.
    const drums = pluckedLoop(rate, 4, [60], 0.25, 0.05).map((v, i) => v + (i % 11025 < 300 ? (random(i)() - 0.5) * 0.3 : 0));
    const monoMix = mix(voice, scaled(guitar, 0.6), drums);
    const [v] = runStage(twoStemStage(1), [monoMix], 4410);
    const gain = sdr(voice, v!) - sdr(voice, monoMix);
    console.log(`mono separation SDR gain: vocals +${gain.toFixed(1)} dB`);
    assert.ok(gain > 4, `${gain}`);
  });
});
