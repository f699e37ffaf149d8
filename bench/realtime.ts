/**
 * The live voice endpoint `GET /v1/realtime` (OpenAI Realtime over WebSocket), against a server in
 * a child process (bench/lib/realtime-server.ts, which also reports `turnTimings` and its heap).
 * Clients are `ws` sockets that stream 20 ms `input_audio_buffer.append` frames at real-time pace
 * from connect to close, silence between utterances, as a microphone would. Utterances are Harvard
 * sentences spoken by the server itself (`POST /v1/audio/speech`, `flite-rms`, `pcm`).
 *
 * 1. Turn latency: 3 concurrent sessions (started 1 s apart) × 6 sentences, each sentence + 1.2 s
 *    of silence, the next one once the reply is done; the first turn of each session warms the
 *    pool's recognizers and is dropped. Per turn, from the client's clock: the end of user speech
 *    is when the client sent the audio at `audio_end_ms + silence_duration_ms` (the server's
 *    `speech_stopped` gives `audio_end_ms`), and latency runs from there to the first
 *    `response.output_audio.delta`. The server's own stage split comes from `turnTimings`.
 *    Target: p50 ≤ 250 ms.
 * 2. VAD cost per 96 ms frame, in this process: `VoiceActivity.push` (resampling, framing, model,
 *    turn detection) and `VadStream.process` against a bare onnxruntime-node `session.run` loop on
 *    the same model file with the same session options. Blocks interleaved. Target: ratio ≤ 1.1.
 * 3. Capacity: N = 1, 10, 25 sessions streaming speech + 2 s silence in a loop (starts spread over
 *    the loop, `create_response: false`, so no replies), 6 s measured per level: the server main
 *    thread's CPU per second of audio per session (onnxruntime-node runs `session.run` on the
 *    calling thread, so the VAD is in it), the sessions one core could hold, and whether VAD events
 *    stay on time: `speech_stopped` lag = its arrival − the send of the audio that closed the
 *    silence window. Live STT runs in the pool's worker threads, so it shows in the process's CPU
 *    but not the main thread's.
 * 4. Memory per session (server RSS and V8 heap after a full GC): 50 idle open sessions; the 10
 *    streaming sessions of level N = 10.
 */
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import ort from 'onnxruntime-node';
import { StreamResampler } from '../src/audio/resample.js';
import { SileroVad, sileroModelPath, VAD_FRAME_MS, VAD_FRAME_SAMPLES, VAD_SAMPLE_RATE_HZ } from '../src/engines/vad/silero-vad.js';
import { VoiceActivity } from '../src/engines/vad/voice-activity.js';
import type { TurnTiming } from '../src/realtime/openai/telemetry.js';
import { HARVARD_SENTENCES } from '../test/fixtures/harvard-sentences.js';
import { cpuTimes } from './lib/cpu-time.js';
import { FRAME_MS, RealtimeClient, RT_SAMPLE_RATE_HZ, type TimedEvent } from './lib/realtime-client.js';
import { startRealtimeServer, type RealtimeBenchServer, type ServerMemory } from './lib/realtime-server.js';
import { heading, ms, printTable, ratio, verdict } from './lib/report.js';
import { summarize, type Summary } from './lib/stats.js';

const VOICE = 'flite-rms';
/** The server's default `server_vad` silence window; the benchmark does not change it. */
const SILENCE_DURATION_MS = 500;
/** The turn detector confirms silence a whole VAD frame at a time: 6 × 96 = 576 ms after the speech ended. */
const WINDOW_CLOSE_MS = Math.ceil(SILENCE_DURATION_MS / VAD_FRAME_MS) * VAD_FRAME_MS;

const TURN_SESSIONS = 3;
const TURNS_PER_SESSION = 6;
/** Turns dropped at the start of each session: the first loads a recognizer in a pool worker. */
const WARMUP_TURNS = 1;
const SESSION_STAGGER_MS = 1000;
const TRAILING_SILENCE_MS = 1200;
const MAX_TURN_LATENCY_P50_MS = 250;

