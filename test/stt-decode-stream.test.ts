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

/** Bytes a process has written so far (to its stdout pipe, here); null where /proc/<pid>/io is not readable. */
async function bytesWritten(pid: number): Promise<number | null> {
  const io = await readFile(`/proc/${pid}/io`, 'utf8').catch(() => null);
  const match = io === null ? null : /wchar: (\d+)/.exec(io);
  return match ? Number(match[1]) : null;
}

/**
 * Whether the process sleeps in a write to its stdout: Node gives a child a Unix socket for a
 * 'pipe' (kernel function `sock_alloc_send_pskb`), a real pipe elsewhere (`pipe_write`). Null
 * where the kernel does not say (wchan unreadable, or `0` as it reads without the permission).
 */
async function isBlockedWriting(pid: number): Promise<boolean | null> {
  const wchan = await readFile(`/proc/${pid}/wchan`, 'utf8').catch(() => null);
  if (wchan === null || wchan === '' || wchan === '0') return null;
  return /sock_alloc_send|unix_stream_sendmsg|pipe_write/.test(wchan);
}

/** ffmpeg fills a 2 MB pipe in milliseconds; this is ample even on a loaded 2-core machine. */
const BLOCKED_TIMEOUT_MS = 10_000;
/** Between readings of /proc: short against the timeout, long enough for a running ffmpeg to write more. */
const PROC_POLL_MS = 50;

/**
 * Waits until ffmpeg has run as far ahead as it can and sleeps in a write: seen in wchan where
 * the kernel shows it, else as a written-bytes count that stops growing while the process lives.
 * Resolves with how it was seen, `unobservable` when neither /proc file can be read, or `timeout`.
 */
async function waitUntilBlocked(pid: number): Promise<'wchan' | 'wchar' | 'unobservable' | 'timeout'> {
  const deadline = performance.now() + BLOCKED_TIMEOUT_MS;
  let lastWritten: number | null = null;
  while (performance.now() < deadline) {
    if ((await isBlockedWriting(pid)) === true) return 'wchan';
    const written = await bytesWritten(pid);
    if (written === null && (await isBlockedWriting(pid)) === null) return 'unobservable';
    if (written !== null && written > 0 && written === lastWritten) return 'wchar';
    lastWritten = written;
    await new Promise((resolve) => setTimeout(resolve, PROC_POLL_MS));
  }
  return 'timeout';
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
    // A sanity bound, not a benchmark (the speed and the as-it-runs figure are diagnostics only):
    // streaming holds one 320 KB chunk plus the pipe (measured ~5 MB with the GCs), a decoder that
    // buffered would hold all 57.6 MB of PCM; 40 MB leaves room for a loaded machine's GC timing.
    assert.ok(held.growthMb < 40, `RSS grew ${held.growthMb.toFixed(1)} MB for ${(LONG_PCM_BYTES / 1e6).toFixed(1)} MB of PCM`);
  });

  it('back-pressure: while the consumer holds a chunk, ffmpeg stops writing', async (t) => {
    const chunks = decodePcmStream(longMp3, { sampleRateHz: RATE_HZ });
    try {
      await chunks.next();
      const [pid] = await ffmpegChildren();
      assert.ok(pid !== undefined, 'ffmpeg is running');
      // ffmpeg runs ahead until its stdout's buffer is full, then sleeps in the write.
      const seen = await waitUntilBlocked(pid);
      assert.notEqual(seen, 'timeout', `ffmpeg did not block within ${BLOCKED_TIMEOUT_MS} ms: it is not held back`);
      const written = await bytesWritten(pid);
      if (seen === 'unobservable' || written === null) {
        // No /proc view of the process (a restricted container): the other observable is that it
        // has not finished. Unthrottled, it decodes the 30 minutes in a few seconds and exits.
        t.diagnostic(`ffmpeg's progress is not observable through /proc here (${seen}); checking that it is still alive instead`);
        assert.deepEqual(await ffmpegChildren(), [pid], 'ffmpeg is held, not finished');
        return;
      }
      t.diagnostic(`ffmpeg seen blocked by ${seen}, having written ${written} bytes`);
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
