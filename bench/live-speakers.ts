/**
 * More live speakers than pool workers (issue 11, item 5): N = 4 × poolWorkers `/v1/realtime`
 * sessions, each streaming Harvard sentences at real-time pace (20 ms frames, 1.2 s of silence
 * after each, server VAD, no replies): a warm-up turn of all sessions at once (not counted: it
 * loads decoders on both paths), then turns with starts spread over one sentence. Per turn, from the
 * client's clock: delay = `conversation.item.input_audio_transcription.completed` arrival −
 * `input_audio_buffer.speech_stopped` arrival (the turn's end). Run twice in one go, on the old
 * path (`sttLiveDecoders: pool`, a pool worker held per turn) and the new one (`pinned`, turns
 * sliced onto live recognition threads). Target: every turn transcribed, p95 delay ≤ 150 ms.
 */
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { HARVARD_SENTENCES } from '../test/fixtures/harvard-sentences.js';
import { FRAME_MS, RealtimeClient, RT_SAMPLE_RATE_HZ } from './lib/realtime-client.js';
import { startRealtimeServer, type RealtimeBenchServer } from './lib/realtime-server.js';
import { heading, ms, printTable, verdict } from './lib/report.js';
import { summarize } from './lib/stats.js';

/** Pool workers: the machine's cores, at most 4, so the run stays short where there are many. */
const POOL_WORKERS = Math.min(4, cpus().length);
const SESSIONS = 4 * POOL_WORKERS;
const TURNS_PER_SESSION = 4;
const TRAILING_SILENCE_MS = 1200;
/** A transcript later than this after its turn ended is counted as not delivered. */
const TURN_TIMEOUT_MS = 10_000;
const MAX_DELAY_P95_MS = 150;
const VOICE = 'flite-rms';

const silence = (msec: number): Buffer => Buffer.alloc((RT_SAMPLE_RATE_HZ / 1000) * 2 * msec);

async function speak(url: string, text: string): Promise<Buffer> {
  const res = await fetch(`${url}/v1/audio/speech`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'tts-1', voice: VOICE, input: text, response_format: 'pcm' }),
  });
  if (res.status !== 200) throw new Error(`POST /v1/audio/speech: ${res.status} ${await res.text()}`);
  return Buffer.from(await res.arrayBuffer());
}

interface PathResult {
  turns: number;
  transcribed: number;
  delaysMs: number[];
}

/** One session: its sentences in turn; each turn's delay, or nothing when it came too late or never. */
async function session(server: RealtimeBenchServer, speech: readonly Buffer[], offsetMs: number): Promise<Array<number | null>> {
  const client = await RealtimeClient.connect(server.url);
  await client.update({ audio: { input: { turn_detection: { type: 'server_vad', create_response: false } } } });
  const delays: Array<number | null> = [];
  try {
    client.startStreaming();
    for (const [turn, pcm] of speech.entries()) {
      // After the warm-up turn (all sessions at once: every decoder a thread needs gets loaded), starts spread.
      if (turn === 1) client.enqueue(silence(Math.round(offsetMs / FRAME_MS) * FRAME_MS));
      const from = client.events.length;
      client.enqueue(pcm);
      client.enqueue(silence(TRAILING_SILENCE_MS));
      const stopped = await client.waitFor('input_audio_buffer.speech_stopped', { from, timeoutMs: TURN_TIMEOUT_MS });
      const item = stopped.event.item_id as string;
      const done = await client
        .waitFor('conversation.item.input_audio_transcription.completed', { from, pred: (e) => e.item_id === item, timeoutMs: TURN_TIMEOUT_MS })
        .catch(() => null);
      delays.push(done === null ? null : done.at - stopped.at);
      // The next sentence once this one's silence has gone out, as a speaker pausing between turns.
      while (client.queuedMs > 0) await new Promise((r) => setTimeout(r, FRAME_MS));
    }
  } finally {
    await client.close();
  }
  return delays;
}

async function runPath(mode: 'pool' | 'pinned'): Promise<PathResult> {
  const server = await startRealtimeServer({ poolWorkers: POOL_WORKERS, sttLiveDecoders: mode });
  try {
    const sentences: Buffer[] = [];
    for (const text of HARVARD_SENTENCES.slice(0, SESSIONS + TURNS_PER_SESSION)) sentences.push(await speak(server.url, text));
    const spreadMs = (sentences[0]!.length / 2 / RT_SAMPLE_RATE_HZ) * 1000 + TRAILING_SILENCE_MS;
    const all = await Promise.all(
      Array.from({ length: SESSIONS }, (_, i) => session(server, sentences.slice(i, i + TURNS_PER_SESSION), (i * spreadMs) / SESSIONS)),
    );
    // Each session's first turn is the warm-up.
    const counted = all.flatMap((d) => d.slice(1));
    const delaysMs = counted.filter((d): d is number => d !== null);
    return { turns: counted.length, transcribed: delaysMs.length, delaysMs };
  } finally {
    await server.stop();
  }
}

export async function runLiveSpeakers(): Promise<void> {
  heading(`Live speakers: ${SESSIONS} sessions on ${POOL_WORKERS} pool workers`);
  const rows: string[][] = [];
  for (const mode of ['pool', 'pinned'] as const) {
    const r = await runPath(mode);
    const s = summarize(r.delaysMs);
    const pass = r.transcribed === r.turns && s.p95 <= MAX_DELAY_P95_MS;
    rows.push([mode, `${r.transcribed} of ${r.turns}`, ms(s.median), ms(s.p95), `all, p95 ≤ ${MAX_DELAY_P95_MS} ms`, verdict(pass)]);
  }
  printTable(['sttLiveDecoders', 'turns transcribed', 'delay p50 ms', 'delay p95 ms', 'target', ''], rows);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runLiveSpeakers().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