const VAD_ROUNDS = 4;
const VAD_FRAMES_PER_BLOCK = 150;
const VAD_WARMUP_FRAMES = 30;
const MAX_VAD_RATIO = 1.1;

/** 0 is the server's own background CPU over the same window, subtracted from the others. */
const LOAD_LEVELS = [0, 1, 10, 25] as const;
const LOAD_GAP_MS = 2000;
/** Sessions settle (connect, update, first frames) before the measured window. */
const LOAD_SETTLE_MS = 1000;
const LOAD_WINDOW_MS = 6000;
/** A VAD event later than this after the audio that caused it is late for a conversation. */
const MAX_STOPPED_LAG_P95_MS = 100;
const IDLE_SESSIONS = 50;
const IDLE_WINDOW_MS = 2000;
const MEMORY_LEVEL = 10;

const sleep = (msec: number): Promise<void> => new Promise((r) => setTimeout(r, msec));
const silence = (msec: number): Buffer => Buffer.alloc((RT_SAMPLE_RATE_HZ / 1000) * 2 * msec);
const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
const kib = (bytes: number): string => (bytes / 1024).toFixed(0);

async function speak(server: RealtimeBenchServer, text: string): Promise<Buffer> {
  const res = await fetch(`${server.url}/v1/audio/speech`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'tts-1', voice: VOICE, input: text, response_format: 'pcm' }),
  });
  if (res.status !== 200) throw new Error(`POST /v1/audio/speech: ${res.status} ${await res.text()}`);
  return Buffer.from(await res.arrayBuffer());
}

// ---- 1. Turn latency -------------------------------------------------------------------------

interface TurnSample {
  sessionId: string;
  turn: number;
  /** First audio delta − send of the audio at audio_end_ms + silence window. */
  latencyMs: number;
  /** First audio delta − send of the audio that closed the window (the server's totalMs, seen by the client). */
  fromCloseMs: number;
  /** speech_stopped arrival − send of the audio that closed the window. */
  stoppedLagMs: number;
  /** speech_started events in this utterance (1 unless the VAD split it). */
  starts: number;
}

function indexOf(client: RealtimeClient, e: TimedEvent): number {
  return client.events.indexOf(e);
}

async function conversation(server: RealtimeBenchServer, utterances: readonly Buffer[], delayMs: number): Promise<TurnSample[]> {
  await sleep(delayMs);
  const client = await RealtimeClient.connect(server.url);
  const sessionId = client.events[0]!.event.session.id as string;
  const samples: TurnSample[] = [];
  try {
    client.startStreaming();
    await sleep(300);
    for (const [turn, pcm] of utterances.entries()) {
      const from = client.events.length;
      client.enqueue(pcm);
      client.enqueue(silence(TRAILING_SILENCE_MS));
      const stopped = await client.waitFor('input_audio_buffer.speech_stopped', { from });
      const delta = await client.waitFor('response.output_audio.delta', { from: indexOf(client, stopped) });
      const done = await client.waitFor('response.done', { from: indexOf(client, delta) });
      const endMs = stopped.event.audio_end_ms as number;
      const closedAt = client.sentAtStreamMs(endMs + WINDOW_CLOSE_MS);
      samples.push({
        sessionId,
        turn,
        latencyMs: delta.at - client.sentAtStreamMs(endMs + SILENCE_DURATION_MS),
        fromCloseMs: delta.at - closedAt,
        stoppedLagMs: stopped.at - closedAt,
        starts: client.events.slice(from, indexOf(client, done)).filter((e) => e.event.type === 'input_audio_buffer.speech_started').length,
      });
      while (client.queuedMs > 0) await sleep(FRAME_MS);
    }
  } finally {
    await client.close();
  }
  return samples;
}

interface TurnResult {
  latency: Summary;
  stages: Record<keyof Omit<TurnTiming, 'sessionId'>, Summary>;
}

