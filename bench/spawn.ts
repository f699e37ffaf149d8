/**
 * Starting ffmpeg from a server-sized process: main-thread event-loop max delay while 50 MP3
 * encoders start at once (until each has a pid), spawned directly (fork+exec of this process: page tables copied on every start)
 * against started by the ffmpeg spawner process (a socket connect here, the fork there). Both in one
 * run, in a process that first allocates and touches ~600 MB of heap, as the server holds.
 *
 * Target: max delay with the spawner < 20 ms (issue 11: 95 ms measured during 50 streams).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { ffmpegPath } from '../src/audio/ffmpeg-binaries.js';
import { FfmpegProcess, ffmpegSpawner, useFfmpegSpawner } from '../src/audio/ffmpeg-process.js';
import { heading, ms, printTable, ratio, verdict } from './lib/report.js';

const ENCODERS = 50;
const HEAP_MB = 600;
const TARGET_MAX_MS = 20;
const RATE_HZ = 24_000;
/** 200 ms of a tone per encoder: the start dominates, not the encoding. */
const PCM = new Int16Array(RATE_HZ / 5).map((_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / RATE_HZ)));

/** Touched memory, so that fork has page tables to copy: a server with models and workers. */
function holdHeap(mb: number): Buffer[] {
  const blocks: Buffer[] = [];
  for (let i = 0; i < mb; i++) blocks.push(Buffer.alloc(1024 * 1024, i & 0xff));
  return blocks;
}

/** The encoder's arguments, as encode.ts starts it for MP3. */
const MP3_ARGS = [
  '-hide_banner', '-loglevel', 'error', '-nostdin',
  '-f', 's16le', '-ar', String(RATE_HZ), '-ac', '1', '-i', 'pipe:0',
  '-c:a', 'libmp3lame', '-b:a', '64k', '-f', 'mp3', 'pipe:1',
];

/**
 * Max and p99 event-loop delay (ms) while `ENCODERS` encoders start, until every one has a pid;
 * then each gets its 200 ms of PCM and all run to the end (timed, not part of the delay figure:
 * 50 encoders on few cores take the CPU from this thread whoever started them).
 */
async function measure(viaSpawner: boolean): Promise<{ maxMs: number; p99Ms: number; totalMs: number }> {
  useFfmpegSpawner(viaSpawner);
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const started = performance.now();
  // One start per macrotask, as 50 requests arriving together would start them: a start that
  // blocks the thread shows up as loop delay.
  const procs: FfmpegProcess[] = [];
  for (let i = 0; i < ENCODERS; i++) {
    procs.push(new FfmpegProcess(ffmpegPath(), MP3_ARGS));
    await new Promise((resolve) => setImmediate(resolve));
  }
  while (procs.some((p) => p.pid === undefined && !p.hasExited)) await new Promise((resolve) => setTimeout(resolve, 1));
  histogram.disable();
  await Promise.all(
    procs.map(async (proc) => {
      proc.child.stdin.end(PCM);
      for await (const bytes of proc.child.stdout) void bytes;
      const status = await proc.exited;
      if (status.code !== 0) throw proc.failure('bench encoder');
    }),
  );
  const totalMs = performance.now() - started;
  return { maxMs: histogram.max / 1e6, p99Ms: histogram.percentile(99) / 1e6, totalMs };
}

export async function runSpawn(): Promise<void> {
  heading(`ffmpeg starts: ${ENCODERS} encoders at once from a process holding ${HEAP_MB} MB`);
  const heap = holdHeap(HEAP_MB);
  await ffmpegSpawner.start();
  // One round each first, so that neither side pays for loading code or warming the page cache.
  await measure(false);
  await measure(true);
  const direct = await measure(false);
  const spawner = await measure(true);
  useFfmpegSpawner(true);
  printTable(
    ['start', 'loop max (starts)', 'loop p99 (starts)', 'all encoded', 'target', 'verdict'],
    [
      ['direct spawn', `${ms(direct.maxMs)} ms`, `${ms(direct.p99Ms)} ms`, `${ms(direct.totalMs)} ms`, '-', '-'],
      ['spawner', `${ms(spawner.maxMs)} ms`, `${ms(spawner.p99Ms)} ms`, `${ms(spawner.totalMs)} ms`, `max < ${TARGET_MAX_MS} ms`, verdict(spawner.maxMs < TARGET_MAX_MS)],
    ],
  );
  console.log(`spawner / direct, loop max: ${ratio(spawner.maxMs / direct.maxMs)} (heap held: ${heap.length} MB)`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runSpawn().then(() => process.exit(0));
}
