/**
 * Whisper's front end against OpenAI's published reference, not against itself: the mel filter
 * bank against values read from `whisper/assets/mel_filters.npz` in github.com/openai/whisper
 * (commit c0d2f624c09dc18e709e37c2ad90c039a4eb72a2, blob 28ea26909dbdfd608aef67afc4d74d7961ae4bb6;
 * the file itself is not committed), and the spectrogram against what `log_mel_spectrogram` in
 * `whisper/audio.py` must give for signals whose spectrum is known in closed form, and against
 * values of audio.py's steps recomputed in numpy with that file.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FftPlan } from '../src/engines/stt/whisper/fft.js';
import { denseFilterBank, melFilterBank } from '../src/engines/stt/whisper/mel-filters.js';
import { logMelSpectrogram, melWindow, N_FRAMES, N_SAMPLES, padOrTrimSamples, whisperMelFilters } from '../src/engines/stt/whisper/mel.js';

const N_BINS = 201;

/**
 * Rows of OpenAI's arrays: [row, first non-zero column, last non-zero column, argmax column,
 * value at argmax, row sum (float64 over the float32 values), value at the last non-zero column].
 */
type RefRow = [number, number, number, number, number, number, number];
const MEL_80_ROWS: RefRow[] = [
  [0, 1, 1, 1, 0.02486259490251541, 0.02486259490251541, 0.02486259490251541],
  [5, 5, 6, 6, 0.014908484183251858, 0.024862593039870262, 0.014908484183251858],
  [20, 19, 20, 20, 0.013890394009649754, 0.024862593971192837, 0.013890394009649754],
  [30, 29, 30, 29, 0.01585603691637516, 0.02481880784034729, 0.00896277092397213],
  [40, 42, 44, 43, 0.014735566452145576, 0.026664861012250185, 0],
  [45, 51, 54, 52, 0.011507894843816757, 0.02515684487298131, 0.0011901655234396458],
  [60, 90, 96, 93, 0.006591092795133591, 0.02510154154151678, 0.0007978491485118866],
  [79, 186, 199, 192, 0.0031647118739783764, 0.024925339792389423, 0.0004487590049393475],
];
const MEL_128_ROWS: RefRow[] = [
  [0, 1, 1, 1, 0.012373986653983593, 0.012373986653983593, 0.012373986653983593],
  [3, 2, 2, 2, 0.018018579110503197, 0.018018579110503197, 0.018018579110503197],
  [25, 15, 15, 15, 0.028222959488630295, 0.028222959488630295, 0.028222959488630295],
  [50, 30, 31, 30, 0.011038944125175476, 0.02176477387547493, 0.010725829750299454],
  [90, 79, 81, 80, 0.0129347313195467, 0.0254165381193161, 0.00629778765141964],
  [127, 191, 199, 195, 0.005041601601988077, 0.024936043977504596, 0.0011142801959067583],
];
/** Sum of every weight in each array (float64). */
const REF_TOTAL = { 80: 1.999024092387117, 128: 3.1909855409403463 };

/** OpenAI's weights at FFT columns 24, 25, 26 (960, 1000, 1040 Hz): every row non-zero there. */
const REF_COLS_24_TO_26: Record<80 | 128, Record<number, [number, number, number]>> = {
  80: {
    24: [0.005927106365561485, 0, 0],
    25: [0.020874010398983955, 0.004040425643324852, 0],
    26: [0, 0.022114217281341553, 0.0033186059445142746],
    27: [0, 0, 0.02173672430217266],
  },
  128: {
    40: [0.040376365184783936, 0, 0],
    41: [0.0023806870449334383, 0.010202637873589993, 0],
    42: [0, 0.03161146119236946, 0],
    43: [0, 0, 0.024547001346945763],
    44: [0, 0, 0.015329193323850632],
  },
};

function closeRel(actual: number, expected: number, rel: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected) + 1e-12, `${what}: ${actual} vs ${expected}`);
}