async function turnLatency(server: RealtimeBenchServer, speech: readonly Buffer[]): Promise<TurnResult> {
  heading(`Realtime turn latency: ${TURN_SESSIONS} concurrent sessions × ${TURNS_PER_SESSION} sentences ('${VOICE}', + ${TRAILING_SILENCE_MS} ms silence), echo responder, first ${WARMUP_TURNS} turn of each dropped`);
  const timings: TurnTiming[] = [];
  const unsubscribe = server.onTurn((t) => timings.push(t));
  const perSession = await Promise.all(
    Array.from({ length: TURN_SESSIONS }, (_, s) => conversation(server, speech.slice(s * TURNS_PER_SESSION, (s + 1) * TURNS_PER_SESSION), s * SESSION_STAGGER_MS)),
  );
  // The last turn's timing is emitted once its reply is done, which the conversation waited for.
  unsubscribe();
  const samples = perSession.flat().filter((s) => s.turn >= WARMUP_TURNS);
  const split = new Set(perSession.flat().filter((s) => s.starts !== 1));
  // turnTimings arrive per session in turn order; drop each session's warm-up turns the same way.
  const seen = new Map<string, number>();
  const measured = timings.filter((t) => {
    const n = seen.get(t.sessionId) ?? 0;
    seen.set(t.sessionId, n + 1);
    return n >= WARMUP_TURNS;
  });
  const latency = summarize(samples.map((s) => s.latencyMs));
  const fromClose = summarize(samples.map((s) => s.fromCloseMs));
  const stopped = summarize(samples.map((s) => s.stoppedLagMs));
  const stage = (k: keyof Omit<TurnTiming, 'sessionId'>): Summary => summarize(measured.map((t) => t[k]));
  const stages = { vadMs: stage('vadMs'), sttMs: stage('sttMs'), llmMs: stage('llmMs'), ttsMs: stage('ttsMs'), totalMs: stage('totalMs') };
  printTable(
    ['measure (client clock unless "server")', 'n', 'p50 ms', 'p95 ms', 'max ms', `p50 ≤ ${MAX_TURN_LATENCY_P50_MS}`],
    [
      [`end of speech + ${SILENCE_DURATION_MS} ms → first audio delta`, String(latency.n), ms(latency.median), ms(latency.p95), ms(latency.max), verdict(latency.median <= MAX_TURN_LATENCY_P50_MS)],
      [`window-closing append (+${WINDOW_CLOSE_MS} ms) → first audio delta`, String(fromClose.n), ms(fromClose.median), ms(fromClose.p95), ms(fromClose.max), ''],
      ['window-closing append → speech_stopped', String(stopped.n), ms(stopped.median), ms(stopped.p95), ms(stopped.max), ''],
      ['server: VAD (append received → speech_stopped)', String(stages.vadMs.n), ms(stages.vadMs.median), ms(stages.vadMs.p95), ms(stages.vadMs.max), ''],
      ['server: STT tail (speech_stopped → transcript)', String(stages.sttMs.n), ms(stages.sttMs.median), ms(stages.sttMs.p95), ms(stages.sttMs.max), ''],
      ['server: LLM (transcript → first sentence)', String(stages.llmMs.n), ms(stages.llmMs.median), ms(stages.llmMs.p95), ms(stages.llmMs.max), ''],
      ['server: TTS (first sentence → first delta)', String(stages.ttsMs.n), ms(stages.ttsMs.median), ms(stages.ttsMs.p95), ms(stages.ttsMs.max), ''],
      ['server: total (append received → first delta)', String(stages.totalMs.n), ms(stages.totalMs.median), ms(stages.totalMs.p95), ms(stages.totalMs.max), ''],
    ],
  );
  console.log(
    `the first ${WINDOW_CLOSE_MS - SILENCE_DURATION_MS} ms of "end of speech + ${SILENCE_DURATION_MS} ms" is the VAD's 96 ms framing: silence is confirmed on the frame that crosses ${SILENCE_DURATION_MS} ms.` +
      (split.size > 0 ? ` ${split.size} utterance(s) saw a speech_started count other than 1.` : ''),
  );
  return { latency, stages };
}

