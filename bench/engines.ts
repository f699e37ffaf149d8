/**
 * The built-in engines and the pieces around them, in this process, against their own baselines.
 * These were wall-clock and memory assertions in the tests, where a loaded machine made them
 * flaky and a fast one made them prove nothing; here they are figures, each beside its baseline.
 *
 * 1. Time to first chunk, per engine (warm, 1 worker): a ~200-character paragraph's first chunk
 *    against its last chunk (the whole synthesis). Target: first ≤ half of last (streaming, not
 *    one buffer at the end).
 * 2. Cancellation: eSpeak on a ~40k-character text (over a minute of work) aborted after its
 *    first chunk: how soon the caller is released, and how soon a short request on the same
 *    single worker is done, against that short request on an idle worker.
 * 3. Main-thread event-loop delay while the workers synthesize, against the same stretch idle.
 * 4. Opus input decoder memory: RSS growth over 400 create → decode → free cycles, after a GC,
 *    against the ~80 MB that 400 leaked WASM instances (~200 KB each) would hold.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { OpusInputDecoder } from '../src/audio/opus-input.js';
import type { AudioChunk } from '../src/audio/pcm.js';
import type { TtsEngine } from '../src/engines/tts/types.js';
import { TtsService } from '../src/tts/service.js';
import { heading, ms, printTable, ratio, verdict } from './lib/report.js';
import { summarize } from './lib/stats.js';

const PARAGRAPH =
  'Streaming speech should start quickly. The first sentence is short, so the listener hears it at once, ' +
  'while the engine keeps working on the rest of the paragraph in the background without a pause.';
const LONG_TEXT = 'This sentence is one of very many in a long text that nobody will hear to the end. '.repeat(480);
const SHORT_TEXT = 'Short and sweet.';
const ENGINES: ReadonlyArray<[string, string]> = [
  ['espeak', 'en-us'],
  ['flite', 'flite-slt'],
];
const ROUNDS = 9;
const MAX_FIRST_TO_LAST = 0.5;
/** The old test's bounds, kept as targets. */
const MAX_RELEASE_MS = 50;
const MAX_NEXT_DONE_MS = 1000;
const MAX_LOOP_DELAY_MS = 50;
const MAX_OPUS_GROWTH_MB = 30;
const OPUS_CYCLES = 400;
/** A 20 ms CELT packet of silence (TOC 0xf8), enough to make each decoder do real work. */
const OPUS_SILENCE = Uint8Array.of(0xf8, 0xff, 0xfe);

async function timed(engine: TtsEngine, voice: string, text: string): Promise<{ firstMs: number; lastMs: number }> {
  const started = performance.now();
  let firstMs = Number.NaN;
  for await (const _ of engine.synthesize({ text, voice, language: 'en', speed: 1 }, new AbortController().signal)) {
    if (Number.isNaN(firstMs)) firstMs = performance.now() - started;
  }
  return { firstMs, lastMs: performance.now() - started };
}

async function drain(chunks: AsyncIterable<AudioChunk>): Promise<void> {
  for await (const _ of chunks);
}

async function firstChunk(runtime: TtsService): Promise<void> {
  heading(`Time to first chunk: ${PARAGRAPH.length}-char paragraph, 1 worker, warm, p50 of ${ROUNDS}`);
  const rows: string[][] = [];
  for (const [model, voice] of ENGINES) {
    const engine = runtime.engine(model)!;
    await timed(engine, voice, PARAGRAPH);
    const runs = [];
    for (let i = 0; i < ROUNDS; i++) runs.push(await timed(engine, voice, PARAGRAPH));
    const first = summarize(runs.map((r) => r.firstMs)).median;
    const last = summarize(runs.map((r) => r.lastMs)).median;
    rows.push([model, ms(first), ms(last), ratio(first / last), verdict(first / last <= MAX_FIRST_TO_LAST)]);
  }
  printTable(['engine', 'first chunk ms', 'last chunk ms (baseline)', 'first / last', `≤ ${MAX_FIRST_TO_LAST}`], rows);
}

