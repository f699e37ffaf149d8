/**
 * decodePcmStream on long uploads: memory stays flat (back-pressure, not buffering), and ffmpeg
 * is gone as soon as the consumer aborts or stops reading.
 */
import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { after, before, describe, it } from 'node:test';

import { decodePcmStream } from '../src/audio/decode-stream.js';
import { ffmpegPath } from '../src/audio/ffmpeg-binaries.js';
import { runToBuffer } from '../src/audio/ffmpeg-process.js';
import { ffmpegChildren } from './helpers/processes.js';

const RATE_HZ = 16_000;
const LONG_MINUTES = 30;
/** 30 min of mono s16 at 16 kHz. */
const LONG_PCM_BYTES = LONG_MINUTES * 60 * RATE_HZ * 2;
/** decodePcmStream's default chunk is 10 s. */
const CHUNKS_PER_MINUTE = 6;

/** The ffmpeg processes this test process has spawned that are still running (or unreaped). */

/** Bytes a process has written so far (to its stdout pipe, here). */
async function bytesWritten(pid: number): Promise<number> {
  const io = await readFile(`/proc/${pid}/io`, 'utf8');
  return Number(/wchar: (\d+)/.exec(io)?.[1]);
}

/**
 * The process sleeps in a write to its stdout: Node gives a child a Unix socket for a 'pipe'
 * (kernel function `sock_alloc_send_pskb`), a real pipe elsewhere (`pipe_write`).
 */
async function isBlockedWriting(pid: number): Promise<boolean> {
  return /sock_alloc_send|unix_stream_sendmsg|pipe_write/.test(await readFile(`/proc/${pid}/wchan`, 'utf8'));
}

describe('decodePcmStream on a 30-minute upload', () => {
  let dir: string;
  let longMp3: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stt-decode-stream-'));
    // One minute of a low-bitrate 16 kHz mono mp3 (no ID3 tag, no Xing frame), repeated: MPEG
    // audio frames concatenate into a valid stream, and this takes a fraction of encoding 30 minutes.
    const minute = await runToBuffer(
      ffmpegPath(),
      [
        '-hide_banner', '-loglevel', 'error', '-nostdin',
        '-f', 'lavfi', '-i', 'sine=frequency=220:sample_rate=16000:duration=60',
        '-ac', '1', '-c:a', 'libmp3lame', '-b:a', '16k', '-id3v2_version', '0', '-write_xing', '0', '-f', 'mp3', 'pipe:1',
      ],
      'test fixture',
    );
    longMp3 = join(dir, 'long.mp3');
    const out = createWriteStream(longMp3);
    for (let i = 0; i < LONG_MINUTES; i++) out.write(minute);
    out.end();
    await finished(out);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('streams through with RSS growth far below the PCM size (< 40 MB of 57.6 MB)', async (t) => {
    // Dead chunks are freed when V8 next collects, and it collects external memory lazily: without
    // help, RSS also counts tens of MB of garbage (the "as it runs" figure below). Collecting every
    // minute of audio measures what the stream actually holds on to.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const measure = async (collect: boolean): Promise<{ samples: number; rms: number; growthMb: number; seconds: number }> => {
      gc();
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      let samples = 0;
      let sumSquares = 0;
      let chunks = 0;
      const started = performance.now();
      for await (const chunk of decodePcmStream(longMp3, { sampleRateHz: RATE_HZ })) {
        samples += chunk.length;
        for (let i = 0; i < chunk.length; i += 16) sumSquares += chunk[i]! * chunk[i]!;
        if (collect && ++chunks % CHUNKS_PER_MINUTE === 0) gc();
        peak = Math.max(peak, process.memoryUsage().rss);
      }
      const seconds = (performance.now() - started) / 1000;
      return { samples, rms: Math.sqrt(sumSquares / (samples / 16)), growthMb: (peak - baseline) / 1e6, seconds };
    };
    const asItRuns = await measure(false);
    const held = await measure(true);
    t.diagnostic(
      `decoded ${(asItRuns.samples / RATE_HZ / 60).toFixed(1)} min in ${asItRuns.seconds.toFixed(2)} s ` +
        `(${Math.round(asItRuns.samples / RATE_HZ / asItRuns.seconds)}x real time); RSS growth ${asItRuns.growthMb.toFixed(1)} MB as it runs, ` +
        `${held.growthMb.toFixed(1)} MB with a GC every minute of audio`,
    );
    // Each repeated minute restarts the encoder's priming; the total stays within a frame or two a minute.
    assert.ok(Math.abs(asItRuns.samples / RATE_HZ - LONG_MINUTES * 60) < 5, `${asItRuns.samples / RATE_HZ} s`);
    assert.equal(held.samples, asItRuns.samples);
    assert.ok(asItRuns.rms > 1_000, 'audible');
    assert.ok(held.growthMb < 40, `RSS grew ${held.growthMb.toFixed(1)} MB for ${(LONG_PCM_BYTES / 1e6).toFixed(1)} MB of PCM`);
  });

  it('back-pressure: while the consumer holds a chunk, ffmpeg stops writing', async () => {
    const chunks = decodePcmStream(longMp3, { sampleRateHz: RATE_HZ });
    try {
      await chunks.next();
      const [pid] = await ffmpegChildren();
      assert.ok(pid !== undefined, 'ffmpeg is running');
      // ffmpeg runs ahead until its stdout's buffer is full, then sleeps in the write.
      while (!(await isBlockedWriting(pid))) await new Promise((resolve) => setImmediate(resolve));
      const written = await bytesWritten(pid);
      // One 10 s chunk (320 KB) plus what the pipe and the stream buffer hold, not 57.6 MB.
      assert.ok(written < 2e6, `ffmpeg wrote ${written} bytes while the consumer waited`);
    } finally {
      await chunks.return();
    }
  });

  it('abort mid-stream: iteration rejects with the reason and ffmpeg is gone', async () => {
    const controller = new AbortController();
    const reason = new Error('client went away');
    const chunks = decodePcmStream(longMp3, { sampleRateHz: RATE_HZ, signal: controller.signal });
    await chunks.next();
    const pids = await ffmpegChildren();
    assert.equal(pids.length, 1);
    controller.abort(reason);
    await assert.rejects(chunks.next(), (e) => e === reason);
    assert.deepEqual(await ffmpegChildren(), []);
  });

  it('stopping early (break) kills ffmpeg before the loop exits', async () => {
    let seen = 0;
    for await (const _ of decodePcmStream(longMp3, { sampleRateHz: RATE_HZ })) {
      assert.equal((await ffmpegChildren()).length, 1);
      if (++seen === 2) break;
    }
    assert.deepEqual(await ffmpegChildren(), []);
  });

  it('an already aborted signal throws its reason without starting ffmpeg', async () => {
    const reason = new Error('too late');
    const chunks = decodePcmStream(longMp3, { sampleRateHz: RATE_HZ, signal: AbortSignal.abort(reason) });
    await assert.rejects(chunks.next(), (e) => e === reason);
    assert.deepEqual(await ffmpegChildren(), []);
  });
});