// ---- 2. VAD cost per frame -------------------------------------------------------------------

interface VadCost {
  /** Wall µs per frame, p50 over frames. */
  wallUs: Summary;
  /** CPU µs per frame (this process, all threads), over all measured blocks. */
  cpuUs: number;
}

/** Each path timed one model frame per call, blocks of frames interleaved round by round. */
async function vadCosts(speech: readonly Buffer[]): Promise<Record<'activity' | 'resample' | 'stream' | 'raw', VadCost>> {
  heading(`VAD cost per ${VAD_FRAME_MS} ms frame (Silero v4, ${VAD_FRAME_SAMPLES} samples at 16 kHz), in-process, ${VAD_ROUNDS} interleaved rounds × ${VAD_FRAMES_PER_BLOCK} frames`);
  // 24 kHz speech with gaps, and the same at 16 kHz as model frames.
  const pcm24 = Buffer.concat(speech.flatMap((b) => [b, silence(500)]));
  const s24 = new Int16Array(pcm24.buffer, pcm24.byteOffset, pcm24.byteLength / 2);
  const s16 = new StreamResampler(RT_SAMPLE_RATE_HZ, VAD_SAMPLE_RATE_HZ).process(s24);
  const frames16: Float32Array[] = [];
  for (let i = 0; i + VAD_FRAME_SAMPLES <= s16.length; i += VAD_FRAME_SAMPLES) frames16.push(Float32Array.from(s16.subarray(i, i + VAD_FRAME_SAMPLES), (x) => x / 32768));
  const chunk24 = (VAD_FRAME_SAMPLES * RT_SAMPLE_RATE_HZ) / VAD_SAMPLE_RATE_HZ; // one model frame of input

  const vad = await SileroVad.load();
  // As a session runs it: input is resampled to 16 kHz once (shared with the recognizer), then framed.
  const activity = new VoiceActivity(vad, { inputSampleRateHz: VAD_SAMPLE_RATE_HZ });
  const stream = vad.createStream();
  // The bare baseline: the same file and session options as SileroVad.load(), state copied back by hand.
  const session = await ort.InferenceSession.create(sileroModelPath(), { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  const input = new Float32Array(VAD_FRAME_SAMPLES);
  const h = new Float32Array(128);
  const c = new Float32Array(128);
  const feeds = {
    input: new ort.Tensor('float32', input, [1, VAD_FRAME_SAMPLES]),
    sr: new ort.Tensor('int64', BigInt64Array.of(BigInt(VAD_SAMPLE_RATE_HZ)), []),
    h: new ort.Tensor('float32', h, [2, 1, 64]),
    c: new ort.Tensor('float32', c, [2, 1, 64]),
  };
  const resampler = new StreamResampler(RT_SAMPLE_RATE_HZ, VAD_SAMPLE_RATE_HZ);
  let r24 = 0;
  let a24 = 0;
  let events = 0;
  let f16 = 0;
  const steps = {
    // One push of 96 ms of 16 kHz input completes one model frame.
    activity: async (): Promise<void> => {
      if (a24 + VAD_FRAME_SAMPLES > s16.length) a24 = 0;
      for await (const _ of activity.push(s16.subarray(a24, a24 + VAD_FRAME_SAMPLES))) events++;
      a24 += VAD_FRAME_SAMPLES;
    },
    // The session's one resampling of 96 ms of 24 kHz input to 16 kHz (shared by VAD and recognizer).
    resample: async (): Promise<void> => {
      if (r24 + chunk24 > s24.length) r24 = 0;
      resampler.process(s24.subarray(r24, r24 + chunk24));
      r24 += chunk24;
    },
    stream: async (): Promise<void> => {
      await stream.process(frames16[f16++ % frames16.length]!);
    },
    raw: async (): Promise<void> => {
      input.set(frames16[f16++ % frames16.length]!);
      const out = await session.run(feeds);
      h.set(out.hn!.data as Float32Array);
      c.set(out.cn!.data as Float32Array);
    },
  };
  type Kind = keyof typeof steps;
  const kinds = Object.keys(steps) as Kind[];
  const wall = Object.fromEntries(kinds.map((k) => [k, [] as number[]])) as Record<Kind, number[]>;
  const cpu = Object.fromEntries(kinds.map((k) => [k, 0])) as Record<Kind, number>;
  for (const k of kinds) for (let i = 0; i < VAD_WARMUP_FRAMES; i++) await steps[k]();
  for (let round = 0; round < VAD_ROUNDS; round++) {
    for (let j = 0; j < kinds.length; j++) {
      const k = kinds[(round + j) % kinds.length]!;
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < VAD_FRAMES_PER_BLOCK; i++) {
        const t0 = performance.now();
        await steps[k]();
        wall[k].push((performance.now() - t0) * 1000);
      }
      const d = process.cpuUsage(cpu0);
      cpu[k] += d.user + d.system;
    }
  }
  await session.release();
  await vad.close();
  const frames = VAD_ROUNDS * VAD_FRAMES_PER_BLOCK;
  const result = Object.fromEntries(kinds.map((k) => [k, { wallUs: summarize(wall[k]), cpuUs: cpu[k] / frames }])) as Record<Kind, VadCost>;
  const labels: Record<Kind, string> = {
    activity: 'VoiceActivity.push at 16 kHz (frame + model + detector)',
    resample: 'session input StreamResampler 24 → 16 kHz (2304 samples; also feeds STT)',
    stream: 'VadStream.process (model + state copy)',
    raw: 'raw ort session.run loop (baseline)',
  };
  const base = result.raw.wallUs.median;
  printTable(
    ['path', 'frames', 'wall p50 µs', 'wall p95 µs', 'CPU µs/frame', 'p50 / raw', `≤ ${MAX_VAD_RATIO}`],
    kinds.map((k) => [
      labels[k],
      String(frames),
      result[k].wallUs.median.toFixed(0),
      result[k].wallUs.p95.toFixed(0),
      result[k].cpuUs.toFixed(0),
      ratio(result[k].wallUs.median / base),
      k === 'raw' || k === 'resample' ? '' : verdict(result[k].wallUs.median / base <= MAX_VAD_RATIO),
    ]),
  );
  console.log(`(turn events from VoiceActivity during the run: ${events}; CPU includes this process's other threads, which are idle here)`);
  return result;
}

// ---- 3 + 4. Capacity and memory --------------------------------------------------------------

interface LoadLevel {
  sessions: number;
  audioSec: number;
  mainCpuMs: number;
  processCpuMs: number;
  stoppedLag: Summary;
  turns: number;
  transcribed: number;
  failed: number;
  errors: number;
  memory: { before: ServerMemory; during: ServerMemory; after: ServerMemory } | null;
}

/** Opens `n` sessions with server VAD on and replies off. */
async function openSessions(server: RealtimeBenchServer, n: number, noReplies: boolean): Promise<RealtimeClient[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const client = await RealtimeClient.connect(server.url);
      if (noReplies) await client.update({ audio: { input: { turn_detection: { type: 'server_vad', create_response: false } } } });
      return client;
    }),
  );
}

