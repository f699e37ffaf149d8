/**
 * Music whose key, tempo and meter are known because it is made here: chord progressions of
 * additive-synthesis tones with harmonics over a bass note, and click tracks and drum patterns at
 * exact tempos. Mono s16 PCM.
 */

/** Semitones above the tonic of the triads I–IV–V–I (major) and i–iv–V–i (minor, harmonic V). */
const PROGRESSIONS = {
  Major: [[0, 4, 7], [5, 9, 12], [7, 11, 14], [0, 4, 7]],
  Minor: [[0, 3, 7], [5, 8, 12], [7, 11, 14], [0, 3, 7]],
} as const;

/** Amplitudes of a tone's first harmonics (a soft, string-like spectrum). */
const HARMONICS = [1, 0.5, 0.33, 0.25, 0.2];

function midiHz(midi: number): number {
  return 440 * 2 ** ((midi - 69) / 12);
}

function toPcm(samples: Float64Array): Int16Array {
  let peak = 0;
  for (const s of samples) peak = Math.max(peak, Math.abs(s));
  const pcm = new Int16Array(samples.length);
  const gain = peak > 0 ? 0.8 / peak : 0;
  for (let i = 0; i < samples.length; i++) pcm[i] = Math.round(samples[i]! * gain * 32767);
  return pcm;
}

/** Adds a tone of harmonics at `hz` from `start` for `length` samples, with 10 ms fades. */
function addTone(out: Float64Array, sampleRateHz: number, hz: number, start: number, length: number, gain: number): void {
  const fade = Math.round(sampleRateHz * 0.01);
  for (let i = 0; i < length && start + i < out.length; i++) {
    const env = Math.min(1, i / fade, (length - i) / fade);
    let v = 0;
    for (let h = 0; h < HARMONICS.length; h++) {
      const f = hz * (h + 1);
      if (f < sampleRateHz / 2) v += HARMONICS[h]! * Math.sin((2 * Math.PI * f * i) / sampleRateHz);
    }
    out[start + i]! += gain * env * v;
  }
}

/**
 * The progression in the key of `tonic` (pitch class, 0 = C) repeated `repeats` times: each chord
 * one second, voiced from the tonic in octave 4, with its root in octave 2 as the bass.
 */
export function chordProgression(tonic: number, scale: 'Major' | 'Minor', sampleRateHz: number, repeats = 2): Int16Array {
  const chord = sampleRateHz;
  const chords = PROGRESSIONS[scale];
  const out = new Float64Array(chord * chords.length * repeats);
  for (let r = 0; r < repeats; r++) {
    chords.forEach((notes, c) => {
      const start = (r * chords.length + c) * chord;
      for (const n of notes) addTone(out, sampleRateHz, midiHz(60 + tonic + n), start, chord, 0.3);
      addTone(out, sampleRateHz, midiHz(36 + tonic + notes[0]!), start, chord, 0.5);
    });
  }
  return toPcm(out);
}

/** A 5 ms decaying burst of a tone at `hz` (a click, or a drum when low). */
function addHit(out: Float64Array, sampleRateHz: number, at: number, hz: number, gain: number, decaySec = 0.02, noise = 0): void {
  const length = Math.round(sampleRateHz * decaySec * 4);
  let seed = at + 1;
  for (let i = 0; i < length && at + i < out.length; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const env = Math.exp(-i / (sampleRateHz * decaySec));
    out[at + i]! += gain * env * ((1 - noise) * Math.sin((2 * Math.PI * hz * i) / sampleRateHz) + noise * (seed / 1073741824 - 1));
  }
}

/**
 * Clicks at exactly `bpm` for `seconds`. `accents` is the loudness pattern repeated over the beats
 * ([1] plain, [1, 0.4, 0.4] a waltz, [1, 0.4, 0.7, 0.4] a 4/4 bar).
 */
export function clickTrack(bpm: number, seconds: number, sampleRateHz: number, accents: number[] = [1]): Int16Array {
  const out = new Float64Array(Math.round(seconds * sampleRateHz));
  const beat = (60 / bpm) * sampleRateHz;
  for (let k = 0; k * beat < out.length; k++) addHit(out, sampleRateHz, Math.round(k * beat), 1500, accents[k % accents.length]!);
  return toPcm(out);
}

/** A rock beat at `bpm`: kick on beats 1 and 3, snare (noisy) on 2 and 4, closed hi-hat on every eighth. */
export function drumPattern(bpm: number, seconds: number, sampleRateHz: number): Int16Array {
  const out = new Float64Array(Math.round(seconds * sampleRateHz));
  const eighth = (30 / bpm) * sampleRateHz;
  for (let k = 0; k * eighth < out.length; k++) {
    const at = Math.round(k * eighth);
    addHit(out, sampleRateHz, at, 7000, 0.25, 0.01, 0.9);
    if (k % 4 === 0) addHit(out, sampleRateHz, at, 60, 1, 0.06);
    if (k % 4 === 2) addHit(out, sampleRateHz, at, 200, 0.7, 0.04, 0.7);
  }
  return toPcm(out);
}