describe('Whisper mel filter bank (Slaney scale, Slaney area normalisation)', () => {
  for (const [nMels, rows] of [[80, MEL_80_ROWS], [128, MEL_128_ROWS]] as const) {
    test(`the ${nMels}-bin bank matches OpenAI's mel_${nMels} row by row`, () => {
      const dense = denseFilterBank(melFilterBank(nMels, 400, 16_000));
      assert.equal(dense.length, nMels * N_BINS);
      for (const [row, first, last, argmax, peak, sum, lastValue] of rows) {
        const r = dense.subarray(row * N_BINS, (row + 1) * N_BINS);
        const nonZero = [...r.keys()].filter((k) => r[k] !== 0);
        assert.equal(nonZero[0], first, `row ${row} first non-zero column`);
        assert.equal(nonZero.at(-1), last, `row ${row} last non-zero column`);
        assert.equal(r.indexOf(Math.max(...r)), argmax, `row ${row} argmax`);
        closeRel(r[argmax], peak, 1e-6, `row ${row} peak`);
        closeRel(r.reduce((a, b) => a + b, 0), sum, 1e-6, `row ${row} sum`);
        if (lastValue !== 0) closeRel(r[last], lastValue, 1e-5, `row ${row} last value`);
      }
      closeRel(dense.reduce((a, b) => a + b, 0), REF_TOTAL[nMels], 1e-6, 'total weight');
      for (const [row, cols] of Object.entries(REF_COLS_24_TO_26[nMels])) {
        cols.forEach((v, i) => closeRel(dense[Number(row) * N_BINS + 24 + i], v, 1e-6, `row ${row} col ${24 + i}`));
      }
    });
  }
});

describe('FFT for 400 points', () => {
  test('matches a direct DFT for N = 400 and other mixed-radix sizes', () => {
    for (const size of [400, 200, 30, 7, 1]) {
      const re = Float64Array.from({ length: size }, (_, n) => Math.sin(n * 1.3) + n * 0.01);
      const im = Float64Array.from({ length: size }, (_, n) => Math.cos(n * 0.7));
      const expRe = new Float64Array(size);
      const expIm = new Float64Array(size);
      for (let k = 0; k < size; k++) {
        for (let n = 0; n < size; n++) {
          const a = (-2 * Math.PI * k * n) / size;
          expRe[k] += re[n] * Math.cos(a) - im[n] * Math.sin(a);
          expIm[k] += re[n] * Math.sin(a) + im[n] * Math.cos(a);
        }
      }
      new FftPlan(size).transform(re, im);
      for (let k = 0; k < size; k++) {
        assert.ok(Math.abs(re[k] - expRe[k]) < 1e-9 && Math.abs(im[k] - expIm[k]) < 1e-9, `N=${size} bin ${k}`);
      }
    }
  });
});

