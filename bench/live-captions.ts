/**
 * Live captions (issue 15): N concurrent `/v1/stt/ws` sessions (N = 1, 10, 25), each streaming
 * two Harvard sentences at real-time pace (20 ms frames, 1.2 s of silence after each). Only the
 * second sentence of each session is counted (the first loads decoders). Server in a child
 * process, live turns on the pinned live threads (`sttLiveDecoders: pinned`, the mode for many
 * live speakers).
 *
 * Per word of a sentence's `final` (its end time on the stream clock, from the recognizer):
 * caption latency = arrival of the first `partial` that holds the word (same text, end within
 * 0.35 s) − the moment the client sent the audio at the word's end. The baseline, measured in the
 * same run, is the same sessions with `partials=false`: the word's latency is then the `final`'s
 * arrival, which is what captions had before partials. CPU per session: the server process's CPU
 * time (/proc) over the streaming, divided by sessions and wall time, with and without partials.
 * Target: with partials, p95 word latency below the final-only p50.
 */
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { HARVARD_SENTENCES } from '../test/fixtures/harvard-sentences.js';
import { cpuTimes } from './lib/cpu-time.js';
import { startRealtimeServer, type RealtimeBenchServer } from './lib/realtime-server.js';
import { heading, ms, printTable, verdict } from './lib/report.js';
import { summarize } from './lib/stats.js';

const LEVELS = [1, 10, 25] as const;
const RATE_HZ = 24_000;
const FRAME_MS = 20;
const TRAILING_SILENCE_MS = 1200;
/** A word seen in a partial ending this close to its final end time is the same word. */
const SAME_WORD_SEC = 0.35;
const VOICE = 'flite-rms';
const FINAL_TIMEOUT_MS = 20_000;

interface Timed {
  at: number;
  // Server messages are read field by field below.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  msg: any;
}

async function speak(url: string, text: string): Promise<Buffer> {
  const res = await fetch(`${url}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'tts-1', voice: VOICE, input: text, response_format: 'pcm' }) });
  if (res.status !== 200) throw new Error(`POST /v1/audio/speech: ${res.status} ${await res.text()}`);
  return Buffer.from(await res.arrayBuffer());
}

/** One session: streams `audio` at real time; resolves with every message and when each ms of audio was sent. */
async function session(url: string, audio: Buffer, partials: boolean, offsetMs: number): Promise<{ messages: Timed[]; sentAt: (sec: number) => number }> {
  await new Promise((r) => setTimeout(r, offsetMs));
  const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/stt/ws?sample_rate=${RATE_HZ}&partials=${partials}`);
  const messages: Timed[] = [];
  ws.on('message', (d, binary) => binary || messages.push({ at: performance.now(), msg: JSON.parse(d.toString()) }));
  await once(ws, 'open');
  const frameBytes = (RATE_HZ / 1000) * 2 * FRAME_MS;
  const sent: number[] = [];
  const start = performance.now();
  for (let i = 0, n = 0; i < audio.length; i += frameBytes, n++) {
    ws.send(audio.subarray(i, i + frameBytes));
    sent.push(performance.now());
    const wait = start + (n + 1) * FRAME_MS - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  ws.send(JSON.stringify({ type: 'close' }));
  await Promise.race([once(ws, 'close'), new Promise((r) => setTimeout(r, FINAL_TIMEOUT_MS))]);
  ws.terminate();
  return { messages, sentAt: (sec) => sent[Math.min(sent.length - 1, Math.floor((sec * 1000) / FRAME_MS))]! };
}

/** Latency of each word of the session's second final: its first partial (or the final itself). */
function wordLatencies(r: { messages: Timed[]; sentAt: (sec: number) => number }): number[] {
  const finals = r.messages.filter((m) => m.msg.type === 'final');
  const final = finals[1];
  if (final === undefined) return [];
  const partials = r.messages.filter((m) => m.msg.type === 'partial' && m.msg.utterance_id === final.msg.utterance_id);
  return (final.msg.words as Array<{ word: string; end: number }>).map((w) => {
    const first = partials.find((p) => (p.msg.words as Array<{ word: string; end: number }>).some((x) => x.word === w.word && Math.abs(x.end - w.end) <= SAME_WORD_SEC));
    return (first ?? final).at - r.sentAt(w.end);
  });
}

interface LevelResult {
  latencies: number[];
  cpuPerSessionPct: number;
  finals: number;
}

async function runLevel(server: RealtimeBenchServer, sessions: number, partials: boolean, speech: Buffer[]): Promise<LevelResult> {
  const silence = Buffer.alloc((RATE_HZ / 1000) * 2 * TRAILING_SILENCE_MS);
  const audioOf = (i: number): Buffer => Buffer.concat([speech[i % speech.length]!, silence, speech[(i + 1) % speech.length]!, silence]);
  const cpuBefore = cpuTimes(server.pid).processMs;
  const started = performance.now();
  // Starts spread over a second, so the sessions' frames do not arrive in lockstep.
  const results = await Promise.all(Array.from({ length: sessions }, (_, i) => session(server.url, audioOf(i), partials, (i * 1000) / sessions)));
  const wallMs = performance.now() - started;
  const cpuMs = cpuTimes(server.pid).processMs - cpuBefore;
  return {
    latencies: results.flatMap(wordLatencies),
    cpuPerSessionPct: (cpuMs / wallMs / sessions) * 100,
    finals: results.filter((r) => r.messages.filter((m) => m.msg.type === 'final').length >= 2).length,
  };
}

export async function runLiveCaptions(): Promise<void> {
  heading('Live captions: /v1/stt/ws sessions at real-time pace (word end → first shown)');
  const server = await startRealtimeServer({ sttLiveDecoders: 'pinned', liveMaxSessions: 100 });
  try {
    const speech: Buffer[] = [];
    for (const text of HARVARD_SENTENCES.slice(0, 6)) speech.push(await speak(server.url, text));
    const rows: string[][] = [];
    for (const n of LEVELS) {
      const base = await runLevel(server, n, false, speech);
      const live = await runLevel(server, n, true, speech);
      const p = summarize(live.latencies);
      const b = summarize(base.latencies);
      const pass = live.finals === n && p.p95 < b.median;
      rows.push([String(n), ms(p.median), ms(p.p95), ms(b.median), ms(b.p95), live.cpuPerSessionPct.toFixed(1), base.cpuPerSessionPct.toFixed(1), `${live.finals}/${n}`, verdict(pass)]);
    }
    printTable(['sessions', 'partial p50 ms', 'partial p95 ms', 'final-only p50 ms', 'final-only p95 ms', 'CPU %/session', 'CPU %/session (no partials)', 'finals', 'p95 < final-only p50'], rows);
  } finally {
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runLiveCaptions().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
