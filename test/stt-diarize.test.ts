/**
 * Diarization tells voices apart: sentences from our own TTS voices, female and male, alternate
 * A B A B with silence between them, and the labels must alternate too; one voice alone must
 * stay one speaker. Then the whole path: a two-voice recording through the worker pool, speech
 * recognized and speakers labelled.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { wavHeader } from '../src/audio/wav.js';
import { TtsService } from '../src/tts/service.js';
import { diarize, speakerLabel, type TimeSpan } from '../src/stt/diarize.js';
import { WorkerPool } from '../src/workers/pool.js';
import { concatPcm } from '../src/audio/pcm.js';

const RATE_HZ = 16_000;
const GAP_SEC = 0.8;
const SENTENCES = [
  'The quick brown fox jumps over the lazy dog near the river bank.',
  'Please call me back when you get this message tomorrow.',
  'We will meet at the station at half past nine in the morning.',
  'I think the weather is going to be lovely this weekend.',
  'Numbers like four hundred and twelve are easy to say.',
  'She sells sea shells by the sea shore every summer.',
];

type Voice = 'flite-slt' | 'flite-awb' | 'flite-rms';

let runtime: TtsService;
let modelsDir: string;
/** speech[voice][i]: SENTENCES[i] spoken by voice, 16 kHz. */
const speech = new Map<Voice, Int16Array[]>();

async function speak(voice: Voice, text: string): Promise<Int16Array> {
  const engine = runtime.engine('flite');
  assert.ok(engine);
  const parts: Int16Array[] = [];
  for await (const chunk of engine.synthesize({ text, voice, language: 'en', speed: 1, sampleRateHz: RATE_HZ }, new AbortController().signal)) {
    assert.equal(chunk.sampleRateHz, RATE_HZ);
    parts.push(chunk.pcm);
  }
  return concatPcm(parts);
}


/** The sentences in `order`, silence before each: the PCM and each sentence's span. */
function conversation(order: Array<[Voice, number]>): { pcm: Int16Array; spans: TimeSpan[] } {
  const parts: Int16Array[] = [];
  const spans: TimeSpan[] = [];
  let samples = 0;
  for (const [voice, i] of order) {
    const gap = new Int16Array(Math.round(GAP_SEC * RATE_HZ));
    const sentence = speech.get(voice)![i]!;
    parts.push(gap, sentence);
    spans.push({ start: (samples + gap.length) / RATE_HZ, end: (samples + gap.length + sentence.length) / RATE_HZ });
    samples += gap.length + sentence.length;
  }
  parts.push(new Int16Array(Math.round(GAP_SEC * RATE_HZ)));
  return { pcm: concatPcm(parts), spans };
}

function* chunks(pcm: Int16Array, size: number): Generator<Int16Array> {
  for (let i = 0; i < pcm.length; i += size) yield pcm.subarray(i, i + size);
}

const alternating = (n: number): string[] => Array.from({ length: n }, (_, i) => `SPEAKER_0${i % 2}`);

before(async () => {
  modelsDir = await mkdtemp(join(tmpdir(), 'stt-diarize-'));
  runtime = await TtsService.start({ workers: 1, modelsDir });
  for (const voice of ['flite-slt', 'flite-awb', 'flite-rms'] as const) {
    const spoken: Int16Array[] = [];
    for (const text of SENTENCES) spoken.push(await speak(voice, text));
    speech.set(voice, spoken);
  }
});

after(async () => {
  await runtime.close();
  await rm(modelsDir, { recursive: true, force: true });
});

