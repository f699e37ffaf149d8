/**
 * Time to first audio for a 200-character English text with the voice `alloy`, through every
 * way a client can ask for it, against the engine's own time to first chunk called in-process.
 *
 * Baseline (a): in this process, a `TtsService` with 2 workers runs the plan the server would
 * make (`parseOpenAiSpeech` + `TtsService.plan`, which calls `prepareText`) through
 * `synthesizeSpeech` - the whole server minus HTTP. The raw `engine.synthesize()` of the first
 * piece is shown beside it for reference.
 * Server (b, c): a real server in a child process, reached with `fetch` on a warm keep-alive
 * connection. (b) SSE `POST /v1/tts/stream/` to the first `speech.audio.delta`; (c)
 * `POST /v1/audio/speech` with `pcm` and `mp3` to the first body byte.
 *
 * All five are measured interleaved, one request at a time, the order rotating every round, so
 * that noise from other tenants of this machine lands on all of them alike. Both worker pools
 * exist throughout, but only one synthesis runs at any moment.
 */
import { pathToFileURL } from 'node:url';
import { parseOpenAiSpeech } from '../src/api/tts-request.js';
import type { PlannedSpeech } from '../src/tts/plan.js';
import type { SpeechSpec } from '../src/tts/speech-spec.js';
import { OUTPUT_SAMPLE_RATE_HZ, type AudioChunk } from '../src/audio/pcm.js';
import { StreamResampler } from '../src/audio/resample.js';
import { loadConfig } from '../src/config.js';
import { TtsService } from '../src/tts/service.js';
import { synthesizeSpeech } from '../src/tts/synthesize.js';
import { connectionsOpened, getText, REQUEST_TIMEOUT_MS, timeAudioBody, timeSse, type StreamTiming } from './lib/client.js';
import { OPENAI_MODEL, TEXT_200, VOICE } from './lib/fixtures.js';
import { heading, ms, printTable, ratio, verdict } from './lib/report.js';
import { withServer, type BenchServer, type LogEntry } from './lib/server.js';
import { summarize, type Summary } from './lib/stats.js';

/** The server's default pool on this 2-core machine (`LLAIS_TTS_WORKERS` defaults to the CPU count). */
const WORKERS = 2;
const WARMUP_ROUNDS = 3;
const MEASURED_ROUNDS = 40;
/** Targets: the server may add at most 10% to the in-process pipeline, and must start under 150 ms. */
const MAX_RATIO = 1.1;
const MAX_ABSOLUTE_MS = 150;
/** The server logs a stream's line just after its last byte; it comes within milliseconds. */
const LOG_WAIT_MS = 2_000;

type Kind = 'engine' | 'pipeline' | 'sse' | 'speech-pcm' | 'speech-mp3';

const LABELS: Record<Kind, string> = {
  engine: 'raw engine.synthesize(), 1st piece (in-process)',
  pipeline: '(a) synthesizeSpeech (in-process baseline)',
  sse: '(b) SSE /v1/tts/stream/ first delta',
  'speech-pcm': '(c) /v1/audio/speech pcm first byte',
  'speech-mp3': '(c) /v1/audio/speech mp3 first byte',
};

/** The server's own `firstChunkMs` (from its log) for each HTTP kind, in request order. */
type ServerSide = Record<'sse' | 'speech-pcm' | 'speech-mp3', number[]>;

async function timeEngine(planned: PlannedSpeech): Promise<StreamTiming> {
  const { plan } = planned;
  const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  const started = performance.now();
  let firstAudioMs = Number.NaN;
  let audioBytes = 0;
  const req = { text: plan.pieces[0]!, voice: plan.voice.id, language: plan.language, speed: plan.speed, priority: 'first' as const };
  for await (const chunk of plan.engine.synthesize(req, signal)) {
    if (chunk.pcm.length > 0 && Number.isNaN(firstAudioMs)) firstAudioMs = performance.now() - started;
    audioBytes += chunk.pcm.byteLength;
  }
  return { firstAudioMs, doneMs: performance.now() - started, audioBytes, headers: new Headers() };
}

