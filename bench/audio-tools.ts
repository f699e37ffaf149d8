/**
 * The audio tools through a real server (child process, `LLAIS_POOL_WORKERS=2`), on a 60 s stereo
 * 44.1 kHz WAV of music made here (an I–IV–V–I progression on the left, a 120 BPM drum pattern on
 * the right, so the analysis has a known answer: C major, 120 BPM).
 *
 * 1. Real-time factor, one request at a time (wall time of the whole request / 60 s): analyze, and
 *    convert to mp3 192 kbps, flac and m4a. Targets: analyze ≤ 0.1, convert ≤ 0.05. Then enhance,
 *    dereverb and separate (2 stems, zip), each also as a ratio to the flac conversion measured in
 *    the same run (the same upload, decode and encode, without the DSP); target RTF ≤ 0.5.
 * 2. The main thread's event-loop delay (p99 and max from `GET /metrics`, cumulative since start,
 *    so on a fresh server warmed with one request) while four run at once: two analyses and two
 *    conversions; then, on another fresh server, enhance, dereverb, separate and enhance at once. Target p99 < 10 ms, as for speech to text: the decoding and encoding run in
 *    ffmpeg, the analysis on a pool worker, so the main thread only moves bytes.
 * 3. Memory on a 10-minute stereo file (the source looped, sent as FLAC to stay under the upload
 *    limit): the server's peak RSS growth (sampled every 10 ms) over one analysis and one
 *    conversion to mp3. The file's PCM is 106 MB at 44.1 kHz stereo (53 MB as mono float at
 *    22.05 kHz); both stream, so the target is well under one copy: < 50 MB. Separate too: its
 *    DSP streams in blocks, its stems are raw files on disk; the same target.
 *
 * Run alone: `node --import tsx bench/audio-tools.ts`.
 */
import { mkdtempSync, openAsBlob, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ffmpegPath } from '../src/audio/ffmpeg-binaries.js';
import { runToBuffer } from '../src/audio/ffmpeg-process.js';
import { wavHeader } from '../src/audio/wav.js';
import { peakRssGrowthMb } from '../test/helpers/child-server.js';
import { chordProgression, drumPattern } from '../test/helpers/music.js';
import { getText, metric } from './lib/client.js';
import { heading, ms, printTable, ratio, verdict } from './lib/report.js';
import { withServer, type BenchServer } from './lib/server.js';

const RATE = 44100;
const SOURCE_SEC = 60;
const MAX_ANALYZE_RTF = 0.1;
const MAX_CONVERT_RTF = 0.05;
const MAX_DSP_RTF = 0.5;
const MAX_EVENT_LOOP_P99_MS = 10;
const LONG_LOOPS = 10;
const MAX_LONG_RSS_GROWTH_MB = 50;
const EVENT_LOOP_P99 = 'llais_event_loop_delay_seconds{quantile="0.99"}';
const EVENT_LOOP_MAX = 'llais_event_loop_delay_seconds{quantile="1"}';

type Tool = { name: string; path: `/v1/audio/${'analyze' | 'convert' | 'enhance' | 'dereverb' | 'separate'}/`; fields: Record<string, string> };

const ANALYZE: Tool = { name: 'analyze', path: '/v1/audio/analyze/', fields: {} };
const CONVERTS: Tool[] = [
  { name: 'convert mp3 192k', path: '/v1/audio/convert/', fields: { format: 'mp3', bitrate: '192' } },
  { name: 'convert flac', path: '/v1/audio/convert/', fields: { format: 'flac' } },
  { name: 'convert m4a 128k', path: '/v1/audio/convert/', fields: { format: 'm4a', bitrate: '128' } },
];

const DSP_TOOLS: Tool[] = [
  { name: 'enhance (denoise+clarity)', path: '/v1/audio/enhance/', fields: {} },
  { name: 'dereverb (both)', path: '/v1/audio/dereverb/', fields: {} },
  { name: 'separate (2 stems, zip)', path: '/v1/audio/separate/', fields: {} },
];

function monoWav(pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(44 + pcm.byteLength);
  out.set(wavHeader(pcm.byteLength, RATE));
  out.set(new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength), 44);
  return out;
}

/** The 60 s stereo source on disk. */
async function makeSource(dir: string): Promise<string> {
  const left = join(dir, 'left.wav');
  const right = join(dir, 'right.wav');
  writeFileSync(left, monoWav(chordProgression(0, 'Major', RATE, SOURCE_SEC / 4)));
  writeFileSync(right, monoWav(drumPattern(120, SOURCE_SEC, RATE)));
  const stereo = await runToBuffer(
    ffmpegPath(),
    ['-hide_banner', '-loglevel', 'error', '-i', left, '-i', right, '-filter_complex', 'amerge=inputs=2', '-c:a', 'pcm_s16le', '-f', 'wav', 'pipe:1'],
    'could not make the source',
  );
  const path = join(dir, 'music.wav');
  writeFileSync(path, stereo);
  return path;
}

/** The source looped to ten minutes, as FLAC. */
async function makeLongSource(source: string, dir: string): Promise<string> {
  const path = join(dir, 'long.flac');
  const flac = await runToBuffer(
    ffmpegPath(),
    ['-hide_banner', '-loglevel', 'error', '-stream_loop', String(LONG_LOOPS - 1), '-i', source, '-c:a', 'flac', '-f', 'flac', 'pipe:1'],
    'could not make the long source',
  );
  writeFileSync(path, flac);
  return path;
}

