/**
 * Starting ffmpeg from a server-sized process: main-thread event-loop max delay while 50 encoders
 * start at once, spawned directly (fork+exec of this process: page tables copied on every start)
 * against started by the ffmpeg spawner process (a socket connect here, the fork there). Both in one
 * run, in a process that first allocates and touches ~600 MB of heap, as the server holds.
 *
 * Target: max delay with the spawner < 20 ms (issue 11: 95 ms measured during 50 streams).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { encodeAudio } from '../src/audio/encode.js';
import { ffmpegSpawner, useFfmpegSpawner } from '../src/audio/ffmpeg-process.js';
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

/** Max and p99 event-loop delay (ms) while `ENCODERS` MP3 encoders start and run to the end. */
async function measure(viaSpawner: boolean): Promise<{ maxMs: number; p99Ms: number; totalMs: number }> {
  useFfmpegSpawner(viaSpawner);
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: ENCODERS }, async () => {
      async function* pcm(): AsyncGenerator<Int16Array> {
        yield PCM.slice();
      }
      for await (const bytes of encodeAudio(pcm(), { format: 'mp3', sampleRateHz: RATE_HZ }, new AbortController().signal)) void bytes;
    }),
  );
  const totalMs = performance.now() - started;
  histogram.disable();
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
    ['start', 'loop max', 'loop p99', 'all done', 'target', 'verdict'],
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
