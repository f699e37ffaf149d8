/**
 * Live turns on the live recognition threads (workers/live-stt-pool.ts): more turns at once than
 * threads, each decoded slice by slice on its own decoder; an aborted turn's decoder freed; and
 * a pool worker held by other work does not hold up live turns.
 */
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';

import { concatPcm } from '../src/audio/pcm.js';
import { PocketSphinxDecoder } from '../src/engines/stt/pocketsphinx/decoder.js';
import { FliteCore } from '../src/engines/tts/flite/flite-core.js';
import { STT_SAMPLE_RATE_HZ } from '../src/stt/transcribe-pcm.js';
import { LiveSttPool } from '../src/workers/live-stt-pool.js';
import { WorkerPool } from '../src/workers/pool.js';
import { HARVARD_SENTENCES } from './fixtures/harvard-sentences.js';
import { corpusWer } from './helpers/wer.js';

/** 20 ms, a Realtime client's usual append. */
const CHUNK_SAMPLES = STT_SAMPLE_RATE_HZ / 50;
const THREADS = 2;
/** Four turns per thread, as the bench's 4× workers. */
const TURNS = THREADS * 4;

/** Audio in 20 ms chunks, yielding to the event loop between them so that turns interleave. */
async function* chunked(pcm: Int16Array): AsyncGenerator<Int16Array> {
  for (let i = 0; i < pcm.length; i += CHUNK_SAMPLES) {
    yield pcm.slice(i, i + CHUNK_SAMPLES);
    await nextTurn();
  }
}

/** An audio source the test pushes to by hand, and ends or leaves open. */
class ManualFeed implements AsyncIterable<Int16Array> {
  private readonly chunks: Int16Array[] = [];
  private wake: (() => void) | null = null;
  private ended = false;

  push(pcm: Int16Array): void {
    this.chunks.push(pcm);
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Int16Array> {
    for (;;) {
      while (this.chunks.length === 0 && !this.ended) await new Promise<void>((resolve) => (this.wake = resolve));
      const next = this.chunks.shift();
      if (next === undefined) return;
      yield next;
    }
  }
}

const normalize = (text: string): string => text.toLowerCase().replace(/[^a-z' ]/g, ' ').replace(/\s+/g, ' ').trim();

describe('live turns on pinned decoders', () => {
  let scratch: string;
  let devNull: number;
  const sentences: Int16Array[] = [];
  let live: LiveSttPool;
  let pool: WorkerPool;

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'llais-live-'));
    devNull = openSync('/dev/null', 'w');
    const flite = await FliteCore.load(scratch, devNull);
    for (const text of HARVARD_SENTENCES.slice(0, TURNS)) {
      const parts: Int16Array[] = [];
      flite.synthesize(text, 'slt', 1, (chunk) => (parts.push(chunk.pcm), true));
      sentences.push(concatPcm(parts));
    }
    live = LiveSttPool.start({ threads: THREADS });
    pool = WorkerPool.start({ threads: 1, maxQueue: 4 });
  });

  after(async () => {
    await live.close();
    await pool.close();
    closeSync(devNull);
    rmSync(scratch, { recursive: true, force: true });
  });

  test(`${TURNS} turns at once on ${THREADS} threads each get their own speech's transcript, as a decoder of its own would`, async () => {
    const signal = new AbortController().signal;
    const pinned = await Promise.all(sentences.map((pcm) => live.transcribe(chunked(pcm), 'en', signal)));
    // Each sentence alone through a fresh decoder's live stream, here, in one piece: what a turn
    // on a fresh decoder must give (the live stream's normalisation carries over between turns
    // on one decoder, so a fresh decoder is the reference; these are the threads' first turns).
    const alone = sentences.map((pcm) => {
      const decoder = new PocketSphinxDecoder();
      try {
        const stream = decoder.openLiveStream();
        return [...stream.push(pcm), ...stream.end()].map((w) => w.word).join(' ');
      } finally {
        decoder.free();
      }
    });
    for (const [i, t] of pinned.entries()) {
      assert.equal(t.text, alone[i], `turn ${i}: slices of other turns would change its words`);
      assert.ok(Math.abs(t.durationSec - sentences[i]!.length / STT_SAMPLE_RATE_HZ) < 1e-6, `turn ${i} counts all its audio`);
    }
    const againstText = corpusWer(pinned.map((t, i) => ({ reference: normalize(HARVARD_SENTENCES[i]!), hypothesis: normalize(t.text) })));
    console.log(`pinned live transcripts vs the sentences: WER ${againstText.toFixed(3)}`);
    assert.ok(againstText <= 0.6, `pinned turns recognize the sentences (WER ${againstText})`);
  });

  test('a turn on the old path (a pool worker held for the turn) and on a pinned decoder read alike', async () => {
    const signal = new AbortController().signal;
    const pcm = sentences[1]!;
    const pooled = await pool.transcribePcm(chunked(pcm), { kind: 'transcribe', language: 'en', wordTimestamps: false, diarize: false, live: true }, signal);
    const pinned = await live.transcribe(chunked(pcm), 'en', signal);
    const wer = corpusWer([{ reference: normalize(pooled.text), hypothesis: normalize(pinned.text) }]);
    assert.ok(wer <= 0.35, `pool: '${pooled.text}', pinned: '${pinned.text}'`);
  });

  test('an aborted turn frees its decoder and rejects with the abort reason', async () => {
    const before = await live.stats();
    assert.equal(before.active, 0);
    const feed = new ManualFeed();
    const controller = new AbortController();
    const turn = live.transcribe(feed, 'en', controller.signal);
    const speech = sentences[0]!;
    feed.push(speech.slice(0, speech.length / 2));
    // Wait on the decoder being taken (the turn has started on its thread).
    while ((await live.stats()).active === 0) await nextTurn();
    const reason = new Error('caller gone');
    controller.abort(reason);
    await assert.rejects(turn, (e) => e === reason);
    const afterAbort = await live.stats();
    assert.equal(afterAbort.active, 0, 'no decoder held');
    assert.ok(afterAbort.idle <= before.idle, 'the aborted decoder is freed, not kept for the next turn');
  });

  test('an unsupported language is a 400 and holds no decoder', async () => {
    await assert.rejects(live.transcribe(chunked(sentences[0]!), 'fr', new AbortController().signal), (e: unknown) => {
      assert.equal((e as { code?: string }).code, 'unsupported_language');
      return true;
    });
    assert.equal((await live.stats()).active, 0);
  });

  test('live turns complete while every pool worker is busy with other work', async () => {
    const busy = new AbortController();
    let poolDone = false;
    // Holds the pool's only worker as a file transcription does, until released below.
    const blocker = pool.selftest({ sleepMs: 60_000 }, busy.signal).catch(() => undefined).finally(() => (poolDone = true));
    try {
      const texts = await Promise.all(sentences.slice(0, 3).map((pcm) => live.transcribe(chunked(pcm), 'en', new AbortController().signal)));
      assert.ok(texts.every((t) => t.text.length > 0));
      assert.equal(poolDone, false, 'the pool worker was still busy when the live turns finished');
    } finally {
      busy.abort(new Error('test cleanup'));
      await blocker;
    }
  });
});
