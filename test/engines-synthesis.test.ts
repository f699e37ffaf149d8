/**
 * The built-in engines' shared contract, run against each engine through the real worker pool:
 * audible PCM of a plausible length, speed without pitch games, streaming, word timings.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AudioChunk, WordTiming } from '../src/audio/pcm.js';
import { TtsService } from '../src/tts/service.js';
import type { SynthesisRequest } from '../src/engines/tts/types.js';
import { ApiError } from '../src/errors.js';
import { linkPicoLingware, PICO_SKIP_REASON } from './helpers/pico.js';

interface Collected {
  chunks: AudioChunk[];
  seconds: number;
  rms: number;
  words: WordTiming[];
  sampleRateHz: number;
}

async function collect(runtime: TtsService, model: string, req: Partial<SynthesisRequest> & { voice: string; text: string }): Promise<Collected> {
  const engine = runtime.engine(model);
  assert.ok(engine, `engine ${model} is loaded`);
  const chunks: AudioChunk[] = [];
  for await (const chunk of engine.synthesize({ language: 'en', speed: 1, ...req }, new AbortController().signal)) {
    chunks.push(chunk);
  }
  let sumSquares = 0;
  let samples = 0;
  for (const c of chunks) {
    for (const s of c.pcm) sumSquares += (s / 32768) ** 2;
    samples += c.pcm.length;
  }
  const sampleRateHz = chunks[0]?.sampleRateHz ?? 0;
  return {
    chunks,
    seconds: samples / sampleRateHz,
    rms: Math.sqrt(sumSquares / Math.max(1, samples)),
    words: chunks.flatMap((c) => c.words ?? []),
    sampleRateHz,
  };
}

/** The input's words as a reader sees them: split on spaces, edge punctuation dropped. */
function inputWords(text: string): string[] {
  return text.split(/\s+/).map((w) => w.replace(/^\p{P}+|\p{P}+$/gu, '')).filter((w) => w !== '');
}

const SENTENCE = 'The quick brown fox jumps over the lazy dog, then runs into the forest.';
/** About 200 characters in two sentences. */
const PARAGRAPH =
  'Streaming speech should start quickly. The first sentence is short, so the listener hears it at once, ' +
  'while the engine keeps working on the rest of the paragraph in the background without a pause.';

interface EngineCase {
  model: string;
  voice: string;
  sampleRateHz: number;
  wordTimings: boolean;
  /** Delivers audio in several chunks per sentence, not one at the end. */
  incremental: boolean;
}

const CASES: EngineCase[] = [
  { model: 'espeak', voice: 'en-us', sampleRateHz: 22_050, wordTimings: true, incremental: true },
  { model: 'flite', voice: 'flite-slt', sampleRateHz: 16_000, wordTimings: false, incremental: false },
  { model: 'pico', voice: 'pico-en-us', sampleRateHz: 16_000, wordTimings: false, incremental: true },
];

let runtime: TtsService;
const modelsDir = mkdtempSync(join(tmpdir(), 'llais-engines-'));
/** Decided at load time, so that the Pico cases below know whether to run. */
const picoDir = linkPicoLingware(modelsDir);

before(async () => {
  runtime = await TtsService.start({ workers: 1, modelsDir });
});

after(async () => {
  await runtime.close();
  rmSync(modelsDir, { recursive: true, force: true });
});

