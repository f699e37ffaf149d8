/**
 * Time to first audio under load: bursts of N concurrent SSE streams (`POST /v1/tts/stream/`,
 * the same 200-character text, voice `alloy`) fired at once, for N = 1, 10, 50, each against a
 * fresh server process so that one N's backlog or heap cannot colour the next.
 *
 * Before the bursts, N connections are opened (rounds of N parallel `GET /metrics`) and 3 streams
 * warm the server, so timed requests run on warm keep-alive connections. After them, the server's
 * main-thread event-loop delay (p99 and max since start, from `GET /metrics`) shows whether the
 * HTTP side kept up; it is read before the bursts too, since those figures include start-up.
 * This process's own event-loop delay is shown as well: a saturated client would inflate TTFA.
 *
 * Target (issue 11): p95 TTFA at N streams at most 4 × p95 TTFA of a single stream (aiming at
 * 2 ×), and the server's event-loop max during the bursts under 20 ms. The same bursts run on a
 * server whose first piece is the whole first sentence (`LLAIS_TTS_FIRST_CHUNK_CHARS=60`, the
 * behaviour before the short first phrase) for the before/after.
 */
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { cpuTimes } from './lib/cpu-time.js';
import { connectionsOpened, getText, metric, timeSse, type StreamTiming } from './lib/client.js';
import { TEXT_200, VOICE } from './lib/fixtures.js';
import { heading, ms, printTable, ratio, verdict } from './lib/report.js';
import { withServer, type BenchServer } from './lib/server.js';
import { summarize, type Summary } from './lib/stats.js';
import { splitSentences } from '../src/text/sentences.js';

/**
 * Concurrency levels and how many bursts each gets. N=1 gets 10 (0.2 s each) because its p95 is
 * the target's denominator and a p95 of 3 samples is just their max; N=50 bursts are few but
 * carry 50 samples each.
 */
const LEVELS: ReadonlyArray<{ streams: number; bursts: number; firstChunkChars?: number }> = [
  { streams: 1, bursts: 10 },
  { streams: 10, bursts: 3 },
  { streams: 50, bursts: 2 },
  { streams: 1, bursts: 10, firstChunkChars: 60 },
  { streams: 50, bursts: 2, firstChunkChars: 60 },
];
const WARMUP_STREAMS = 3;
/** Requests of the first piece alone, one at a time, to measure what one first chunk costs. */
const FIRST_PIECE_ROUNDS = 20;
/** Connection warm-up settles in 2-3 rounds; more means something else is closing them. */
const MAX_CONNECTION_ROUNDS = 5;
/** p95 TTFA at N may be at most this multiple of p95 TTFA at N = 1. */
const MAX_P95_GROWTH = 4;
/** A listener gap shorter than this is inaudible jitter, not a stutter. */
const STALL_MS = 20;
/** The server's event-loop max during the bursts, ms. */
const MAX_LOOP_MS = 20;
const EVENT_LOOP_P99 = 'llais_event_loop_delay_seconds{quantile="0.99"}';
const EVENT_LOOP_MAX = 'llais_event_loop_delay_seconds{quantile="1"}';
/** The server's loop max over its last 5-6 s: read every 2 s during the bursts, after 6 s idle. */
const RECENT_LOOP_MAX = 'llais_event_loop_delay_recent_max_seconds';
const RECENT_WINDOW_MS = 6_000;
const RECENT_POLL_MS = 2_000;

interface LevelResult {
  streams: number;
  /** First piece limit the server ran with; undefined: its default. */
  firstChunkChars: number | undefined;
  bursts: number;
  ok: number;
  failed: number;
  firstError: string | null;
  ttfa: Summary;
  done: Summary;
  /** Listener stalls after the first audio (see StreamTiming.stallMs): streams that had any, and the p95, ms. */
  stalled: number;
  stall: Summary;
  newConnections: number;
  server: { before: EventLoop; after: EventLoop };
  /** The server's event-loop max during the bursts alone, ms. */
  burstLoopMaxMs: number;
  client: EventLoop;
  /** N = 1 only: server CPU (all threads) of one request for the first piece alone, ms. */
  firstPieceCpuMs: number;
  /** Server CPU per successful stream during the bursts, ms: its main thread and the rest (TTS workers). */
  cpuPerStream: { mainMs: number; workersMs: number };
}

/** Event-loop delay in ms. */
interface EventLoop {
  p99Ms: number;
  maxMs: number;
}

