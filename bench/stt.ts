/**
 * Speech to text with the embedded recognizer (PocketSphinx), on speech from our own TTS.
 *
 * Audio: 20 Harvard sentences (IEEE 1969, lists 1-2) synthesized in-process by a `TtsService`
 * with the Flite voices `flite-rms`, `flite-slt` and `flite-awb` (16 kHz native, so no
 * resampling), each sentence on its own and joined with 0.5 s of digital silence; ~65 s for
 * `flite-rms`. Each voice's recording is written as a 16 kHz WAV to a temp directory.
 *
 * 1. Real-time factor on the `flite-rms` recording: (a) in this process,
 *    `PocketSphinxDecoder.recognize` on the PCM, CPU time / audio seconds (the decoder is single
 *    threaded, so this is per core; target ≤ 0.2); (b) through a real server (child process,
 *    `LLAIS_POOL_WORKERS=2`), wall time of `POST /v1/audio/transcriptions` (multipart: the WAV,
 *    `model=whisper-1`, `response_format=json`) / audio seconds.
 * 2. Throughput of 1, 2 and 4 parallel requests of that file: files per minute and the scaling
 *    against 1. 2 cores and 2 pool workers: ~2× is the ceiling.
 * 3. The server's main-thread event-loop delay (p99 and max, from `GET /metrics`) over the
 *    4-parallel run, on a fresh server so that the figures, cumulative since start, cover little
 *    besides start-up, warm-up (read just before, shown as "idle") and that run. Target p99 < 10 ms.
 * 4. WER of the server's transcript of each voice's recording against the text it was made from.
 * 5. Upload memory, each load on a fresh server: its RSS growth (sampled from /proc every 10 ms) while it
 *    receives one 90 MB upload that is not audio (refused 415 once probed), then 8 concurrent
 *    40 MB uploads without `model` (refused 400 once read). Uploads stream to disk, so the growth
 *    is a few chunks per upload plus garbage V8 has not collected yet. Baseline, measured on the
 *    same machine before uploads streamed (whole body buffered): +367 MB and +185 MB; targets
 *    < 40 MB and < 100 MB.
 *
 * Servers: A runs 1 and 2 in parallel, fresh B runs 4. Each is warmed with two parallel requests
 * first, since a pool worker loads the recognizer on its first task (~0.3 s): A with a short clip,
 * B with the `flite-slt` and `flite-awb` recordings, whose transcripts give their WER.
 *
 * This machine may be shared: each run also shows the CPU that processes other than the server
 * and this one used meanwhile (from /proc/stat), since that skews every figure here.
 */