async function timePipeline(planned: PlannedSpeech): Promise<StreamTiming> {
  const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  const started = performance.now();
  let firstAudioMs = Number.NaN;
  let audioBytes = 0;
  for await (const chunk of synthesizeSpeech(planned.plan, signal)) {
    if (chunk.pcm.length > 0 && Number.isNaN(firstAudioMs)) firstAudioMs = performance.now() - started;
    audioBytes += chunk.pcm.byteLength;
  }
  return { firstAudioMs, doneMs: performance.now() - started, audioBytes, headers: new Headers() };
}

/** Runs the interleaved rounds and prints the TTFA table with its targets. */
export async function runTtfa(): Promise<void> {
  heading(`Time to first audio: ${TEXT_200.length}-char English text, voice '${VOICE}', ${MEASURED_ROUNDS} sequential requests each after ${WARMUP_ROUNDS} warm-ups`);
  const config = loadConfig();
  const runtime = await TtsService.start({ workers: WORKERS, modelsDir: config.modelsDir, limits: { maxTextChars: config.maxTextChars, defaultModel: config.defaultModel, defaultVoice: config.defaultVoice } });
  try {
    const { spec } = parseOpenAiSpeech({ model: OPENAI_MODEL, voice: VOICE, input: TEXT_200, response_format: 'pcm' }, runtime.limits);
    const planned = runtime.plan(spec);
    console.log(
      `plan: model ${planned.spec.model}, voice ${planned.spec.voice}, language ${planned.plan.language}, ` +
        `pieces ${planned.plan.pieces.map((p) => p.length).join(' + ')} chars`,
    );
    const httpFloor = await withServer((server) => measure(server, planned));
    await stepCosts(runtime, spec, planned, httpFloor);
  } finally {
    await runtime.close();
  }
}

