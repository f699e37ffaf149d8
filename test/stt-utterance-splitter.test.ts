/**
 * Where the recognizer's long-audio splitter cuts: in pauses, at the quietest point when there
 * are none, never past the length limit, identically whatever the chunking, and with silence
 * dropped but the stream's sample positions kept.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UtteranceSplitter, type Utterance, type UtteranceSplitterOptions } from '../src/engines/stt/pocketsphinx/utterance-splitter.js';
import { concatPcm } from '../src/audio/pcm.js';

const RATE = 16_000;
const OPTIONS: UtteranceSplitterOptions = {
  sampleRateHz: RATE,
  maxSec: 30,
  minSec: 20,
  quietWindowSec: 0.3,
  silenceRms: 32,
  pauseSec: 0.5,
  padSec: 0.25,
};

/** A deterministic stand-in for speech: noise at `rms`, or digital silence when 0. */
function noise(seconds: number, rms: number, seed = 1): Int16Array {
  let s = seed;
  // Uniform on [-a, a] has RMS a / sqrt(3).
  const a = rms * Math.sqrt(3);
  return Int16Array.from({ length: Math.round(seconds * RATE) }, () => Math.round(((s = (s * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32 - 0.5) * 2 * a));
}


function split(audio: Int16Array, chunkSizes: number[] = [audio.length]): Utterance[] {
  const splitter = new UtteranceSplitter(OPTIONS);
  const out: Utterance[] = [];
  for (let at = 0, k = 0; at < audio.length; k++) {
    const n = Math.max(1, chunkSizes[k % chunkSizes.length]!);
    out.push(...splitter.push(audio.subarray(at, at + n)));
    at += n;
  }
  out.push(...splitter.end());
  return out;
}

/** Every utterance is the stream's own samples at its position, in order, none overlapping. */
function assertFaithful(audio: Int16Array, utterances: Utterance[]): void {
  let previousEnd = 0;
  for (const u of utterances) {
    assert.ok(u.startSample >= previousEnd, 'utterances in order, not overlapping');
    assert.deepEqual(u.pcm, audio.subarray(u.startSample, u.startSample + u.pcm.length));
    previousEnd = u.startSample + u.pcm.length;
  }
}

describe('UtteranceSplitter', () => {
  test('cuts in each pause, keeping a quarter second of silence either side', () => {
    // 2 s sound, 1 s silence, 2 s sound, 0.3 s silence (too short to cut), 2 s sound.
    const audio = concatPcm([noise(2, 3000), noise(1, 0), noise(2, 3000, 2), noise(0.3, 0), noise(2, 3000, 3)]);
    const utterances = split(audio);
    assertFaithful(audio, utterances);
    assert.deepEqual(
      utterances.map((u) => [u.startSample / RATE, (u.startSample + u.pcm.length) / RATE]),
      [
        [0, 2.25],
        [2.75, 7.3],
      ],
    );
  });

  test('drops leading, trailing and all-silent stretches', () => {
    assert.deepEqual(split(noise(40, 0)), []);
    assert.deepEqual(split(noise(5, 20)), [], 'noise below the silence floor is silence');
    const audio = concatPcm([noise(10, 0), noise(1, 3000), noise(10, 0)]);
    const [only, ...rest] = split(audio);
    assert.equal(rest.length, 0);
    assert.equal(only!.startSample, 9.75 * RATE);
    assert.equal(only!.pcm.length, 1.5 * RATE);
  });

  test('without pauses, cuts at the quietest point past minSec and never exceeds maxSec', () => {
    // 70 s of unbroken sound with a softer 0.4 s at 24 s and at 51 s.
    const parts = [noise(24, 3000), noise(0.4, 200, 5), noise(26.6, 3000, 6), noise(0.4, 200, 7), noise(18.6, 3000, 8)];
    const audio = concatPcm(parts);
    const utterances = split(audio);
    assertFaithful(audio, utterances);
    const cuts = utterances.slice(1).map((u) => u.startSample / RATE);
    assert.equal(cuts.length, 2);
    // The quietest 0.3 s lies inside each soft 0.4 s; the cut is its middle.
    assert.ok(cuts[0]! >= 24.15 && cuts[0]! <= 24.25, `first cut at ${cuts[0]} s`);
    assert.ok(cuts[1]! >= 51.15 && cuts[1]! <= 51.25, `second cut at ${cuts[1]} s`);
    for (const u of utterances) assert.ok(u.pcm.length <= OPTIONS.maxSec * RATE);
    assert.equal(utterances.reduce((n, u) => n + u.pcm.length, 0), audio.length, 'nothing dropped when nothing is silent');
  });

  test('the utterances do not depend on how the stream is chunked', () => {
    const audio = concatPcm([noise(3, 0), noise(33, 2000, 11), noise(0.7, 0), noise(12, 2500, 12), noise(0.2, 0), noise(40, 1500, 13), noise(1, 0)]);
    const whole = split(audio);
    assertFaithful(audio, whole);
    assert.ok(whole.length >= 4, `several utterances (${whole.length})`);
    for (const sizes of [[1, 159, 160, 161], [4_096], [77_777, 3], [RATE * 31]]) {
      assert.deepEqual(split(audio, sizes), whole, `chunks of ${sizes.join(', ')}`);
    }
  });

  test('a stream can follow another once ended', () => {
    const splitter = new UtteranceSplitter(OPTIONS);
    splitter.push(concatPcm([noise(1, 0), noise(1, 3000)]));
    assert.equal(splitter.end()[0]!.startSample, 0.75 * RATE);
    splitter.push(noise(1, 3000));
    assert.equal(splitter.end()[0]!.startSample, 0, 'positions restart with the new stream');
  });

  test('rejects inconsistent bounds', () => {
    assert.throws(() => new UtteranceSplitter({ ...OPTIONS, sampleRateHz: 22_050 }), RangeError);
    assert.throws(() => new UtteranceSplitter({ ...OPTIONS, minSec: 29.9 }), RangeError);
    assert.throws(() => new UtteranceSplitter({ ...OPTIONS, padSec: 0.3 }), RangeError);
  });
});
