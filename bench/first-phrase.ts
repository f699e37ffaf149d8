/**
 * The short first phrase (text/sentences.ts, config `ttsFirstChunkChars`): how much sooner the
 * first audio comes, and whether the phrase joins the rest of its sentence without a gap or a
 * click. Two servers side by side: the default (first piece at most 24 characters, a phrase)
 * and `LLAIS_TTS_FIRST_CHUNK_CHARS=60` (the first sentence whole, as before).
 *
 * For each built-in engine the same first sentence is rendered by both; the rows compare the
 * phrase-split audio with the whole sentence: the longest silence inside it (a gap at the join
 * would be the longest) and the largest sample step inside a quiet 2 ms window (a cut that
 * clicks would be one; in speech, big steps come with loud windows). Targets: no silence inside
 * longer than 80 ms more than the whole sentence has, no quiet-window step larger than the
 * whole's own largest plus 200 (of 32767). The length change is shown, not judged: it is the
 * engine speaking the phrase's last word as a phrase end (Pico lengthens it most), not silence.
 */
import { pathToFileURL } from 'node:url';
import { timeSse } from './lib/client.js';
import { OPENAI_MODEL, TEXT_200, VOICE } from './lib/fixtures.js';
import { heading, ms, printTable, ratio, verdict } from './lib/report.js';
import { startServer, type BenchServer } from './lib/server.js';
import { summarize } from './lib/stats.js';

const SENTENCE = TEXT_200.slice(0, TEXT_200.indexOf('.') + 1);
const VOICES = ['flite-slt', 'en-us', 'pico-en-us'];
const RATE = 24_000;
const SILENCE = 100;
const SINGLE_STREAMS = 15;
const MAX_EXTRA_GAP_MS = 80;
/** 2 ms at 24 kHz; a window is quiet when its RMS is under 3x the silence level. */
const WINDOW = 48;
const MAX_EXTRA_STEP = 200;

async function pcm(server: BenchServer, voice: string, text: string): Promise<Int16Array> {
  const res = await fetch(`${server.url}/v1/audio/speech`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: OPENAI_MODEL, input: text, voice, response_format: 'pcm' }),
  });
  if (res.status !== 200) throw new Error(`speech with ${voice}: ${res.status} ${await res.text()}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  return new Int16Array(bytes.buffer, 0, bytes.byteLength >> 1);
}

interface Shape {
  lengthMs: number;
  longestInnerSilenceMs: number;
  largestQuietStep: number;
}

/** Length, longest silence between the first and last sound, largest step inside a quiet window. */
function shape(x: Int16Array): Shape {
  const loud = (v: number): boolean => v > SILENCE || v < -SILENCE;
  let first = 0;
  while (first < x.length && !loud(x[first]!)) first++;
  let last = x.length - 1;
  while (last > first && !loud(x[last]!)) last--;
  let run = 0;
  let longest = 0;
  for (let i = first; i <= last; i++) {
    run = loud(x[i]!) ? 0 : run + 1;
    longest = Math.max(longest, run);
  }
  let step = 0;
  for (let w = 1; w + WINDOW <= x.length; w += WINDOW) {
    let energy = 0;
    let largest = 0;
    for (let i = w; i < w + WINDOW; i++) {
      energy += x[i]! * x[i]!;
      largest = Math.max(largest, Math.abs(x[i]! - x[i - 1]!));
    }
    if (Math.sqrt(energy / WINDOW) < 3 * SILENCE) step = Math.max(step, largest);
  }
  return { lengthMs: (x.length / RATE) * 1000, longestInnerSilenceMs: (longest / RATE) * 1000, largestQuietStep: step };
}

async function firstAudio(server: BenchServer): Promise<number> {
  const url = `${server.url}/v1/tts/stream/`;
  for (let i = 0; i < 3; i++) await timeSse(url, { text: TEXT_200, voice: VOICE });
  const times: number[] = [];
  for (let i = 0; i < SINGLE_STREAMS; i++) times.push((await timeSse(url, { text: TEXT_200, voice: VOICE })).firstAudioMs);
  return summarize(times).median;
}

export async function runFirstPhrase(): Promise<void> {
  heading(`Short first phrase vs whole first sentence ("${SENTENCE}"), two servers side by side`);
  const [phrase, whole] = await Promise.all([startServer(), startServer({ env: { LLAIS_TTS_FIRST_CHUNK_CHARS: '60' } })]);
  try {
    const phraseTtfa = await firstAudio(phrase);
    const wholeTtfa = await firstAudio(whole);
    printTable(
      ['first piece', `first audio p50 ms (${TEXT_200.length} chars, '${VOICE}', one stream)`, 'vs whole sentence'],
      [
        ['whole first sentence (60)', ms(wholeTtfa), '1.00×'],
        ['phrase (default 24)', ms(phraseTtfa), ratio(phraseTtfa / wholeTtfa)],
      ],
    );
    console.log('');
    const rows: string[][] = [];
    for (const voice of VOICES) {
      const split = shape(await pcm(phrase, voice, SENTENCE));
      const single = shape(await pcm(whole, voice, SENTENCE));
      const lengthChange = split.lengthMs - single.lengthMs;
      const ok = split.longestInnerSilenceMs <= single.longestInnerSilenceMs + MAX_EXTRA_GAP_MS && split.largestQuietStep <= single.largestQuietStep + MAX_EXTRA_STEP;
      rows.push([
        voice,
        `${ms(single.lengthMs)} / ${ms(split.lengthMs)}`,
        `${lengthChange >= 0 ? '+' : ''}${ms(lengthChange)}`,
        `${ms(single.longestInnerSilenceMs)} / ${ms(split.longestInnerSilenceMs)}`,
        `${single.largestQuietStep} / ${split.largestQuietStep}`,
        verdict(ok),
      ]);
    }
    printTable(['voice', 'length ms whole / split', 'change', 'longest inner silence ms', 'largest quiet-window step', `target gap ≤ +${MAX_EXTRA_GAP_MS} ms, step ≤ +${MAX_EXTRA_STEP}`], rows);
  } finally {
    await Promise.all([phrase.stop(), whole.stop()]);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runFirstPhrase().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