/** Runs the interleaved rounds and prints their table; returns the HTTP floor (GET /metrics round trips). */
async function measure(server: BenchServer, planned: PlannedSpeech): Promise<Summary> {
  const serverSide: ServerSide = { sse: [], 'speech-pcm': [], 'speech-mp3': [] };
  const expectedLogs = (WARMUP_ROUNDS + MEASURED_ROUNDS) * Object.keys(serverSide).length;
  let logged = 0;
  let allLogged = (): void => {};
  const logsIn = new Promise<void>((resolve) => {
    allLogged = resolve;
  });
  const unsubscribe = server.onLog((entry: LogEntry) => {
    if (typeof entry.firstChunkMs !== 'number') return;
    if (entry.msg === 'speech sse streamed') serverSide.sse.push(entry.firstChunkMs);
    else if (entry.msg === 'speech streamed' && entry.format === 'pcm') serverSide['speech-pcm'].push(entry.firstChunkMs);
    else if (entry.msg === 'speech streamed' && entry.format === 'mp3') serverSide['speech-mp3'].push(entry.firstChunkMs);
    else return;
    if (++logged === expectedLogs) allLogged();
  });

  const speech = `${server.url}/v1/audio/speech`;
  const run: Record<Kind, () => Promise<StreamTiming>> = {
    engine: () => timeEngine(planned),
    pipeline: () => timePipeline(planned),
    sse: () => timeSse(`${server.url}/v1/tts/stream/`, { text: TEXT_200, voice: VOICE }),
    'speech-pcm': () => timeAudioBody(speech, { model: OPENAI_MODEL, voice: VOICE, input: TEXT_200, response_format: 'pcm' }),
    'speech-mp3': () => timeAudioBody(speech, { model: OPENAI_MODEL, voice: VOICE, input: TEXT_200, response_format: 'mp3' }),
  };
  const kinds = Object.keys(run) as Kind[];
  const samples = Object.fromEntries(kinds.map((k) => [k, [] as StreamTiming[]])) as Record<Kind, StreamTiming[]>;
  let connectionsAfterWarmup = 0;

  for (let round = 0; round < WARMUP_ROUNDS + MEASURED_ROUNDS; round++) {
    if (round === WARMUP_ROUNDS) connectionsAfterWarmup = connectionsOpened();
    for (let i = 0; i < kinds.length; i++) {
      const kind = kinds[(round + i) % kinds.length]!;
      const timing = await run[kind]();
      if (round >= WARMUP_ROUNDS) samples[kind].push(timing);
      if (kind === 'speech-pcm' && round === 0) checkSameVoice(timing.headers, planned);
    }
  }
  const newConnections = connectionsOpened() - connectionsAfterWarmup;

  // The last stream's log line is written right after its last byte; wait for it, boundedly.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([logsIn, new Promise<void>((resolve) => (timer = setTimeout(resolve, LOG_WAIT_MS)))]);
  clearTimeout(timer);
  unsubscribe();

  const summaries = Object.fromEntries(kinds.map((k) => [k, summarize(samples[k].map((s) => s.firstAudioMs))])) as Record<Kind, Summary>;
  const dones = Object.fromEntries(kinds.map((k) => [k, summarize(samples[k].map((s) => s.doneMs))])) as Record<Kind, Summary>;
  const serverFirst = (k: Kind): Summary | null =>
    k in serverSide ? summarize(serverSide[k as keyof ServerSide].slice(WARMUP_ROUNDS)) : null;
  const base = summaries.pipeline.median;

  printTable(
    ['path', 'n', 'TTFA p50 ms', 'TTFA p95 ms', 'TTFA p99 ms', 'server 1st chunk p50 ms', 'done p50 ms', 'p50 / (a)', `ratio ≤ ${MAX_RATIO}`, `p50 < ${MAX_ABSOLUTE_MS}`, `p95 < ${MAX_ABSOLUTE_MS}`],
    kinds.map((k) => {
      const s = summaries[k];
      const judged = k === 'sse' || k === 'speech-pcm' || k === 'speech-mp3';
      return [
        LABELS[k],
        String(s.n),
        ms(s.median),
        ms(s.p95),
        ms(s.p99),
        ms(serverFirst(k)?.median ?? Number.NaN),
        ms(dones[k].median),
        ratio(s.median / base),
        judged ? verdict(s.median / base <= MAX_RATIO) : '',
        judged ? verdict(s.median < MAX_ABSOLUTE_MS) : '',
        judged ? verdict(s.p95 < MAX_ABSOLUTE_MS) : '',
      ];
    }),
  );
  console.log(
    `client: Node ${process.version} global fetch (bundled undici ${process.versions.undici}), keep-alive; ` +
      `new TCP connections during the ${MEASURED_ROUNDS * 3} timed HTTP requests: ${newConnections}`,
  );
  console.log(`"server 1st chunk" is the server's own synthesizeSpeech → first chunk (firstChunkMs in its log): the rest of TTFA is HTTP, framing, encoding and the client.`);

  const floor: number[] = [];
  for (let i = 0; i < WARMUP_ROUNDS + MEASURED_ROUNDS; i++) {
    const started = performance.now();
    await getText(`${server.url}/metrics`);
    if (i >= WARMUP_ROUNDS) floor.push(performance.now() - started);
  }
  return summarize(floor);
}

/** Times `fn` MEASURED_ROUNDS times after WARMUP_ROUNDS, in ms. */
function timeSync(fn: () => unknown): Summary {
  const samples: number[] = [];
  for (let i = 0; i < WARMUP_ROUNDS + MEASURED_ROUNDS; i++) {
    const started = performance.now();
    fn();
    if (i >= WARMUP_ROUNDS) samples.push(performance.now() - started);
  }
  return summarize(samples);
}

