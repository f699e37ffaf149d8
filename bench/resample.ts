/**
 * Resampling speed and quality: src/audio/resample.ts (SpeexDSP in WebAssembly) beside the
 * hand-written JS Kaiser filter it replaced (bench/lib/kaiser-resampler.ts), in one run. A CPU
 * profile of the old filter put ~all its time in the FIR inner loop (64 taps per output in scalar
 * JS); its filter bank was already cached per rate pair and the s16 -> float copy was negligible.
 *
 * Speed, in this process, on the main thread, the two timed alternately round by round so
 * noise from other tenants lands on both:
 * - first chunk: a new resampler and its first 200 ms of input, what a stream pays before its
 *   first audio can leave;
 * - whole text: 12 s of input, the length of a 200-character English text, fed as the callers
 *   feed it (200 ms slices from the TTS worker, 96 ms frames of session input for VAD), then
 *   flushed.
 * Rows: 16 -> 24 kHz (16 kHz engines to the output rate), 22.05 -> 24 kHz (22.05 kHz voices) and
 * 24 -> 16 kHz (Realtime session input to VAD and recognition).
 *
 * Quality (bench/lib/resample-quality.ts): passband ripple, a sweep against the ideal sweep,
 * aliasing when downsampling, a 1 kHz sine's SNR, chunked == one-shot.
 */
import { pathToFileURL } from 'node:url';
import { StreamResampler } from '../src/audio/resample.js';
import { KaiserResampler } from './lib/kaiser-resampler.js';
import { measureQuality, type MakeResampler, type ResampleQuality } from './lib/resample-quality.js';
import { heading, ms, printTable, ratio, verdict } from './lib/report.js';
import { summarize } from './lib/stats.js';

const WARMUP_ROUNDS = 5;
/** Whole-text rounds take ~40 ms for the baseline; first-chunk rounds well under 1 ms. */
const WHOLE_ROUNDS = 30;
const FIRST_CHUNK_ROUNDS = 200;
const FIRST_CHUNK_MS = 200;
const WHOLE_TEXT_SECONDS = 12;

/** Targets from issue 11, measured on the median. */
const MAX_FIRST_CHUNK_MS = 1;
const MAX_WHOLE_TEXT_MS = 5;
/** Quality targets: flat passband, aliases and images below s16 speech's useful range. */
const MAX_RIPPLE_DB = 0.1;
const MAX_SWEEP_ERROR_DB = -60;
const MAX_ALIASING_DB = -60;
const MIN_SINE_SNR_DB = 80;

interface Conversion {
  label: string;
  fromHz: number;
  toHz: number;
  /** How the real caller slices its input. */
  sliceMs: number;
}

const CONVERSIONS: readonly Conversion[] = [
  { label: 'TTS 16 → 24 kHz', fromHz: 16_000, toHz: 24_000, sliceMs: 200 },
  { label: 'TTS 22.05 → 24 kHz', fromHz: 22_050, toHz: 24_000, sliceMs: 200 },
  { label: 'VAD 24 → 16 kHz', fromHz: 24_000, toHz: 16_000, sliceMs: 96 },
];

const IMPLEMENTATIONS: ReadonlyArray<[string, MakeResampler]> = [
  ['JS Kaiser (before)', (fromHz, toHz) => new KaiserResampler(fromHz, toHz)],
  ['SpeexDSP', (fromHz, toHz) => new StreamResampler(fromHz, toHz)],
];

/** Speech-like test input: a few partials plus noise (seeded); speed does not depend on it. */
function testSignal(rateHz: number, seconds: number): Int16Array {
  const pcm = new Int16Array(Math.round(rateHz * seconds));
  let seed = 12_345;
  for (let i = 0; i < pcm.length; i++) {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    const t = i / rateHz;
    const voiced = 6000 * Math.sin(2 * Math.PI * 140 * t) + 3000 * Math.sin(2 * Math.PI * 1130 * t) + 1500 * Math.sin(2 * Math.PI * 2870 * t);
    pcm[i] = Math.round(voiced + (seed / 2 ** 31 - 0.5) * 2000);
  }
  return pcm;
}

/** Times `runs` alternately (one round: each once, the order rotating); returns ms samples per run. */
function timeAlternately(runs: ReadonlyArray<() => void>, rounds: number): number[][] {
  const samples = runs.map((): number[] => []);
  for (let round = 0; round < WARMUP_ROUNDS + rounds; round++) {
    for (let k = 0; k < runs.length; k++) {
      const index = (round + k) % runs.length;
      const started = performance.now();
      runs[index]!();
      if (round >= WARMUP_ROUNDS) samples[index]!.push(performance.now() - started);
    }
  }
  return samples;
}