import { mkdtempSync, openAsBlob, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { wavHeader } from '../src/audio/wav.js';
import { loadConfig } from '../src/config.js';
import { PocketSphinxDecoder, POCKETSPHINX_SAMPLE_RATE_HZ } from '../src/engines/stt/pocketsphinx/decoder.js';
import { TtsService } from '../src/tts/service.js';
import { getText, metric } from './lib/client.js';
import { cpuTimes } from './lib/cpu-time.js';
import { heading, ms, printTable, ratio, verdict } from './lib/report.js';
import { withServer, type BenchServer } from './lib/server.js';
import { summarize } from './lib/stats.js';
import { normalizeWords, wordErrorRate, type WerResult } from './lib/wer.js';
import { HARVARD_SENTENCES } from '../test/fixtures/harvard-sentences.js';
import { peakRssGrowthMb } from '../test/helpers/child-server.js';
import { RawUpload } from '../test/helpers/raw-upload.js';
import { concatPcm } from '../src/audio/pcm.js';

const RATE = POCKETSPHINX_SAMPLE_RATE_HZ;
const SENTENCES = HARVARD_SENTENCES;
const REFERENCE = SENTENCES.join(' ');
/** The RTF and throughput recording's voice; the other two only add WER figures. */
const MAIN_VOICE = 'flite-rms';
const VOICES = ['flite-slt', 'flite-rms', 'flite-awb'] as const;
const GAP_SEC = 0.5;
/** Sentences in the warm-up clip (~8 s of audio). */
const WARMUP_SENTENCES = 3;
const POOL_WORKERS = 2;
/** Parallel requests run on server A, one level after the other; then FRESH_LEVEL on a fresh server B. */
const SERVER_A_LEVELS = [1, 2] as const;
const FRESH_LEVEL = 4;
/** Targets. */
const MAX_RTF_PER_CORE = 0.2;
const MAX_EVENT_LOOP_P99_MS = 10;
/** Four ~65 s files on two workers take ~20 s; far above that something is stuck. */
const TRANSCRIBE_TIMEOUT_MS = 180_000;
/** Upload memory (section 5): before streaming, and the targets, in MB of server RSS growth. */
const UPLOAD_MB = 1 << 20;
const UPLOAD_BASELINE_MB = { single: 367, concurrent: 185 };
const UPLOAD_TARGET_MB = { single: 40, concurrent: 100 };
const EVENT_LOOP_P99 = 'llais_event_loop_delay_seconds{quantile="0.99"}';
const EVENT_LOOP_MAX = 'llais_event_loop_delay_seconds{quantile="1"}';

/** One voice's recording: the sentences' PCM, and the WAV of all of them on disk. */
interface Recording {
  voice: string;
  pieces: Int16Array[];
  pcm: Int16Array;
  audioSec: number;
  wavPath: string;
}

interface Transcription {
  wallMs: number;
  text: string;
}

interface Level {
  parallel: number;
  wallMs: number;
  requests: Transcription[];
  /** Server CPU over the run, ms: its main thread, and all its other threads (the pool and TTS workers). */
  mainCpuMs: number;
  otherCpuMs: number;
  /** CPU of every process but the server and this one over the run, ms (ffmpeg children count here, ~0.1 s a file). */
  foreignCpuMs: number;
}

/** Event-loop delay in ms, since the server started. */
interface EventLoop {
  p99Ms: number;
  maxMs: number;
}

/** The sentences joined with GAP_SEC of digital silence. */
function joinWithGaps(pieces: readonly Int16Array[]): Int16Array {
  const gap = Math.round(GAP_SEC * RATE);
  const out = new Int16Array(pieces.reduce((n, p) => n + p.length, 0) + gap * (pieces.length - 1));
  let at = 0;
  for (const [i, p] of pieces.entries()) {
    if (i > 0) at += gap;
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function writeWav(path: string, pcm: Int16Array): void {
  const data = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  writeFileSync(path, Buffer.concat([wavHeader(data.byteLength, RATE), data]));
}

/** Each sentence synthesized on its own, at the engine's native rate, which must be 16 kHz. */
async function synthesizeSentences(runtime: TtsService, voice: string): Promise<Int16Array[]> {
  const engine = runtime.engine('flite');
  if (!engine) throw new Error('the flite engine is not loaded');
  return Promise.all(
    SENTENCES.map(async (text) => {
      const chunks: Int16Array[] = [];
      const req = { text, voice, language: 'en', speed: 1 };
      for await (const chunk of engine.synthesize(req, AbortSignal.timeout(30_000))) {
        if (chunk.sampleRateHz !== RATE) throw new Error(`${voice} synthesized at ${chunk.sampleRateHz} Hz, not ${RATE}`);
        chunks.push(chunk.pcm);
      }
      return concatPcm(chunks);
    }),
  );
}


async function synthesizeRecordings(dir: string): Promise<Recording[]> {
  const runtime = await TtsService.start({ workers: POOL_WORKERS, modelsDir: loadConfig().modelsDir });
  try {
    const recordings: Recording[] = [];
    for (const voice of VOICES) {
      const pieces = await synthesizeSentences(runtime, voice);
      const pcm = joinWithGaps(pieces);
      const wavPath = join(dir, `${voice}.wav`);
      writeWav(wavPath, pcm);
      recordings.push({ voice, pieces, pcm, audioSec: pcm.length / RATE, wavPath });
    }
    return recordings;
  } finally {
    await runtime.close();
  }
}

/** `POST /v1/audio/transcriptions`, OpenAI style; wall time from just before fetch to the whole body. */
async function transcribe(url: string, wav: Blob): Promise<Transcription> {
  const form = new FormData();
  form.set('file', wav, 'speech.wav');
  form.set('model', 'whisper-1');
  form.set('response_format', 'json');
  const started = performance.now();
  const res = await fetch(`${url}/v1/audio/transcriptions`, { method: 'POST', body: form, signal: AbortSignal.timeout(TRANSCRIBE_TIMEOUT_MS) });
  const body = await res.text();
  const wallMs = performance.now() - started;
  if (res.status !== 200) throw new Error(`POST /v1/audio/transcriptions: HTTP ${res.status} ${body.slice(0, 300)}`);
  const { text } = JSON.parse(body) as { text?: unknown };
  if (typeof text !== 'string') throw new Error(`POST /v1/audio/transcriptions: no text in ${body.slice(0, 300)}`);
  return { wallMs, text };
}

/** Busy CPU time of the whole machine so far, all CPUs, in ms (/proc/stat, in USER_HZ = 100 ticks); NaN without /proc. */
function machineBusyMs(): number {
  try {
    const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return (user! + nice! + system! + irq! + softirq! + steal!) * 10;
  } catch {
    return Number.NaN;
  }
}

/** This process's CPU time so far, ms. */
function ownCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

async function runParallel(server: BenchServer, wav: Blob, parallel: number): Promise<Level> {
  const before = cpuTimes(server.pid);
  const busyBefore = machineBusyMs();
  const ownBefore = ownCpuMs();
  const started = performance.now();
  const requests = await Promise.all(Array.from({ length: parallel }, () => transcribe(server.url, wav)));
  const wallMs = performance.now() - started;
  const after = cpuTimes(server.pid);
  const foreignCpuMs = machineBusyMs() - busyBefore - (ownCpuMs() - ownBefore) - (after.processMs - before.processMs);
  const mainCpuMs = after.mainThreadMs - before.mainThreadMs;
  return { parallel, wallMs, requests, mainCpuMs, otherCpuMs: after.processMs - before.processMs - mainCpuMs, foreignCpuMs };
}

async function serverEventLoop(url: string): Promise<EventLoop> {
  const text = await getText(`${url}/metrics`);
  return { p99Ms: metric(text, EVENT_LOOP_P99) * 1000, maxMs: metric(text, EVENT_LOOP_MAX) * 1000 };
}

const seconds = (msValue: number): string => (Number.isFinite(msValue) ? (msValue / 1000).toFixed(2) : '-');
const fixed = (x: number, digits = 3): string => (Number.isFinite(x) ? x.toFixed(digits) : '-');

/** Runs the whole benchmark and prints its tables. */
export async function runStt(): Promise<void> {
  const benchStarted = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'llais-bench-stt-'));
  try {
    const recordings = await synthesizeRecordings(dir);
    const main = recordings.find((r) => r.voice === MAIN_VOICE)!;
    const warmupPath = join(dir, 'warmup.wav');
    writeWav(warmupPath, joinWithGaps(main.pieces.slice(0, WARMUP_SENTENCES)));
    const wav = await openAsBlob(main.wavPath, { type: 'audio/wav' });
    const clip = await openAsBlob(warmupPath, { type: 'audio/wav' });
    const synthesizedSec = (performance.now() - benchStarted) / 1000;

    heading(
      `Speech to text (PocketSphinx): ${main.audioSec.toFixed(1)} s of '${MAIN_VOICE}' speech ` +
        `(${SENTENCES.length} Harvard sentences, ${GAP_SEC} s gaps, 16 kHz WAV of ${(wav.size / 1e6).toFixed(2)} MB), ` +
        `server with LLAIS_POOL_WORKERS=${POOL_WORKERS}`,
    );

    // (a) In-process: the decoder on this thread, nothing else running (the TTS workers are gone).
    const loadStarted = performance.now();
    const decoder = new PocketSphinxDecoder();
    const loadMs = performance.now() - loadStarted;
    const busyBefore = machineBusyMs();
    const cpuBefore = ownCpuMs();
    const threadBefore = cpuTimes(process.pid).mainThreadMs;
    const wallStarted = performance.now();
    const inProcess = decoder.recognize(main.pcm);
    const inProcessWallMs = performance.now() - wallStarted;
    const threadCpuMs = cpuTimes(process.pid).mainThreadMs - threadBefore;
    const inProcessCpuMs = ownCpuMs() - cpuBefore;
    const inProcessForeignMs = machineBusyMs() - busyBefore - inProcessCpuMs;
    decoder.free();

    // (b) and throughput at 1 and 2 on server A, warmed with a short clip on each worker.
    const serverA = await withServer(
      async (server) => {
        await Promise.all(Array.from({ length: POOL_WORKERS }, () => transcribe(server.url, clip)));
        const levels: Level[] = [];
        for (const parallel of SERVER_A_LEVELS) levels.push(await runParallel(server, wav, parallel));
        return levels;
      },
      { env: { LLAIS_POOL_WORKERS: String(POOL_WORKERS) } },
    );

    // FRESH_LEVEL in parallel on a fresh server B, whose event-loop figures (since start) then cover little
    // else; warmed with the other two voices' recordings, one per worker, which gives their WER.
    const serverB = await withServer(
      async (server) => {
        const others = recordings.filter((r) => r !== main);
        const warmup = await Promise.all(others.map(async (r) => transcribe(server.url, await openAsBlob(r.wavPath, { type: 'audio/wav' }))));
        const idle = await serverEventLoop(server.url);
        const level = await runParallel(server, wav, FRESH_LEVEL);
        const loaded = await serverEventLoop(server.url);
        return { idle, level, loaded, otherTexts: new Map(others.map((r, i) => [r.voice, warmup[i]!.text])) };
      },
      { env: { LLAIS_POOL_WORKERS: String(POOL_WORKERS) } },
    );

    const levels = [...serverA, serverB.level];
    const single = levels.find((l) => l.parallel === 1)!;
    const audio = main.audioSec;

    console.log(`\n1. Real-time factor, ${audio.toFixed(1)} s of audio (recognizer load in-process: ${ms(loadMs)} ms, not counted)`);
    const rtfA = inProcessCpuMs / 1000 / audio;
    printTable(
      ['path', 'wall s', 'CPU s', 'CPU / audio', 'wall / audio', `CPU/audio ≤ ${MAX_RTF_PER_CORE}`],
      [
        ['(a) in-process PocketSphinxDecoder.recognize', seconds(inProcessWallMs), seconds(inProcessCpuMs), fixed(rtfA), fixed(inProcessWallMs / 1000 / audio), verdict(rtfA <= MAX_RTF_PER_CORE)],
        ['(b) server POST /v1/audio/transcriptions, 1 at a time', seconds(single.requests[0]!.wallMs), seconds(single.otherCpuMs), fixed(single.otherCpuMs / 1000 / audio), fixed(single.requests[0]!.wallMs / 1000 / audio), ''],
      ],
    );
    console.log(
      `(a) CPU is this process's (process.cpuUsage; its main thread alone, from /proc: ${seconds(threadCpuMs)} s; ` +
        `other processes used ${seconds(inProcessForeignMs)} s of CPU meanwhile). ` +
        `(b) CPU is the server's non-main threads over the request (/proc, 10 ms ticks; ffmpeg, a child process, not included); ` +
        `its main thread used ${seconds(single.mainCpuMs)} s. (b) has no target of its own: wall / audio includes upload, probe, ffmpeg decoding and the worker hand-off.`,
    );

    console.log(`\n2. Throughput: N parallel requests of the ${audio.toFixed(1)} s file (${POOL_WORKERS} pool workers, ${availableParallelism()} cores: ~${Math.min(POOL_WORKERS, availableParallelism())}× at most)`);
    printTable(
      ['N', 'server', 'wall s', 'req p50 s', 'req max s', 'files/min', 'scaling vs N=1', 'audio s per wall s', 'srv worker CPU s/file', 'srv main CPU s/file', 'srv cores busy', 'others CPU s'],
      levels.map((l) => {
        const req = summarize(l.requests.map((r) => r.wallMs));
        const filesPerMin = (l.parallel / l.wallMs) * 60_000;
        return [
          String(l.parallel),
          l === serverB.level ? 'B (fresh)' : 'A',
          seconds(l.wallMs),
          seconds(req.median),
          seconds(req.max),
          fixed(filesPerMin, 1),
          ratio(filesPerMin / ((1 / single.wallMs) * 60_000)),
          fixed((l.parallel * audio * 1000) / l.wallMs, 1),
          seconds(l.otherCpuMs / l.parallel),
          seconds(l.mainCpuMs / l.parallel),
          fixed((l.mainCpuMs + l.otherCpuMs) / l.wallMs, 2),
          seconds(l.foreignCpuMs),
        ];
      }),
    );

    console.log(
      'srv cores busy: server CPU / wall. others CPU: what every other process (ffmpeg children included, ~0.1 s a file) ' +
        'used during the run; seconds of it mean another workload shared the cores and the figures above are low.',
    );

    console.log(`\n3. Server main-thread event-loop delay, server B (figures since its start, from GET /metrics)`);
    printTable(
      ['read', 'p99 ms', 'max ms', `p99 < ${MAX_EVENT_LOOP_P99_MS} ms`],
      [
        ['idle: after start-up and warm-up (slt + awb files), before the run', ms(serverB.idle.p99Ms), ms(serverB.idle.maxMs), ''],
        [`after ${FRESH_LEVEL} parallel requests`, ms(serverB.loaded.p99Ms), ms(serverB.loaded.maxMs), verdict(serverB.loaded.p99Ms < MAX_EVENT_LOOP_P99_MS)],
      ],
    );
    console.log('The histogram is cumulative (1 ms resolution): a max above the idle max happened during the run; the p99 mixes in the idle seconds before it.');

    console.log(`\n4. WER, reference text vs the server's transcript (${normalizeWords(REFERENCE).length} words, lower-cased, punctuation stripped)`);
    const serverText = (voice: string): string => (voice === MAIN_VOICE ? single.requests[0]!.text : serverB.otherTexts.get(voice)!);
    const werRow = (label: string, r: Recording, w: WerResult): string[] => [
      label,
      fixed(r.audioSec, 1),
      String(w.referenceWords),
      String(w.substitutions),
      String(w.deletions),
      String(w.insertions),
      fixed(w.wer),
    ];
    printTable(
      ['voice', 'audio s', 'ref words', 'sub', 'del', 'ins', 'WER'],
      [
        ...recordings.map((r) => werRow(`${r.voice} (server)`, r, wordErrorRate(REFERENCE, serverText(r.voice)))),
        werRow(`${MAIN_VOICE} (in-process (a))`, main, wordErrorRate(REFERENCE, inProcess.text)),
      ],
    );
    const mainWords = normalizeWords(single.requests[0]!.text).join(' ');
    const sameAcrossRuns = levels.flatMap((l) => l.requests).every((r) => normalizeWords(r.text).join(' ') === mainWords);
    console.log(
      `${MAIN_VOICE}: all ${levels.reduce((n, l) => n + l.parallel, 0)} server transcripts ${sameAcrossRuns ? 'are' : 'are NOT'} word-for-word the same; ` +
        `the server's ${mainWords === normalizeWords(inProcess.text).join(' ') ? 'matches' : 'differs from'} the in-process one.`,
    );
    console.log(`\n5. Upload memory: server RSS growth while receiving (a fresh server for each load)`);
    const oneUpload = await uploadMemory('single');
    const eightUploads = await uploadMemory('concurrent');
    printTable(
      ['upload', 'answers', 'RSS growth MB', 'before streaming MB', 'target'],
      [
        ['one 90 MB, not audio', oneUpload.statuses.join(' '), fixed(oneUpload.growthMb, 1), String(UPLOAD_BASELINE_MB.single), `${verdict(oneUpload.growthMb < UPLOAD_TARGET_MB.single)} < ${UPLOAD_TARGET_MB.single}`],
        ['8 × 40 MB at once, no model', eightUploads.statuses.join(' '), fixed(eightUploads.growthMb, 1), String(UPLOAD_BASELINE_MB.concurrent), `${verdict(eightUploads.growthMb < UPLOAD_TARGET_MB.concurrent)} < ${UPLOAD_TARGET_MB.concurrent}`],
      ],
    );
    console.log(`stt benchmark: ${((performance.now() - benchStarted) / 1000).toFixed(0)} s (synthesis of the three recordings ${synthesizedSec.toFixed(1)} s)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Section 5: one upload load on a fresh server (RSS, once grown, does not shrink back, so each
 * load gets its own), after one small upload has warmed the upload path.
 */
async function uploadMemory(load: 'single' | 'concurrent'): Promise<{ statuses: number[]; growthMb: number }> {
  return withServer(async (server) => {
    const port = Number(new URL(server.url).port);
    const send = async (path: string, fileBytes: number): Promise<number> => {
      const upload = new RawUpload(port, { path, fileBytes });
      await upload.send();
      return (await upload.response).status;
    };
    await send('/v1/stt/', UPLOAD_MB);
    const { result, growthMb } = await peakRssGrowthMb(server.pid, () =>
      load === 'single'
        ? Promise.all([send('/v1/stt/', 90 * UPLOAD_MB)])
        : Promise.all(Array.from({ length: 8 }, () => send('/v1/audio/transcriptions', 40 * UPLOAD_MB))),
    );
    return { statuses: result, growthMb };
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runStt().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