describe('Whisper log-mel spectrogram', () => {
  test('frame count is len / 160 (torch.stft centred, last frame dropped); 30 s gives 3000', () => {
    assert.equal(logMelSpectrogram(new Float32Array(N_SAMPLES), 80).nFrames, N_FRAMES);
    assert.equal(N_FRAMES, 3000);
    assert.equal(logMelSpectrogram(new Float32Array(16_000 + 159), 80).nFrames, 100);
    assert.equal(logMelSpectrogram(new Float32Array(1000), 80, 1000).nFrames, 12);
  });

  test('silence is -1.5 everywhere: log10(1e-10) = -10, the max, so (−10 + 4) / 4', () => {
    const mel = logMelSpectrogram(new Float32Array(8000), 128, N_SAMPLES);
    assert.ok(mel.data.every((v) => v === -1.5));
  });

  for (const [nMels, peakRow] of [[80, 26], [128, 42]] as const) {
    test(`a 1 kHz sine peaks in mel row ${peakRow} of ${nMels} at the value OpenAI's weights give`, () => {
      // 1000 Hz is exactly FFT bin 25 and 25 whole periods per 400-sample frame, so a periodic
      // Hann window puts A·N/4 in bin 25 and A·N/8 in bins 24 and 26, nothing elsewhere. A cosine
      // starting at its crest is also even, so torch's reflect padding at the start continues it.
      const amplitude = 0.5;
      const samples = Float32Array.from({ length: 16_000 * 2 }, (_, n) => amplitude * Math.cos((2 * Math.PI * 1000 * n) / 16_000));
      const power = [(amplitude * 50) ** 2, (amplitude * 100) ** 2, (amplitude * 50) ** 2];
      const mel = logMelSpectrogram(samples, nMels);
      const expected = new Map<number, number>();
      for (const [row, w] of Object.entries(REF_COLS_24_TO_26[nMels])) {
        expected.set(Number(row), (Math.log10(w[0] * power[0] + w[1] * power[1] + w[2] * power[2]) + 4) / 4);
      }
      const peak = expected.get(peakRow)!;
      assert.equal(Math.max(...expected.values()), peak);
      // Interior frames only: the last frames reach into reflect padding at the end, where the
      // cosine is not symmetric.
      for (let t = 0; t < mel.nFrames - 3; t++) {
        for (let m = 0; m < nMels; m++) {
          const v = mel.data[m * mel.nFrames + t];
          const want = expected.get(m) ?? peak - 2; // everything else sits on the max − 8 floor
          assert.ok(Math.abs(v - want) < 1e-5, `frame ${t} row ${m}: ${v} vs ${want}`);
        }
      }
    });
  }

  test('a chirp matches log_mel_spectrogram recomputed in numpy with OpenAI\'s mel_filters.npz, edge frames included', () => {
    // Reference: whisper/audio.py's steps in numpy (np.pad mode='reflect' is torch.stft's
    // center padding, np.fft.rfft, the .npz filters themselves), on this signal, 2 s at 16 kHz.
    // Frame 0 and frame 199 reach 200 and 40 samples into the reflect padding.
    const samples = Float32Array.from({ length: 32_000 }, (_, n) => {
      const t = n / 16_000;
      return 0.4 * Math.sin(2 * Math.PI * (200 * t + 1500 * t * t)) + 0.05 * Math.cos(2 * Math.PI * 3000 * t);
    });
    const reference: Record<80 | 128, [number, number, number][]> = {
      80: [
        [0, 0, 1.117416], [3, 0, 1.294666], [5, 0, 1.229962], [2, 1, 0.676705], [5, 1, 1.362663], [7, 1, 1.118899],
        [47, 77, -0.013828], [50, 77, 1.317522], [52, 77, 0.213126], [63, 150, -0.489039], [66, 150, 1.262408],
        [68, 150, -0.062501], [70, 199, 0.091541], [73, 199, 1.223246], [75, 199, 0.290508],
      ],
      128: [
        [3, 0, 1.113695], [6, 0, 1.350896], [8, 0, 1.090987], [6, 1, 1.029535], [9, 1, 1.410408], [11, 1, 1.234446],
        [77, 77, 0.271932], [80, 77, 1.358609], [82, 77, 0.66956], [103, 150, -0.134099], [106, 150, 1.306713],
        [108, 150, 0.186257], [114, 199, 0.198167], [117, 199, 1.271354], [119, 199, 0.396176],
      ],
    };
    for (const nMels of [80, 128] as const) {
      const mel = logMelSpectrogram(samples, nMels);
      assert.equal(mel.nFrames, 200);
      for (const [m, t, want] of reference[nMels]) {
        const got = mel.data[m * mel.nFrames + t];
        assert.ok(Math.abs(got - want) < 2e-6, `${nMels} bins, row ${m} frame ${t}: ${got} vs ${want}`);
      }
    }
  });

  test('dynamic range never exceeds 2 (the max − 8 floor, as tests/test_audio.py asserts)', () => {
    let s = 7;
    const samples = Float32Array.from({ length: 16_000 * 3 }, (_, n) => ((s = (s * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32 - 0.5) * (n < 24_000 ? 0.8 : 1e-6));
    const { data } = logMelSpectrogram(samples, 80, N_SAMPLES);
    const max = data.reduce((a, b) => Math.max(a, b), -Infinity);
    const min = data.reduce((a, b) => Math.min(a, b), Infinity);
    assert.ok(Math.abs(max - min - 2) < 1e-6, `range ${max - min}`);
  });

  test('melWindow trims to 3000 frames and pads with zeros past the end, as pad_or_trim does', () => {
    const mel = logMelSpectrogram(new Float32Array(16_000), 80);
    const window = melWindow(mel, 50);
    assert.equal(window.nFrames, 3000);
    assert.equal(window.data[0], -1.5);
    assert.equal(window.data[49], -1.5);
    assert.equal(window.data[50], 0);
    assert.equal(window.data[79 * 3000 + 2999], 0);
    assert.equal(melWindow(logMelSpectrogram(new Float32Array(N_SAMPLES * 2), 80), 0).nFrames, 3000);
  });

  test('padOrTrimSamples gives exactly 480000 samples', () => {
    assert.equal(padOrTrimSamples(new Float32Array(10)).length, N_SAMPLES);
    assert.equal(padOrTrimSamples(new Float32Array(N_SAMPLES + 5).fill(1)).length, N_SAMPLES);
    assert.equal(whisperMelFilters(128).bands.length, 128);
  });
});
