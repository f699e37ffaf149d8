/**
 * The music analysis (src/audio/analysis/) on signals whose truth is known because the test made
 * them: chord progressions in all 24 keys, click tracks and a drum pattern at exact tempos, a
 * waltz-accented click track; the Camelot table against the published wheel.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MusicAnalyzer, ANALYSIS_SAMPLE_RATE_HZ } from '../src/audio/analysis/analyzer.js';
import { camelotCode, compatibleKeys, keyLabel, type MusicalKey, type Scale } from '../src/audio/analysis/camelot.js';
import { Framer, PowerSpectrum } from '../src/audio/analysis/fft.js';
import { chordProgression, clickTrack, drumPattern } from './helpers/music.js';

const RATE = ANALYSIS_SAMPLE_RATE_HZ;

/** Analyses PCM pushed in 1 s pieces, as the pool's feed delivers chunks. */
function analyze(pcm: Int16Array) {
  const analyzer = new MusicAnalyzer(RATE);
  for (let i = 0; i < pcm.length; i += RATE) analyzer.push(pcm.subarray(i, i + RATE));
  return analyzer.finish();
}

const PITCH = ['C', 'C#', 'D', 'Eb', 'E', 'F', 'F#', 'G', 'G#', 'A', 'Bb', 'B'];

describe('power spectrum and framing', () => {
  it('equals a direct DFT of the Hann-windowed frame', () => {
    const n = 64;
    const frame = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.7) + 0.3 * Math.cos(i * 2.1) + ((i * 37) % 11) / 11);
    const out = new Float32Array(n / 2 + 1);
    new PowerSpectrum(n).compute(frame, out);
    for (let k = 0; k <= n / 2; k++) {
      let re = 0;
      let im = 0;
      for (let i = 0; i < n; i++) {
        const x = frame[i]! * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n));
        re += x * Math.cos((2 * Math.PI * k * i) / n);
        im -= x * Math.sin((2 * Math.PI * k * i) / n);
      }
      assert.ok(Math.abs(out[k]! - (re * re + im * im)) < 1e-3 * Math.max(1, re * re + im * im), `bin ${k}`);
    }
  });

  it('cuts frames every hop whatever the pieces the samples arrive in', () => {
    const starts: number[] = [];
    const framer = new Framer(8, 3, (frame) => starts.push(frame[0]!));
    const ramp = Float32Array.from({ length: 30 }, (_, i) => i);
    for (const [a, b] of [[0, 5], [5, 6], [6, 19], [19, 30]]) framer.push(ramp.subarray(a, b));
    assert.deepEqual(starts, [0, 3, 6, 9, 12, 15, 18, 21]);
  });
});

describe('key', () => {
  it('finds the key of I–IV–V–I progressions in all 12 major and 12 minor keys (≥ 90 %)', () => {
    let right = 0;
    const wrong: string[] = [];
    for (const scale of ['Major', 'Minor'] as Scale[]) {
      for (let tonic = 0; tonic < 12; tonic++) {
        const got = analyze(chordProgression(tonic, scale, RATE));
        const want = keyLabel({ tonic, scale });
        if (`${got.key} ${got.scale}` === want) right++;
        else wrong.push(`${PITCH[tonic]} ${scale} -> ${got.key} ${got.scale}`);
      }
    }
    const accuracy = right / 24;
    console.log(`key accuracy ${(accuracy * 100).toFixed(1)} % (${right}/24)${wrong.length ? `; wrong: ${wrong.join(', ')}` : ''}`);
    assert.ok(accuracy >= 0.9, `accuracy ${accuracy}: ${wrong.join(', ')}`);
  });
});