async function serverEventLoop(url: string): Promise<EventLoop> {
  const text = await getText(`${url}/metrics`);
  return { p99Ms: metric(text, EVENT_LOOP_P99) * 1000, maxMs: metric(text, EVENT_LOOP_MAX) * 1000 };
}

/**
 * Rounds of `count` parallel `GET /metrics` until a round opens no new connection: undici's
 * pool, handed many requests at once, opens fresh connections beside idle ones (measured: 50,
 * then 44, then 0), so one round is not enough.
 */
/** Polls the server's recent loop max until `stop`, then once more; the largest reading, ms. */
async function burstLoopMax(url: string, stop: AbortSignal): Promise<number> {
  let max = 0;
  const read = async (): Promise<void> => {
    max = Math.max(max, metric(await getText(`${url}/metrics`), RECENT_LOOP_MAX) * 1000);
  };
  while (!stop.aborted) {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        stop.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, RECENT_POLL_MS);
      stop.addEventListener('abort', done, { once: true });
    });
    await read();
  }
  return max;
}

async function openConnections(url: string, count: number): Promise<void> {
  for (let round = 0; round < MAX_CONNECTION_ROUNDS; round++) {
    const before = connectionsOpened();
    await Promise.all(Array.from({ length: count }, () => getText(`${url}/metrics`)));
    if (connectionsOpened() === before) return;
  }
}

async function runLevel(server: BenchServer, streams: number, bursts: number, firstChunkChars: number | undefined): Promise<LevelResult> {
  const stream = `${server.url}/v1/tts/stream/`;
  const body = { text: TEXT_200, voice: VOICE };
  await openConnections(server.url, streams);
  for (let i = 0; i < WARMUP_STREAMS; i++) await timeSse(stream, body);
  const before = await serverEventLoop(server.url);
  // Idle long enough that the recent window holds nothing from start-up or the warm-up.
  await new Promise((resolve) => setTimeout(resolve, RECENT_WINDOW_MS));
  const bursting = new AbortController();
  const loopDuringBursts = burstLoopMax(server.url, bursting.signal);
  const connectionsBefore = connectionsOpened();
  const cpuBefore = cpuTimes(server.pid);

  const clientLoop = monitorEventLoopDelay({ resolution: 1 });
  clientLoop.enable();
  const timings: StreamTiming[] = [];
  const errors: unknown[] = [];
  for (let b = 0; b < bursts; b++) {
    const results = await Promise.allSettled(Array.from({ length: streams }, () => timeSse(stream, body)));
    for (const r of results) {
      if (r.status === 'fulfilled') timings.push(r.value);
      else errors.push(r.reason);
    }
  }
  clientLoop.disable();
  const cpuAfter = cpuTimes(server.pid);
  bursting.abort();
  const burstLoopMaxMs = await loopDuringBursts;
  let firstPieceCpuMs = Number.NaN;
  if (streams === 1) {
    const firstPiece = splitSentences(TEXT_200, firstChunkChars === undefined ? {} : { firstChunkMaxChars: firstChunkChars })[0]!;
    const before = cpuTimes(server.pid).processMs;
    for (let i = 0; i < FIRST_PIECE_ROUNDS; i++) await timeSse(stream, { text: firstPiece, voice: VOICE });
    firstPieceCpuMs = (cpuTimes(server.pid).processMs - before) / FIRST_PIECE_ROUNDS;
  }
  const after = await serverEventLoop(server.url);
  const mainMs = cpuAfter.mainThreadMs - cpuBefore.mainThreadMs;
  const totalMs = cpuAfter.processMs - cpuBefore.processMs;

  return {
    streams,
    firstChunkChars,
    bursts,
    ok: timings.length,
    failed: errors.length,
    firstError: errors.length > 0 ? String((errors[0] as Error)?.message ?? errors[0]) : null,
    ttfa: summarize(timings.map((t) => t.firstAudioMs)),
    done: summarize(timings.map((t) => t.doneMs)),
    stalled: timings.filter((t) => (t.stallMs ?? 0) > STALL_MS).length,
    stall: summarize(timings.map((t) => t.stallMs ?? 0)),
    newConnections: connectionsOpened() - connectionsBefore,
    server: { before, after },
    burstLoopMaxMs,
    firstPieceCpuMs,
    client: { p99Ms: clientLoop.percentile(99) / 1e6, maxMs: clientLoop.max / 1e6 },
    cpuPerStream: { mainMs: mainMs / timings.length, workersMs: (totalMs - mainMs) / timings.length },
  };
}