describe('diarize', () => {
  for (const [a, b] of [['flite-slt', 'flite-awb'], ['flite-slt', 'flite-rms'], ['flite-awb', 'flite-rms']] as const) {
    it(`${a} and ${b}, alternating A B A B A B: the labels alternate`, () => {
      const { pcm, spans } = conversation(SENTENCES.map((_, i) => [i % 2 === 0 ? a : b, i]));
      // Fed in 1 s chunks, as a stream.
      assert.deepEqual(diarize(chunks(pcm, RATE_HZ), spans), alternating(spans.length));
    });
  }

  for (const voice of ['flite-slt', 'flite-awb', 'flite-rms'] as const) {
    it(`${voice} alone: one speaker`, () => {
      const { pcm, spans } = conversation(SENTENCES.map((_, i) => [voice, i]));
      assert.deepEqual(diarize(pcm, spans), spans.map(() => 'SPEAKER_00'));
    });
  }

  it('maxSpeakers 1 puts everyone in one; no segments, no labels', () => {
    const { pcm, spans } = conversation(SENTENCES.map((_, i) => [i % 2 === 0 ? 'flite-slt' : 'flite-awb', i]));
    assert.deepEqual(diarize(pcm, spans, { maxSpeakers: 1 }), spans.map(() => 'SPEAKER_00'));
    assert.deepEqual(diarize(pcm, []), []);
  });

  it('labels are API.md\'s form: two digits at least (SPEAKER_00, SPEAKER_07, SPEAKER_12)', () => {
    assert.deepEqual([0, 7, 12].map(speakerLabel), ['SPEAKER_00', 'SPEAKER_07', 'SPEAKER_12']);
  });

  it('three voices, A B C A B C: three speakers', () => {
    const voices = ['flite-slt', 'flite-awb', 'flite-rms'] as const;
    const { pcm, spans } = conversation(SENTENCES.map((_, i) => [voices[i % 3]!, i]));
    assert.deepEqual(diarize(pcm, spans), spans.map((_, i) => `SPEAKER_0${i % 3}`));
  });

  it('a 5-minute two-voice conversation streamed in 10 s chunks: every turn labelled right', () => {
    // Each turn a different stretch (1.5-3 s) of one of the voice's sentences, so no two are the same audio.
    // Park-Miller: its products stay exact in a double.
    let seed = 42;
    const random = (): number => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
    const parts: Int16Array[] = [];
    const spans: TimeSpan[] = [];
    let samples = 0;
    for (let turn = 0; samples < 5 * 60 * RATE_HZ; turn++) {
      const sentence = speech.get(turn % 2 === 0 ? 'flite-slt' : 'flite-awb')![Math.floor(random() * SENTENCES.length)]!;
      const length = Math.min(sentence.length, Math.round((1.5 + 1.5 * random()) * RATE_HZ));
      const from = Math.floor(random() * (sentence.length - length + 1));
      const gap = new Int16Array(Math.round(GAP_SEC * RATE_HZ));
      parts.push(gap, sentence.subarray(from, from + length));
      spans.push({ start: (samples + gap.length) / RATE_HZ, end: (samples + gap.length + length) / RATE_HZ });
      samples += gap.length + length;
    }
    assert.deepEqual(diarize(chunks(concatPcm(parts), 10 * RATE_HZ), spans), alternating(spans.length));
  });
});

describe('transcription with diarization, through the worker pool', () => {
  let pool: WorkerPool;
  let dir: string;
  before(async () => {
    pool = WorkerPool.start({ threads: 1, maxQueue: 4 });
    dir = await mkdtemp(join(tmpdir(), 'stt-diarize-e2e-'));
  });
  after(async () => {
    await pool.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('two voices, four turns: a segment per turn, the words recognized, the speakers alternating', async () => {
    const order: Array<[Voice, number]> = [['flite-slt', 0], ['flite-awb', 1], ['flite-slt', 2], ['flite-awb', 3]];
    const { pcm, spans } = conversation(order);
    const path = join(dir, 'conversation.wav');
    const file = new Uint8Array(44 + pcm.byteLength);
    file.set(wavHeader(pcm.byteLength, RATE_HZ));
    file.set(new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength), 44);
    await writeFile(path, file);

    const streamed: string[] = [];
    const t = await pool.transcribe(
      { kind: 'transcribe', path, language: 'auto', wordTimestamps: true, diarize: true },
      new AbortController().signal,
      { onSegment: (s) => streamed.push(s.text) },
    );
    assert.equal(t.language, 'en');
    assert.ok(Math.abs(t.durationSec - pcm.length / RATE_HZ) < 0.01);
    assert.equal(t.segments.length, order.length, JSON.stringify(t.segments.map((s) => s.text)));
    assert.deepEqual(streamed, t.segments.map((s) => s.text));
    assert.deepEqual(t.segments.map((s) => s.speaker), alternating(order.length));
    t.segments.forEach((segment, i) => {
      // Within the sentence's span, give or take the recognizer's frame rounding.
      assert.ok(segment.start >= spans[i]!.start - 0.3 && segment.end <= spans[i]!.end + 0.3, `segment ${i}: ${segment.start}-${segment.end}`);
      const said = new Set(SENTENCES[order[i]![1]]!.toLowerCase().replace(/[^a-z ]/g, '').split(' '));
      const heard = segment.text.split(' ');
      const right = heard.filter((w) => said.has(w)).length;
      assert.ok(right >= said.size * 0.6, `"${segment.text}" for "${SENTENCES[order[i]![1]]}"`);
      assert.equal(segment.words?.map((w) => w.word).join(' '), segment.text);
    });
    assert.equal(t.text, t.segments.map((s) => s.text).join(' '));
  });
});