describe('tempo and meter', () => {
  for (const bpm of [70, 90, 120, 150, 180]) {
    it(`measures a ${bpm} BPM click track within 2 %`, () => {
      const got = analyze(clickTrack(bpm, 20, RATE));
      console.log(`click ${bpm} BPM -> ${got.bpm}`);
      assert.ok(Math.abs(got.bpm - bpm) / bpm < 0.02, `${got.bpm}`);
      assert.equal(got.timeSignature, '4/4');
    });
  }

  for (const bpm of [80, 100, 128, 160]) {
    it(`measures a ${bpm} BPM drum pattern (kick, snare, eighth hi-hats) within 2 %`, () => {
      const got = analyze(drumPattern(bpm, 20, RATE));
      console.log(`drums ${bpm} BPM -> ${got.bpm}`);
      assert.ok(Math.abs(got.bpm - bpm) / bpm < 0.02, `${got.bpm}`);
      assert.equal(got.timeSignature, '4/4');
    });
  }

  it('hears a waltz-accented click track as 3/4 and a 4/4-accented one as 4/4', () => {
    const waltz = analyze(clickTrack(120, 20, RATE, [1, 0.35, 0.35]));
    assert.ok(Math.abs(waltz.bpm - 120) / 120 < 0.02, `${waltz.bpm}`);
    assert.equal(waltz.timeSignature, '3/4');
    const common = analyze(clickTrack(120, 20, RATE, [1, 0.35, 0.6, 0.35]));
    assert.equal(common.timeSignature, '4/4');
  });

  it('answers 4/4 and a tempo in range for silence', () => {
    const got = analyze(new Int16Array(RATE * 5));
    assert.equal(got.timeSignature, '4/4');
    assert.ok(got.bpm >= 60 && got.bpm <= 200);
  });
});

describe('Camelot wheel', () => {
  // The published wheel (Mixed In Key, https://mixedinkey.com/camelot-wheel/), 1B…12B and 1A…12A.
  const MAJOR = ['B', 'F#', 'Db', 'Ab', 'Eb', 'Bb', 'F', 'C', 'G', 'D', 'A', 'E'];
  const MINOR = ['G#', 'Eb', 'Bb', 'F', 'C', 'G', 'D', 'A', 'E', 'B', 'F#', 'C#'];
  const pc = (name: string): number => ['C', 'Db', 'D', 'Eb', 'E', 'F', 'F#', 'G', 'Ab', 'A', 'Bb', 'B'].indexOf(name) >= 0
    ? ['C', 'Db', 'D', 'Eb', 'E', 'F', 'F#', 'G', 'Ab', 'A', 'Bb', 'B'].indexOf(name)
    : ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'].indexOf(name);

  it('gives every key its code on the published wheel', () => {
    MAJOR.forEach((name, i) => assert.equal(camelotCode({ tonic: pc(name), scale: 'Major' }), `${i + 1}B`, name));
    MINOR.forEach((name, i) => assert.equal(camelotCode({ tonic: pc(name), scale: 'Minor' }), `${i + 1}A`, `${name}m`));
  });

  it("lists the contract's compatible keys: itself, a fifth up, a fifth down, the relative key", () => {
    assert.deepEqual(compatibleKeys({ tonic: 0, scale: 'Major' }).map(keyLabel), ['C Major', 'G Major', 'F Major', 'A Minor']);
    assert.deepEqual(compatibleKeys({ tonic: 9, scale: 'Minor' }).map(keyLabel), ['A Minor', 'E Minor', 'D Minor', 'C Major']);
    // On the wheel: the same number's other letter, and one step either way.
    for (let tonic = 0; tonic < 12; tonic++) {
      for (const scale of ['Major', 'Minor'] as Scale[]) {
        const key: MusicalKey = { tonic, scale };
        const [n, letter] = [Number.parseInt(camelotCode(key)), camelotCode(key).slice(-1)];
        const codes = compatibleKeys(key).map(camelotCode);
        const other = letter === 'A' ? 'B' : 'A';
        assert.deepEqual(codes, [`${n}${letter}`, `${(n % 12) + 1}${letter}`, `${((n + 10) % 12) + 1}${letter}`, `${n}${other}`]);
      }
    }
  });
});
