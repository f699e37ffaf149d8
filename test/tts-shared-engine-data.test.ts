/**
 * The built-in engines' data is prepared once per pool and shared by every TTS worker (eSpeak's
 * data file, flite's compiled module and memory image, pico's compiled module). Pinned here: a
 * pool of two workers speaks exactly what a pool of one does, run after run, and no run writes
 * into the shared data (a write would change every worker's engine at once).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AudioChunk } from '../src/audio/pcm.js';
import { EspeakCore } from '../src/engines/tts/espeak/espeak-core.js';
import { FliteCore } from '../src/engines/tts/flite/flite-core.js';
import type { TtsJob } from '../src/workers/tts-messages.js';
import { TtsPool } from '../src/workers/tts-pool.js';
import { findPicoLingware } from './helpers/pico.js';

const TEXT = 'Shared data, 42 voices: the quick brown fox jumps over the lazy dog. Then it rests.';
/** Enough runs per engine that a run which disturbed the shared state would show in a later one. */
const RUNS = 6;

const picoDir = findPicoLingware() ?? null;
const JOBS: TtsJob[] = [
  { engine: 'espeak', voice: 'gmw/en-US', text: TEXT, speed: 1, priority: 'first' },
  { engine: 'espeak', voice: 'roa/fr', text: TEXT, speed: 1.3, priority: 'first' },
  { engine: 'flite', voice: 'slt', text: TEXT, speed: 1, priority: 'first' },
  { engine: 'flite', voice: 'kal', text: TEXT, speed: 0.8, priority: 'first' },
  ...(picoDir === null ? [] : [{ engine: 'pico', voice: 'en-US', text: TEXT, speed: 1, priority: 'first' } satisfies TtsJob]),
];

/** The job's PCM as bytes, and its RMS (so that "identical" is never two silences). */
async function speak(pool: TtsPool, job: TtsJob): Promise<{ pcm: Buffer; rms: number }> {
  const chunks: AudioChunk[] = [];
  for await (const chunk of pool.run(job, new AbortController().signal)) chunks.push(chunk);
  const pcm = Buffer.concat(chunks.map((c) => Buffer.from(c.pcm.buffer, c.pcm.byteOffset, c.pcm.byteLength)));
  let sumSquares = 0;
  for (const c of chunks) for (const s of c.pcm) sumSquares += (s / 32768) ** 2;
  return { pcm, rms: Math.sqrt(sumSquares / Math.max(1, pcm.length / 2)) };
}

function sha256(data: SharedArrayBuffer): string {
  return createHash('sha256').update(new Uint8Array(data)).digest('hex');
}

function pcmOf(run: (sink: (chunk: AudioChunk) => boolean) => void): Buffer {
  const parts: Buffer[] = [];
  run((c) => {
    parts.push(Buffer.from(c.pcm.buffer, c.pcm.byteOffset, c.pcm.byteLength));
    return true;
  });
  return Buffer.concat(parts);
}

describe('a pool of two workers on shared engine data', () => {
  let one: TtsPool;
  let two: TtsPool;
  before(async () => {
    // No warm-up: every worker starts from the same engine state, so that the k-th run on
    // either of two workers must equal the k-th run on the one (eSpeak's noise generator, for
    // one, carries its state from run to run, so run 2 never equals run 1).
    one = await TtsPool.start({ workers: 1, maxQueue: 64, picoLingwareDir: picoDir, warmUp: false });
    two = await TtsPool.start({ workers: 2, maxQueue: 64, picoLingwareDir: picoDir, warmUp: false });
  });
  after(async () => {
    await Promise.all([one?.close(), two?.close()]);
  });

  test('speaks byte-identical audio to a pool of one, on both workers, run after run', async () => {
    for (const job of JOBS) {
      const before = two.stats().dispatched;
      for (let round = 0; round < RUNS; round++) {
        const reference = await speak(one, job);
        assert.ok(reference.pcm.length > 0 && reference.rms > 0.01, `${job.engine} ${job.voice} is audible`);
        // Two at a time, so that each of the two workers runs the job every round.
        const pair = await Promise.all([speak(two, job), speak(two, job)]);
        for (const got of pair) assert.ok(got.pcm.equals(reference.pcm), `${job.engine} ${job.voice}: run ${round + 1} differs from the one-worker pool's`);
      }
      assert.equal(two.stats().dispatched - before, 2 * RUNS);
    }
    assert.equal(two.stats().workersReplaced, 0, 'no worker crashed');
  });
});

describe('the shared data is only read', () => {
  test("eSpeak's data file is unchanged after many runs in several voices, and two engines on it stay in step", async () => {
    const data = EspeakCore.readData();
    const hash = sha256(data);
    const [a, b] = await Promise.all([EspeakCore.load(data), EspeakCore.load(data)]);
    for (let i = 0; i < RUNS; i++) {
      for (const voice of ['gmw/en-US', 'roa/fr', 'gmw/de', 'zle/ru']) {
        const fromA = pcmOf((sink) => a.synthesize(TEXT, voice, 1, sink));
        assert.ok(fromA.length > 0);
        assert.ok(pcmOf((sink) => b.synthesize(TEXT, voice, 1, sink)).equals(fromA), `run ${i + 1} in ${voice}`);
        assert.equal(b.ipa(TEXT, voice), a.ipa(TEXT, voice));
      }
    }
    assert.equal(sha256(data), hash);
  });

  test("flite's pristine memory image is unchanged after many runs, and the last run sounds as the first", async () => {
    const image = await FliteCore.prepare();
    const hash = sha256(image.pristine);
    const scratch = mkdtempSync(join(tmpdir(), 'llais-flite-shared-'));
    const devNull = openSync('/dev/null', 'w');
    try {
      const [a, b] = await Promise.all([FliteCore.load(scratch, devNull, image), FliteCore.load(scratch, devNull, image)]);
      const first = pcmOf((sink) => a.synthesize(TEXT, 'slt', 1, sink));
      for (let i = 0; i < RUNS; i++) for (const voice of a.voices()) pcmOf((sink) => a.synthesize(TEXT, voice, 1, sink));
      assert.equal(sha256(image.pristine), hash);
      assert.ok(pcmOf((sink) => b.synthesize(TEXT, 'slt', 1, sink)).equals(first));
      assert.ok(pcmOf((sink) => a.synthesize(TEXT, 'slt', 1, sink)).equals(first));
    } finally {
      closeSync(devNull);
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