/**
 * The steps on the server's path to the first audio that are not synthesis, timed one by one
 * (in-process, synchronous, on the main thread), plus the HTTP round trip of a trivial request:
 * where the gap between the engine and the first SSE delta goes.
 */
async function stepCosts(runtime: TtsService, spec: SpeechSpec, planned: PlannedSpeech, httpFloor: Summary): Promise<void> {
  const { plan } = planned;
  const pieces: AudioChunk[][] = [];
  for (const text of plan.pieces) {
    const chunks: AudioChunk[] = [];
    const req = { text, voice: plan.voice.id, language: plan.language, speed: plan.speed };
    for await (const chunk of plan.engine.synthesize(req, AbortSignal.timeout(REQUEST_TIMEOUT_MS))) chunks.push(chunk);
    pieces.push(chunks);
  }
  const first = pieces[0]!.find((c) => c.pcm.length > 0);
  if (!first) throw new Error('engine produced no audio for the first piece');
  const fromHz = first.sampleRateHz;
  const seconds = (chunks: AudioChunk[]): string => (chunks.reduce((n, c) => n + c.pcm.length, 0) / fromHz).toFixed(2);
  console.log(
    `\nengine output: ${pieces.map((c, i) => `piece ${i + 1}: ${c.length} chunk(s), ${seconds(c)} s`).join('; ')}; at ${fromHz} Hz`,
  );
  const rows: string[][] = [];
  const row = (step: string, s: Summary): void => {
    rows.push([step, ms(s.median), ms(s.p95)]);
  };
  row('planSpeech (validate, resolve voice, prepareText)', timeSync(() => runtime.plan(spec)));
  let resampled = first.pcm;
  if (fromHz !== OUTPUT_SAMPLE_RATE_HZ) {
    row(
      `StreamResampler ${fromHz} → ${OUTPUT_SAMPLE_RATE_HZ} Hz, first chunk`,
      timeSync(() => {
        resampled = new StreamResampler(fromHz, OUTPUT_SAMPLE_RATE_HZ).process(first.pcm);
      }),
    );
    row(
      `StreamResampler ${fromHz} → ${OUTPUT_SAMPLE_RATE_HZ} Hz, whole text`,
      timeSync(() => {
        for (const chunks of pieces) {
          const resampler = new StreamResampler(fromHz, OUTPUT_SAMPLE_RATE_HZ);
          for (const c of chunks) resampler.process(c.pcm);
          resampler.flush();
        }
      }),
    );
  }
  // The SSE writer's framing of one delta, as in src/api/speech-stream.ts and src/http/sse.ts.
  const bytes = new Uint8Array(resampled.buffer, resampled.byteOffset, resampled.byteLength);
  let frame = '';
  row(
    `first SSE delta: base64 + JSON.stringify (${Math.round(bytes.byteLength / 1024)} KiB PCM)`,
    timeSync(() => {
      frame = `data: ${JSON.stringify({ type: 'speech.audio.delta', audio: Buffer.from(bytes).toString('base64') })}\n\n`;
    }),
  );
  row(`client: JSON.parse of that delta (${Math.round(frame.length / 1024)} KiB)`, timeSync(() => JSON.parse(frame.slice(6))));
  row('HTTP floor: fetch GET /metrics round trip (warm connection)', httpFloor);
  printTable(['step (main thread, in-process unless HTTP)', 'p50 ms', 'p95 ms'], rows);
}

/** The baseline is only a baseline if the server speaks with the same voice. */
function checkSameVoice(headers: Headers, planned: PlannedSpeech): void {
  const model = headers.get('x-model');
  const voice = headers.get('x-voice');
  if (model !== planned.spec.model || voice !== planned.spec.voice) {
    throw new Error(`server used ${model}/${voice}, the in-process baseline ${planned.spec.model}/${planned.spec.voice}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runTtfa().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
