/**
 * Partial results of live turns: the stable-prefix and throttle rules (stt/live-partial.ts) by
 * table, and the running hypothesis flowing back from both kinds of live decoders (pool workers
 * and pinned live threads) while the audio is still arriving.
 */
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { concatPcm } from '../src/audio/pcm.js';
import { FliteCore } from '../src/engines/tts/flite/flite-core.js';
import { PartialHypothesis, type LivePartial } from '../src/stt/live-partial.js';
import { STT_SAMPLE_RATE_HZ, transcribePcm } from '../src/stt/transcribe-pcm.js';
import { PocketSphinxDecoder } from '../src/engines/stt/pocketsphinx/decoder.js';
import { LiveSttPool } from '../src/workers/live-stt-pool.js';
import { WorkerPool } from '../src/workers/pool.js';
import { DEFAULT_ONNX_SETTINGS } from '../src/engines/onnx/settings.js';
import { checkWhisperFolder } from '../src/engines/stt/whisper/load-model.js';
import { transcribeWithWhisper } from '../src/workers/whisper-run.js';
import { corpusWer } from './helpers/wer.js';
import { TINY_TEXT, writeTinyWhisper } from './helpers/whisper-model.js';

const w = (word: string, start: number, end: number): { word: string; start: number; end: number } => ({ word, start, end });

describe('PartialHypothesis', () => {
  test('a word becomes stable when two partials agree on it and it ends 0.3 s before the newest word; stable words never change', () => {
    const p = new PartialHypothesis(0);
    assert.deepEqual(p.offer([w('the', 0, 0.2)], 0)?.stableWords, 0);
    assert.equal(p.offer([w('the', 0, 0.2), w('bird', 0.2, 0.5)], 1)?.stableWords, 1);
    const revised = p.offer([w('a', 0, 0.2), w('barge', 0.2, 0.6), w('can', 0.6, 0.8)], 2)!;
    // "the" was stable: the revision of it is not shown; what follows it is, aligned by time.
    assert.deepEqual(revised.words.map((x) => x.word), ['the', 'barge', 'can']);
    assert.equal(revised.stableWords, 1);
    const next = p.offer([w('a', 0, 0.2), w('barge', 0.2, 0.6), w('can', 0.6, 0.8), w('use', 0.8, 1)], 3)!;
    assert.equal(next.text, 'the barge can use');
    assert.equal(next.stableWords, 2, '"can" ends 0.2 s before "use" does: not settled yet');
    assert.equal(p.offer([w('a', 0, 0.2), w('barge', 0.2, 0.6), w('can', 0.6, 0.8), w('use', 0.8, 1.2)], 4)!.stableWords, 3);
  });

  test('nothing is sent when the text is unchanged, nor sooner than the interval', () => {
    const p = new PartialHypothesis(200);
    assert.ok(p.offer([w('one', 0, 0.3)], 1000));
    assert.equal(p.offer([w('one', 0, 0.3), w('two', 0.3, 0.6)], 1100), null, 'too soon');
    assert.ok(p.offer([w('one', 0, 0.3), w('two', 0.3, 0.6)], 1200));
    assert.equal(p.offer([w('one', 0, 0.3), w('two', 0.3, 0.6)], 1500), null, 'unchanged');
  });
});

/**
 * 20 ms chunks at twice real time (the recognizer keeps up, and the test stays short), pausing
 * half-way for `midway()`: "partials while the turn is spoken" is then
 * checked by whether one came in that pause, not by racing the clock of a loaded machine (a
 * pinned thread's cold start once pushed the first partial past half the turn's wall time).
 */
async function* paced(pcm: Int16Array, midway: () => Promise<void>): AsyncGenerator<Int16Array> {
  const chunk = STT_SAMPLE_RATE_HZ / 50;
  const half = Math.floor(pcm.length / 2 / chunk) * chunk;
  for (let i = 0; i < pcm.length; i += chunk) {
    if (i === half) await midway();
    yield pcm.slice(i, i + chunk);
    await sleep(10);
  }
}