async function loadLevel(server: RealtimeBenchServer, n: number, loop: Buffer, speechGapBytes: number, measureMemory: boolean): Promise<LoadLevel> {
  const before = measureMemory ? await server.memory() : null;
  const clients = await openSessions(server, n, true);
  // Starts spread over one sentence + gap (not the whole loop), so turns do not all end together
  // and every session has ended a turn or two inside the measured window.
  const loopMs = (speechGapBytes / 2 / RT_SAMPLE_RATE_HZ) * 1000;
  for (const [i, client] of clients.entries()) {
    client.enqueue(silence(Math.round(((i * loopMs) / n / FRAME_MS)) * FRAME_MS));
    client.startStreaming();
  }
  const refill = setInterval(() => {
    for (const client of clients) if (client.queuedMs < 500) client.enqueue(loop);
  }, 100);
  try {
    await sleep(LOAD_SETTLE_MS);
    const from = clients.map((c) => c.events.length);
    const streamed0 = clients.reduce((t, c) => t + c.streamedMs, 0);
    const cpu0 = cpuTimes(server.pid);
    await sleep(LOAD_WINDOW_MS);
    const cpu1 = cpuTimes(server.pid);
    const audioSec = (clients.reduce((t, c) => t + c.streamedMs, 0) - streamed0) / 1000;
    const during = measureMemory ? await server.memory() : null;
    const lags: number[] = [];
    let transcribed = 0;
    let failed = 0;
    let errors = 0;
    for (const [i, client] of clients.entries()) {
      for (const { at, event } of client.events.slice(from[i])) {
        if (event.type === 'input_audio_buffer.speech_stopped') lags.push(at - client.sentAtStreamMs((event.audio_end_ms as number) + WINDOW_CLOSE_MS));
        else if (event.type === 'conversation.item.input_audio_transcription.completed') transcribed++;
        else if (event.type === 'conversation.item.input_audio_transcription.failed') failed++;
        else if (event.type === 'error') errors++;
      }
    }
    await Promise.all(clients.map((c) => c.close()));
    await sleep(300);
    const after = measureMemory ? await server.memory() : null;
    return {
      sessions: n,
      audioSec,
      mainCpuMs: cpu1.mainThreadMs - cpu0.mainThreadMs,
      processCpuMs: cpu1.processMs - cpu0.processMs,
      stoppedLag: summarize(lags),
      turns: lags.length,
      transcribed,
      failed,
      errors,
      memory: before && during && after ? { before, during, after } : null,
    };
  } finally {
    clearInterval(refill);
    await Promise.all(clients.map((c) => c.close()));
  }
}