/** Runs every level against its own fresh server and prints the table with the target. */
export async function runConcurrency(): Promise<void> {
  heading(`Concurrent SSE streams: ${TEXT_200.length}-char text, voice '${VOICE}', bursts of N fired at once, fresh server per N`);
  const results: LevelResult[] = [];
  for (const { streams, bursts, firstChunkChars } of LEVELS) {
    const env: Record<string, string> = firstChunkChars === undefined ? {} : { LLAIS_TTS_FIRST_CHUNK_CHARS: String(firstChunkChars) };
    results.push(await withServer((server) => runLevel(server, streams, bursts, firstChunkChars), { env }));
  }
  const singleOf = (r: LevelResult): number => results.find((s) => s.streams === 1 && s.firstChunkChars === r.firstChunkChars)!.ttfa.p95;
  // However well scheduled, the 95th percentile stream's first chunk comes after 95 % of N first
  // chunks have been made on this many cores: that is the floor no scheduling can beat.
  const cores = availableParallelism();
  const floorOf = (r: LevelResult): number => (Math.ceil(0.95 * r.streams) * results.find((s) => s.streams === 1 && s.firstChunkChars === r.firstChunkChars)!.firstPieceCpuMs) / cores;
  const label = (r: LevelResult): string => (r.firstChunkChars === undefined ? String(r.streams) : `${r.streams} (first piece ≤ ${r.firstChunkChars}: before)`);
  printTable(
    ['N', 'bursts', 'ok/total', 'TTFA p50 ms', 'TTFA p95 ms', 'done p50 ms', 'done p95 ms', 'stuttered', 'stall p95 ms', 'CPU floor p95 ms', 'TTFA p95 / p95(N=1)', `target ≤ ${MAX_P95_GROWTH}×`],
    results.map((r) => [
      label(r),
      String(r.bursts),
      `${r.ok}/${r.ok + r.failed}`,
      ms(r.ttfa.median),
      ms(r.ttfa.p95),
      ms(r.done.median),
      ms(r.done.p95),
      `${r.stalled}/${r.ok}`,
      ms(r.stall.p95),
      ms(floorOf(r)),
      ratio(r.ttfa.p95 / singleOf(r)),
      r.firstChunkChars === undefined ? verdict(r.failed === 0 && r.ttfa.p95 <= MAX_P95_GROWTH * singleOf(r)) : '(before)',
    ]),
  );
  console.log('');
  printTable(
    ['N', 'srv loop p99 ms', 'srv loop max ms', 'idle max ms', 'bursts loop max ms', `target < ${MAX_LOOP_MS} ms`, 'srv CPU/stream main ms', 'srv CPU/stream workers ms', 'client loop p99 ms', 'client loop max ms', 'new TCP conns'],
    results.map((r) => [
      label(r),
      ms(r.server.after.p99Ms),
      ms(r.server.after.maxMs),
      ms(r.server.before.maxMs),
      ms(r.burstLoopMaxMs),
      r.firstChunkChars === undefined && r.streams === 50 ? verdict(r.burstLoopMaxMs < MAX_LOOP_MS) : '',
      ms(r.cpuPerStream.mainMs),
      ms(r.cpuPerStream.workersMs),
      ms(r.client.p99Ms),
      ms(r.client.maxMs),
      String(r.newConnections),
    ]),
  );
  console.log(
    'srv loop: server main-thread event-loop delay since its start, read after the bursts; idle max: the same max read ' +
      'before them (start-up, warm-up), so a larger "srv loop max" happened during the bursts. bursts loop max: the largest delay while the ' +
        'bursts ran alone (llais_event_loop_delay_recent_max_seconds read every 2 s, after 6 s idle), the target row.',
  );
  console.log(
    `CPU floor: ceil(0.95 N) first chunks x the server CPU of one first-piece request (measured alone at N=1: ${results
      .filter((r) => r.streams === 1)
      .map((r) => `${ms(r.firstPieceCpuMs)} ms${r.firstChunkChars === undefined ? '' : ' before'}`)
      .join(', ')}) / ${cores} cores: the p95 no scheduling can beat on this machine.`,
  );
  console.log(`stuttered: streams whose listener, playing from the first delta in real time, waited over ${STALL_MS} ms in all for later audio; stall p95: that wait.`);
  console.log('srv CPU/stream: server CPU time over the bursts (/proc, 10 ms ticks) per stream: main thread, and all other threads (TTS workers).');
  console.log('new TCP conns: opened during the timed bursts; undici closes connections idle > 4 s (its default), so later bursts after a long one reconnect some. A loopback connect is well under 1 ms.');
  for (const r of results) if (r.firstError) console.log(`N=${r.streams}: ${r.failed} failed; first error: ${r.firstError}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runConcurrency().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