for (const c of CASES) {
  const skip = c.model === 'pico' && !picoDir ? PICO_SKIP_REASON : false;

  describe(`${c.model} engine`, { skip }, () => {
    test('speaks a sentence as audible PCM at its native rate, 0.04–0.2 s per character', async () => {
      const out = await collect(runtime, c.model, { voice: c.voice, text: SENTENCE });
      assert.equal(out.sampleRateHz, c.sampleRateHz);
      assert.ok(out.chunks.every((ch) => ch.sampleRateHz === c.sampleRateHz));
      assert.ok(out.rms > 0.02, `rms ${out.rms.toFixed(4)} is audible`);
      const perChar = out.seconds / SENTENCE.length;
      assert.ok(perChar > 0.04 && perChar < 0.2, `${out.seconds.toFixed(2)} s for ${SENTENCE.length} chars`);
      // Transferred buffers: each chunk owns its whole ArrayBuffer.
      for (const ch of out.chunks) assert.equal(ch.pcm.buffer.byteLength, ch.pcm.byteLength);
    });

    test('resamples to a requested rate inside the worker, same duration', async () => {
      const native = await collect(runtime, c.model, { voice: c.voice, text: SENTENCE });
      const at24k = await collect(runtime, c.model, { voice: c.voice, text: SENTENCE, sampleRateHz: 24_000 });
      assert.ok(at24k.chunks.every((ch) => ch.sampleRateHz === 24_000));
      assert.ok(Math.abs(at24k.seconds - native.seconds) < 0.01, `${at24k.seconds} vs ${native.seconds}`);
      assert.ok(Math.abs(at24k.rms - native.rms) < native.rms * 0.1);
    });

    test('speed 2.0 is clearly shorter than 1.0', async () => {
      const normal = await collect(runtime, c.model, { voice: c.voice, text: SENTENCE, speed: 1 });
      const fast = await collect(runtime, c.model, { voice: c.voice, text: SENTENCE, speed: 2 });
      assert.ok(fast.seconds < normal.seconds * 0.7, `${fast.seconds.toFixed(2)} s at 2x vs ${normal.seconds.toFixed(2)} s`);
    });

    // Time to first chunk is a figure in bench/engines.ts; what a test can pin is that the audio
    // is handed over in pieces as it is made, not as one buffer at the end of the text.
    test('hands a paragraph over in pieces: at least one per sentence, many for an incremental engine', async () => {
      const out = await collect(runtime, c.model, { voice: c.voice, text: PARAGRAPH });
      const sentences = PARAGRAPH.split(/(?<=\.) /).length;
      assert.ok(out.chunks.length >= sentences, `${out.chunks.length} chunks for ${sentences} sentences`);
      if (c.incremental) assert.ok(out.chunks.length >= 10, `${out.chunks.length} chunks: audio streams in many small pieces`);
    });

    test('an unknown voice is a 400 on `voice`', async () => {
      await assert.rejects(collect(runtime, c.model, { voice: 'no-such-voice', text: 'Hello.' }), (e: unknown) => {
        assert.ok(e instanceof ApiError);
        assert.equal(e.status, 400);
        assert.equal(e.param, 'voice');
        return true;
      });
    });

    if (c.wordTimings) {
      test('word timings name the input words, in order, monotonic and within the audio', async () => {
        const text = 'Well, Dr. Jones said: "Welsh is spoken in Cardiff & Swansea", then left.';
        const out = await collect(runtime, c.model, { voice: c.voice, text });
        assert.deepEqual(out.words.map((w) => w.word), inputWords(text));
        let previous = 0;
        for (const w of out.words) {
          assert.ok(w.start >= previous, `${w.word} starts after the word before`);
          assert.ok(w.end >= w.start, `${w.word} ends after it starts`);
          assert.ok(w.end <= out.seconds + 1e-6, `${w.word} ends within the audio`);
          previous = w.start;
        }
        // Speech fills most of the piece, so the words are not all bunched at one instant.
        assert.ok(out.words[out.words.length - 1].start > out.seconds / 2);
      });

      test('word timings keep numbers and symbols as written', async () => {
        const text = 'It costs $1,234 on 2024-01-05.';
        const out = await collect(runtime, c.model, { voice: c.voice, text });
        assert.deepEqual(out.words.map((w) => w.word), ['It', 'costs', '$1,234', 'on', '2024-01-05']);
      });
    } else {
      test('reports no word timings it cannot know', async () => {
        const out = await collect(runtime, c.model, { voice: c.voice, text: SENTENCE });
        assert.equal(out.words.length, 0);
      });
    }
  });
}

describe('voices', () => {
  test('a voice speaks its own language even when the request names another', async () => {
    const welsh = await collect(runtime, 'espeak', { voice: 'cy', language: 'en', text: 'Bore da, sut wyt ti heddiw?' });
    assert.ok(welsh.rms > 0.02);
    assert.deepEqual(welsh.words.map((w) => w.word), ['Bore', 'da', 'sut', 'wyt', 'ti', 'heddiw']);
  });

  test('non-Latin scripts get word timings in their own characters', async () => {
    const text = 'Привет, как дела?';
    const out = await collect(runtime, 'espeak', { voice: 'ru', language: 'ru', text });
    assert.deepEqual(out.words.map((w) => w.word), ['Привет', 'как', 'дела']);
  });

  test('every flite voice the binary offers speaks', async () => {
    const flite = runtime.engine('flite');
    assert.ok(flite);
    for (const voice of flite.voices()) {
      const out = await collect(runtime, 'flite', { voice: voice.id, text: 'Hello there.' });
      assert.ok(out.rms > 0.02, `${voice.id} is audible`);
    }
  });
});