async function cancellation(runtime: TtsService): Promise<void> {
  heading(`Cancellation: eSpeak, ${LONG_TEXT.length}-char text aborted after its first chunk, 1 worker, p50 of ${ROUNDS}`);
  const espeak = runtime.engine('espeak')!;
  const idle: number[] = [];
  const released: number[] = [];
  const nextDone: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    idle.push((await timed(espeak, 'en-us', SHORT_TEXT)).lastMs);
    const controller = new AbortController();
    const it = espeak.synthesize({ text: LONG_TEXT, voice: 'en-us', language: 'en', speed: 1 }, controller.signal)[Symbol.asyncIterator]();
    await it.next();
    const abortedAt = performance.now();
    controller.abort();
    await it.next().catch(() => {});
    released.push(performance.now() - abortedAt);
    await drain(espeak.synthesize({ text: SHORT_TEXT, voice: 'en-us', language: 'en', speed: 1 }, new AbortController().signal));
    nextDone.push(performance.now() - abortedAt);
  }
  const base = summarize(idle).median;
  const rel = summarize(released).median;
  const next = summarize(nextDone).median;
  printTable(
    ['measure', 'p50 ms', 'baseline', 'target'],
    [
      ['abort → caller released', ms(rel), '-', `${verdict(rel <= MAX_RELEASE_MS)} (≤ ${MAX_RELEASE_MS})`],
      ['abort → short request done', ms(next), `${ms(base)} (short request, idle worker)`, `${verdict(next <= MAX_NEXT_DONE_MS)} (≤ ${MAX_NEXT_DONE_MS})`],
    ],
  );
}

async function eventLoop(runtime: TtsService): Promise<void> {
  heading('Main-thread event-loop delay while 1 worker synthesizes (espeak en-us, flite, espeak fr; 5 rounds)');
  const cases: Array<[string, string]> = [['espeak', 'en-us'], ['flite', 'flite-slt'], ['espeak', 'fr']];
  const during = monitorEventLoopDelay({ resolution: 1 });
  during.enable();
  const started = performance.now();
  for (let round = 0; round < 5; round++) {
    for (const [model, voice] of cases) {
      await drain(runtime.engine(model)!.synthesize({ text: 'One second of speech, more or less.', voice, language: 'en', speed: 1 }, new AbortController().signal));
    }
  }
  during.disable();
  const baseline = monitorEventLoopDelay({ resolution: 1 });
  baseline.enable();
  await new Promise((resolve) => setTimeout(resolve, performance.now() - started));
  baseline.disable();
  const row = (name: string, h: typeof during, target: string): string[] => [name, ms(h.percentile(99) / 1e6), ms(h.max / 1e6), target];
  printTable(
    ['stretch', 'p99 ms', 'max ms', `max ≤ ${MAX_LOOP_DELAY_MS}`],
    [row('during synthesis', during, verdict(during.max / 1e6 <= MAX_LOOP_DELAY_MS)), row('idle (baseline)', baseline, '')],
  );
}

async function opusMemory(): Promise<void> {
  heading(`Opus input decoder: RSS growth over ${OPUS_CYCLES} create → decode → free cycles, after a GC`);
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const cycle = async (times: number): Promise<void> => {
    for (let i = 0; i < times; i++) {
      const decoder = await OpusInputDecoder.create();
      for (let p = 0; p < 5; p++) decoder.decode(OPUS_SILENCE);
      decoder.free();
    }
    gc();
  };
  await cycle(50); // module compile and allocator pools
  const before = process.memoryUsage().rss;
  await cycle(OPUS_CYCLES);
  const grownMb = (process.memoryUsage().rss - before) / 2 ** 20;
  printTable(
    ['measure', 'MB', 'baseline MB', `≤ ${MAX_OPUS_GROWTH_MB}`],
    [['RSS growth', grownMb.toFixed(1), `${((OPUS_CYCLES * 200) / 1024).toFixed(0)} (every instance leaked)`, verdict(grownMb <= MAX_OPUS_GROWTH_MB)]],
  );
}

export async function runEngines(): Promise<void> {
  const modelsDir = mkdtempSync(join(tmpdir(), 'llais-bench-engines-'));
  const runtime = await TtsService.start({ workers: 1, modelsDir });
  try {
    await firstChunk(runtime);
    await cancellation(runtime);
    await eventLoop(runtime);
  } finally {
    await runtime.close();
    rmSync(modelsDir, { recursive: true, force: true });
  }
  await opusMemory();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runEngines().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