describe('partials from live decoders', () => {
  let scratch: string;
  let devNull: number;
  let speech: Int16Array;
  const said = 'The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background.';
  let live: LiveSttPool;
  let pool: WorkerPool;

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'llais-partials-'));
    devNull = openSync('/dev/null', 'w');
    const flite = await FliteCore.load(scratch, devNull);
    const parts: Int16Array[] = [];
    flite.synthesize(said, 'slt', 1, (chunk) => (parts.push(chunk.pcm), true));
    speech = concatPcm(parts);
    live = LiveSttPool.start({ threads: 1 });
    pool = WorkerPool.start({ threads: 1, maxQueue: 2 });
  });

  after(async () => {
    await live.close();
    await pool.close();
    closeSync(devNull);
    rmSync(scratch, { recursive: true, force: true });
  });

  async function check(run: (audio: AsyncIterable<Int16Array>, onPartial: (p: LivePartial) => void) => Promise<{ text: string }>): Promise<void> {
    const partials: LivePartial[] = [];
    let heard: () => void = () => {};
    const firstPartial = new Promise<void>((r) => (heard = r));
    let duringTurn = 0;
    // Half the speech sent: wait there for a partial (30 s at most), and count what came before the rest.
    const audio = paced(speech, async () => {
      await Promise.race([firstPartial, sleep(30_000)]);
      duringTurn = partials.length;
    });
    const transcript = await run(audio, (p) => {
      partials.push(p);
      heard();
    });
    assert.ok(partials.length >= 3, `${partials.length} partials`);
    assert.ok(duringTurn >= 1, 'a partial came while the second half of the turn was still unsent');
    for (let i = 1; i < partials.length; i++) {
      const before = partials[i - 1]!;
      const now = partials[i]!;
      assert.ok(now.stableWords >= before.stableWords);
      assert.deepEqual(now.words.slice(0, before.stableWords).map((x) => x.word), before.words.slice(0, before.stableWords).map((x) => x.word), 'stable words never change');
    }
    const last = partials.at(-1)!;
    const wer = corpusWer([{ reference: transcript.text, hypothesis: last.text }]);
    assert.ok(wer <= 0.35, `last partial "${last.text}" vs final "${transcript.text}": WER ${wer.toFixed(2)}`);
    assert.ok(corpusWer([{ reference: said.toLowerCase().replace(/[^a-z ]/g, ''), hypothesis: transcript.text }]) <= 0.6);
  }

  test('a pool worker sends the running hypothesis while the turn is spoken', async () => {
    await check((audio, onPartial) => pool.transcribePcm(audio, { kind: 'transcribe', language: 'en', wordTimestamps: false, diarize: false, live: true, partials: true }, new AbortController().signal, { onPartial }));
  });

  test('a pinned live thread does too', async () => {
    await check((audio, onPartial) => live.transcribe(audio, 'en', new AbortController().signal, { onPartial }));
  });

  test('audio that arrives in one burst and then stops mid-turn still gets its partial, words settled, while the turn stays open', async () => {
    // As when a client pauses, or a busy decoder catches up: the burst is decoded at once, and no
    // audio follows to offer its hypothesis again (words settle when two partials agree on them).
    const decoder = new PocketSphinxDecoder();
    let resume: () => void = () => {};
    const held = new Promise<void>((r) => (resume = r));
    async function* burstThenPause(): AsyncGenerator<Int16Array> {
      yield speech.slice(0, Math.floor(speech.length * 0.6));
      await held;
    }
    const partials: LivePartial[] = [];
    const recognizer = { language: 'en', openStream: () => decoder.openLiveStream() };
    const turn = transcribePcm(burstThenPause(), recognizer, { wordTimestamps: false, diarize: false, onPartial: (p) => partials.push(p) });
    try {
      for (const deadline = Date.now() + 5000; (partials.at(-1)?.stableWords ?? 0) === 0 && Date.now() < deadline; ) await sleep(20);
      const last = partials.at(-1);
      assert.ok(last && last.stableWords > 0, `a partial with settled words while the audio is paused: ${JSON.stringify(last)}`);
      assert.ok(last.words.length >= 3, last.text);
    } finally {
      resume();
      await turn;
      decoder.free();
    }
  });
});

describe('partials from Whisper (re-decoding the growing window)', () => {
  test('a live turn gets the window decoded again as audio arrives, and the last partial is the final text', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llais-whisper-partials-'));
    try {
      await writeTinyWhisper(dir);
      const spec = { modelId: 'whisper-tiny', dir, variant: 'auto' as const, version: checkWhisperFolder(dir, 'auto').version, onnx: DEFAULT_ONNX_SETTINGS, budgetBytes: 0, task: 'transcribe' as const };
      const partials: LivePartial[] = [];
      let firstPartial: () => void = () => {};
      const gotPartial = new Promise<void>((resolve) => (firstPartial = resolve));
      // 3 s of quiet noise in quarter seconds; after 2 s the feed waits for a partial, so one must
      // come while the turn is still open (however slow the machine).
      async function* feed(): AsyncGenerator<Int16Array> {
        for (let i = 0; i < 12; i++) {
          yield Int16Array.from({ length: STT_SAMPLE_RATE_HZ / 4 }, () => Math.round((Math.random() - 0.5) * 200));
          if (i === 7) await Promise.race([gotPartial, sleep(20_000, undefined, { ref: false }).then(() => Promise.reject(new Error('no partial while the audio was arriving')))]);
        }
      }
      const onPartial = (p: LivePartial): void => {
        partials.push(p);
        firstPartial();
      };
      const transcript = await transcribeWithWhisper(spec, feed(), { language: 'en', wordTimestamps: false, onPartial });
      assert.equal(transcript.text.trim(), TINY_TEXT.trim());
      assert.equal(partials.at(-1)!.text, transcript.text.trim());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