/** One request; resolves with its wall time and a one-line summary of the answer. */
async function request(server: BenchServer, tool: Tool, source: string): Promise<{ wallMs: number; answer: string }> {
  const fd = new FormData();
  for (const [k, v] of Object.entries(tool.fields)) fd.append(k, v);
  fd.append('file', await openAsBlob(source), 'music.wav');
  const started = performance.now();
  const res = await fetch(`${server.url}${tool.path}`, { method: 'POST', body: fd });
  const body = tool === ANALYZE ? JSON.stringify(await res.json()) : `${(await res.arrayBuffer()).byteLength} bytes`;
  if (res.status !== 200) throw new Error(`${tool.name}: ${res.status} ${body}`);
  return { wallMs: performance.now() - started, answer: body };
}

async function eventLoop(server: BenchServer): Promise<{ p99Ms: number; maxMs: number }> {
  const text = await getText(`${server.url}/metrics`);
  return { p99Ms: metric(text, EVENT_LOOP_P99) * 1000, maxMs: metric(text, EVENT_LOOP_MAX) * 1000 };
}

export async function runAudioTools(): Promise<void> {
  heading(`Audio tools: ${SOURCE_SEC} s stereo 44.1 kHz WAV, 2 pool workers`);
  const dir = mkdtempSync(join(tmpdir(), 'llais-bench-tools-'));
  const env = { LLAIS_POOL_WORKERS: '2' };
  try {
    const source = await makeSource(dir);
    const rows: string[][] = [];
    await withServer(async (server) => {
      await request(server, ANALYZE, source);
      for (const tool of [ANALYZE, ...CONVERTS]) {
        const { wallMs, answer } = await request(server, tool, source);
        const rtf = wallMs / 1000 / SOURCE_SEC;
        const target = tool === ANALYZE ? MAX_ANALYZE_RTF : MAX_CONVERT_RTF;
        rows.push([tool.name, ms(wallMs), ratio(rtf), `≤ ${target}`, verdict(rtf <= target), answer.slice(0, 110)]);
      }
      const flacMs = (await request(server, CONVERTS[1]!, source)).wallMs;
      for (const tool of DSP_TOOLS) {
        const { wallMs, answer } = await request(server, tool, source);
        const rtf = wallMs / 1000 / SOURCE_SEC;
        rows.push([tool.name, ms(wallMs), ratio(rtf), `≤ ${MAX_DSP_RTF}`, verdict(rtf <= MAX_DSP_RTF), `${(wallMs / flacMs).toFixed(1)}× convert flac; ${answer}`]);
      }
    }, { env });
    printTable(['tool', 'wall', 'RTF', 'target', '', 'answer'], rows);

    await withServer(async (server) => {
      await request(server, ANALYZE, source);
      const idle = await eventLoop(server);
      const started = performance.now();
      await Promise.all([ANALYZE, ANALYZE, CONVERTS[0]!, CONVERTS[1]!].map((tool) => request(server, tool, source)));
      const wallMs = performance.now() - started;
      const loaded = await eventLoop(server);
      console.log(`\nfour at once (2 analyze + mp3 + flac): ${ms(wallMs)} for all`);
      printTable(
        ['event-loop delay', 'idle (after warm-up)', 'after 4 at once', 'target', ''],
        [['p99', ms(idle.p99Ms), ms(loaded.p99Ms), `< ${MAX_EVENT_LOOP_P99_MS} ms`, verdict(loaded.p99Ms < MAX_EVENT_LOOP_P99_MS)], ['max', ms(idle.maxMs), ms(loaded.maxMs), '', '']],
      );
    }, { env });

    await withServer(async (server) => {
      await request(server, DSP_TOOLS[0]!, source);
      const idle = await eventLoop(server);
      const started = performance.now();
      await Promise.all([DSP_TOOLS[0]!, DSP_TOOLS[1]!, DSP_TOOLS[2]!, DSP_TOOLS[0]!].map((tool) => request(server, tool, source)));
      const wallMs = performance.now() - started;
      const loaded = await eventLoop(server);
      console.log(`\nfour at once (enhance, dereverb, separate, enhance): ${ms(wallMs)} for all`);
      printTable(
        ['event-loop delay', 'idle (after warm-up)', 'after 4 at once', 'target', ''],
        [['p99', ms(idle.p99Ms), ms(loaded.p99Ms), `< ${MAX_EVENT_LOOP_P99_MS} ms`, verdict(loaded.p99Ms < MAX_EVENT_LOOP_P99_MS)], ['max', ms(idle.maxMs), ms(loaded.maxMs), '', '']],
      );
    }, { env });

    const long = await makeLongSource(source, dir);
    await withServer(async (server) => {
      // Warm-up on the short source: the first task of a kind loads its modules (and, under tsx,
      // compiles them) on a worker, a one-time cost that is not the long file's.
      for (const tool of [ANALYZE, CONVERTS[0]!, DSP_TOOLS[2]!, DSP_TOOLS[2]!]) await request(server, tool, source);
      const memoryRows: string[][] = [];
      for (const tool of [ANALYZE, CONVERTS[0]!, DSP_TOOLS[2]!]) {
        const { result, growthMb } = await peakRssGrowthMb(server.pid, () => request(server, tool, long));
        memoryRows.push([tool.name, ms(result.wallMs), `+${growthMb.toFixed(1)} MB`, `< ${MAX_LONG_RSS_GROWTH_MB} MB`, verdict(growthMb < MAX_LONG_RSS_GROWTH_MB), result.answer.slice(0, 60)]);
      }
      console.log(`\n${LONG_LOOPS * SOURCE_SEC / 60} min stereo FLAC: server RSS growth`);
      printTable(['tool', 'wall', 'peak RSS growth', 'target', '', 'answer'], memoryRows);
    }, { env });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runAudioTools().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