function speedRows(conversion: Conversion): string[][] {
  const { fromHz, toHz, sliceMs, label } = conversion;
  const input = testSignal(fromHz, WHOLE_TEXT_SECONDS);
  const firstChunk = input.subarray(0, Math.round((fromHz * FIRST_CHUNK_MS) / 1000));
  const slice = Math.round((fromHz * sliceMs) / 1000);
  const first = timeAlternately(
    IMPLEMENTATIONS.map(([, make]) => () => make(fromHz, toHz).process(firstChunk)),
    FIRST_CHUNK_ROUNDS,
  );
  const whole = timeAlternately(
    IMPLEMENTATIONS.map(([, make]) => () => {
      const resampler = make(fromHz, toHz);
      for (let start = 0; start < input.length; start += slice) resampler.process(input.subarray(start, start + slice));
      resampler.flush();
    }),
    WHOLE_ROUNDS,
  );
  const row = (step: string, samples: number[][], targetMs: number): string[] => {
    const [before, after] = samples.map(summarize);
    return [`${label}, ${step}`, ms(before!.median), ms(after!.median), ms(after!.p95), ratio(before!.median / after!.median), `≤ ${targetMs} ms`, verdict(after!.median <= targetMs)];
  };
  return [
    row(`first ${FIRST_CHUNK_MS} ms (new resampler)`, first, MAX_FIRST_CHUNK_MS),
    row(`whole ${WHOLE_TEXT_SECONDS} s in ${sliceMs} ms slices + flush`, whole, MAX_WHOLE_TEXT_MS),
  ];
}

function db(x: number): string {
  return Number.isFinite(x) ? x.toFixed(1) : '-';
}

function qualityRow(label: string, name: string, q: ResampleQuality, judged: boolean): string[] {
  const pass =
    q.rippleDb <= MAX_RIPPLE_DB &&
    q.sweepErrorDb <= MAX_SWEEP_ERROR_DB &&
    !(q.aliasingDb > MAX_ALIASING_DB) &&
    q.sine1kSnrDb >= MIN_SINE_SNR_DB &&
    q.chunkedEqualsOneShot &&
    Math.abs(q.lengthError) <= 1;
  return [
    `${label}, ${name}`,
    q.rippleDb.toFixed(3),
    db(q.sweepErrorDb),
    db(q.aliasingDb),
    db(q.sine1kSnrDb),
    q.chunkedEqualsOneShot ? 'yes' : 'NO',
    String(q.lengthError),
    judged ? verdict(pass) : pass ? '(pass)' : '(miss)',
  ];
}

/** Prints the speed table (targets on SpeexDSP's median) and the quality table. */
export async function runResample(): Promise<void> {
  heading(
    `Resampling, in-process on the main thread: median of ${FIRST_CHUNK_ROUNDS} (first chunk) / ${WHOLE_ROUNDS} (whole) rounds after ${WARMUP_ROUNDS} warm-ups, both implementations alternating`,
  );
  printTable(
    ['conversion, step', 'before p50 ms', 'SpeexDSP p50 ms', 'p95 ms', 'speed-up', 'target', ''],
    CONVERSIONS.flatMap(speedRows),
  );
  console.log(
    `\nquality targets: ripple ≤ ${MAX_RIPPLE_DB} dB to 0.9 × lower Nyquist; sweep error ≤ ${MAX_SWEEP_ERROR_DB} dB; ` +
      `aliasing (downsampling) ≤ ${MAX_ALIASING_DB} dB; 1 kHz SNR ≥ ${MIN_SINE_SNR_DB} dB; chunked == one-shot; length ±1`,
  );
  const rows: string[][] = [];
  for (const { label, fromHz, toHz } of CONVERSIONS) {
    for (const [name, make] of IMPLEMENTATIONS) rows.push(qualityRow(label, name, measureQuality(make, fromHz, toHz), make === IMPLEMENTATIONS[1]![1]));
  }
  printTable(['conversion, implementation', 'ripple dB', 'sweep error dB', 'aliasing dB', '1 kHz SNR dB', 'chunked = one-shot', 'length error', ''], rows);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runResample().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