interface Capacity {
  cpuMsPerAudioSec: number;
  sessionsPerCore: number;
  lagP95Ms: number;
  idle: { rssPerSession: number; heapPerSession: number };
  active: { rssPerSession: number; heapPerSession: number };
}

async function capacity(server: RealtimeBenchServer, speech: readonly Buffer[], vadCpuUs: number): Promise<Capacity> {
  heading(`Realtime capacity: N sessions streaming speech + ${LOAD_GAP_MS} ms silence at real-time pace, server VAD on, replies off, ${LOAD_WINDOW_MS / 1000} s measured per level`);
  // The first session loads the VAD model; that is not a session's cost.
  await Promise.all((await openSessions(server, 1, false)).map((c) => c.close()));
  await sleep(300);

  // Idle sessions: memory, and what an open session costs doing nothing.
  const idleBefore = await server.memory();
  const idleClients = await openSessions(server, IDLE_SESSIONS, false);
  await sleep(300);
  const idleOpen = await server.memory();
  const idleCpu0 = cpuTimes(server.pid);
  await sleep(IDLE_WINDOW_MS);
  const idleCpuMs = cpuTimes(server.pid).mainThreadMs - idleCpu0.mainThreadMs;
  await Promise.all(idleClients.map((c) => c.close()));
  await sleep(300);
  const idleAfter = await server.memory();

  const loop = Buffer.concat([...speech.slice(0, 3).flatMap((b) => [b, silence(LOAD_GAP_MS)])]);
  const levels: LoadLevel[] = [];
  for (const n of LOAD_LEVELS) levels.push(await loadLevel(server, n, loop, speech[0]!.length + silence(LOAD_GAP_MS).length, n === MEMORY_LEVEL));

  const background = levels.find((l) => l.sessions === 0)!;
  const loaded = levels.filter((l) => l.sessions > 0);
  // Background CPU (timers, metrics, idle workers) is the same whatever the sessions do.
  const perAudioSec = (l: LoadLevel): number => (l.mainCpuMs - background.mainCpuMs) / l.audioSec;
  const processPerAudioSec = (l: LoadLevel): number => (l.processCpuMs - background.processCpuMs) / l.audioSec;
  console.log(`background (0 sessions, ${LOAD_WINDOW_MS / 1000} s): main thread ${background.mainCpuMs.toFixed(0)} ms, whole process ${background.processCpuMs.toFixed(0)} ms CPU; subtracted below`);
  printTable(
    ['sessions', 'audio s', 'main CPU ms (raw)', 'main CPU ms / audio s / session', 'process CPU ms / audio s / session', 'speech_stopped', 'lag p50 ms', 'lag p95 ms', 'lag max ms', `p95 ≤ ${MAX_STOPPED_LAG_P95_MS}`, 'transcribed', 'stt failed', 'errors'],
    loaded.map((l) => [
      String(l.sessions),
      l.audioSec.toFixed(1),
      l.mainCpuMs.toFixed(0),
      perAudioSec(l).toFixed(1),
      processPerAudioSec(l).toFixed(1),
      String(l.turns),
      ms(l.stoppedLag.median),
      ms(l.stoppedLag.p95),
      ms(l.stoppedLag.max),
      verdict(l.stoppedLag.p95 <= MAX_STOPPED_LAG_P95_MS),
      String(l.transcribed),
      String(l.failed),
      String(l.errors),
    ]),
  );
  // Per-session cost from the busiest level whose VAD kept time (the fixed costs spread thinnest there).
  const onTime = loaded.filter((l) => l.stoppedLag.p95 <= MAX_STOPPED_LAG_P95_MS);
  const basis = onTime[onTime.length - 1] ?? loaded[0]!;
  const cpuMsPerAudioSec = perAudioSec(basis);
  const vadMsPerAudioSec = (vadCpuUs / 1000) * (1000 / VAD_FRAME_MS);
  const sessionsPerCore = 1000 / cpuMsPerAudioSec;
  console.log(
    `VAD alone (section 2's VoiceActivity CPU): ${vadMsPerAudioSec.toFixed(1)} ms CPU per audio second → ${(1000 / vadMsPerAudioSec).toFixed(0)} sessions per core; ` +
      `measured main thread at N = ${basis.sessions}: ${cpuMsPerAudioSec.toFixed(1)} ms per audio second per session → ${sessionsPerCore.toFixed(0)} sessions per core ` +
      `(this machine: ${cpus().length} cores; the main thread is one of them, and live STT shares the rest with the pool).`,
  );
  console.log(`idle open sessions: ${((idleCpuMs / (IDLE_WINDOW_MS / 1000)) / IDLE_SESSIONS).toFixed(2)} ms main-thread CPU per second per session (${IDLE_SESSIONS} sessions, ${IDLE_WINDOW_MS / 1000} s, /proc tick = 10 ms)`);

  const mem = levels.find((l) => l.memory)?.memory ?? null;
  const per = (a: ServerMemory, b: ServerMemory, n: number): { rssPerSession: number; heapPerSession: number } => ({ rssPerSession: (b.rss - a.rss) / n, heapPerSession: (b.heapUsed - a.heapUsed) / n });
  const idle = per(idleBefore, idleOpen, IDLE_SESSIONS);
  const active = mem ? per(mem.before, mem.during, MEMORY_LEVEL) : { rssPerSession: Number.NaN, heapPerSession: Number.NaN };
  printTable(
    ['server memory (after full GC)', 'RSS MiB', 'heap MiB', 'external MiB', 'RSS KiB / session', 'heap KiB / session'],
    [
      ['before the idle sessions', mib(idleBefore.rss), mib(idleBefore.heapUsed), mib(idleBefore.external), '', ''],
      [`${IDLE_SESSIONS} idle sessions open`, mib(idleOpen.rss), mib(idleOpen.heapUsed), mib(idleOpen.external), kib(idle.rssPerSession), kib(idle.heapPerSession)],
      [`after closing them`, mib(idleAfter.rss), mib(idleAfter.heapUsed), mib(idleAfter.external), '', ''],
      ...(mem
        ? [
            [`before ${MEMORY_LEVEL} streaming sessions`, mib(mem.before.rss), mib(mem.before.heapUsed), mib(mem.before.external), '', ''],
            [`${MEMORY_LEVEL} streaming sessions (end of window)`, mib(mem.during.rss), mib(mem.during.heapUsed), mib(mem.during.external), kib(active.rssPerSession), kib(active.heapPerSession)],
            [`after closing them`, mib(mem.after.rss), mib(mem.after.heapUsed), mib(mem.after.external), '', ''],
          ]
        : []),
    ],
  );
  console.log('RSS counts the worker threads too (pool STT, TTS) and moves by tens of MiB between readings as allocators return pages; the V8 heap figure is the stable one.');
  return { cpuMsPerAudioSec, sessionsPerCore, lagP95Ms: basis.stoppedLag.p95, idle, active };
}

/** Runs all four parts against one child-process server and prints the closing summary. */
export async function runRealtime(): Promise<void> {
  const server = await startRealtimeServer();
  try {
    const sentences = HARVARD_SENTENCES.slice(0, TURN_SESSIONS * TURNS_PER_SESSION);
    const speech: Buffer[] = [];
    for (const text of sentences) speech.push(await speak(server, text));
    const turns = await turnLatency(server, speech);
    const vad = await vadCosts(speech.slice(0, 6));
    const cap = await capacity(server, speech, vad.activity.cpuUs);
    heading('Realtime summary');
    console.log(`turn latency (end of speech + ${SILENCE_DURATION_MS} ms → first audio): p50 ${ms(turns.latency.median)} ms, p95 ${ms(turns.latency.p95)} ms, n ${turns.latency.n} — ${verdict(turns.latency.median <= MAX_TURN_LATENCY_P50_MS)} (p50 ≤ ${MAX_TURN_LATENCY_P50_MS} ms)`);
    console.log(
      `server stages p50/p95 ms: VAD ${ms(turns.stages.vadMs.median)}/${ms(turns.stages.vadMs.p95)}, STT ${ms(turns.stages.sttMs.median)}/${ms(turns.stages.sttMs.p95)}, ` +
        `LLM ${ms(turns.stages.llmMs.median)}/${ms(turns.stages.llmMs.p95)}, TTS ${ms(turns.stages.ttsMs.median)}/${ms(turns.stages.ttsMs.p95)}, total ${ms(turns.stages.totalMs.median)}/${ms(turns.stages.totalMs.p95)}`,
    );
    const r = vad.activity.wallUs.median / vad.raw.wallUs.median;
    console.log(`VAD per frame p50: VoiceActivity ${vad.activity.wallUs.median.toFixed(0)} µs, raw session.run ${vad.raw.wallUs.median.toFixed(0)} µs, ratio ${ratio(r)} — ${verdict(r <= MAX_VAD_RATIO)} (≤ ${MAX_VAD_RATIO})`);
    console.log(`capacity: ${cap.cpuMsPerAudioSec.toFixed(1)} ms main-thread CPU per audio second per session → ~${cap.sessionsPerCore.toFixed(0)} sessions per core; speech_stopped lag p95 ${ms(cap.lagP95Ms)} ms`);
    console.log(`memory per session: idle ${kib(cap.idle.rssPerSession)} KiB RSS / ${kib(cap.idle.heapPerSession)} KiB heap; streaming ${kib(cap.active.rssPerSession)} KiB RSS / ${kib(cap.active.heapPerSession)} KiB heap`);
  } finally {
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runRealtime().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
