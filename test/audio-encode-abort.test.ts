/**
 * Stopping an encoder: abort, early break, a pipe nobody reads. Each must leave no ffmpeg process
 * (not even a zombie) and no listener on the signal.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';

import { encodeAudio } from '../src/audio/encode.js';
import { ffmpegSpawner } from '../src/audio/ffmpeg-process.js';
import { isAlive } from './helpers/processes.js';

const RATE_HZ = 24_000;
const CHUNK = new Int16Array(RATE_HZ / 5).map((_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / RATE_HZ)));

/** Pids of the ffmpeg children of this process or of its spawner, zombies included (read from /proc: Linux only). */
function ffmpegChildren(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid ...": comm may contain spaces, so split after its closing parenthesis.
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (comm === 'ffmpeg' && (ppid === process.pid || ppid === ffmpegSpawner.pid)) pids.push(Number(entry));
  }
  return pids;
}

/** The one ffmpeg child, once it runs: the spawner starts it a moment after the request. */
async function startedFfmpeg(): Promise<number | undefined> {
  await waitUntil(() => ffmpegChildren().length > 0);
  return ffmpegChildren()[0];
}

/** An endless source, counting what it has handed out and whether it was closed. */
function endlessSource(): { pcm: AsyncGenerator<Int16Array>; pulled: () => number; closed: () => boolean } {
  let pulled = 0;
  let closed = false;
  async function* generate(): AsyncGenerator<Int16Array> {
    try {
      for (;;) {
        await new Promise((resolve) => setImmediate(resolve));
        pulled++;
        yield CHUNK.slice();
      }
    } finally {
      closed = true;
    }
  }
  return { pcm: generate(), pulled: () => pulled, closed: () => closed };
}

describe('encodeAudio cancellation', () => {
  it('spawns the encoder before the first PCM arrives; aborting an unread stream kills it', async () => {
    const controller = new AbortController();
    const never: AsyncIterable<Int16Array> = { [Symbol.asyncIterator]: () => ({ next: () => new Promise(() => {}) }) };
    assert.deepEqual(ffmpegChildren(), []);
    encodeAudio(never, { format: 'mp3', sampleRateHz: RATE_HZ }, controller.signal);
    const pid = await startedFfmpeg();
    assert.ok(pid !== undefined && isAlive(pid), 'ffmpeg is running');
    assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
    controller.abort();
    await waitUntil(() => !isAlive(pid));
    await waitUntil(() => getEventListeners(controller.signal, 'abort').length === 0);
  });

  for (const format of ['mp3', 'opus', 'flac'] as const) {
    it(`${format}: abort mid-stream kills ffmpeg, ends the iteration with the abort reason and leaves no listener`, async () => {
      const controller = new AbortController();
      const source = endlessSource();
      const stream = encodeAudio(source.pcm, { format, sampleRateHz: RATE_HZ }, controller.signal);
      const pid = await startedFfmpeg();
      assert.ok(pid !== undefined);
      let chunks = 0;
      const reason = new Error('barge-in');
      await assert.rejects(async () => {
        for await (const bytes of stream) {
          assert.ok(bytes.length > 0);
          if (++chunks === 3) controller.abort(reason);
        }
      }, (err) => err === reason);
      assert.equal(isAlive(pid), false, 'ffmpeg is gone, reaped');
      assert.deepEqual(ffmpegChildren(), []);
      assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
      await waitUntil(source.closed);
    });
  }

  it('breaking out of the loop kills ffmpeg before the loop statement completes', async () => {
    const controller = new AbortController();
    const source = endlessSource();
    const stream = encodeAudio(source.pcm, { format: 'aac', sampleRateHz: RATE_HZ }, controller.signal);
    const pid = await startedFfmpeg();
    assert.ok(pid !== undefined);
    for await (const bytes of stream) {
      assert.ok(bytes.length > 0);
      break;
    }
    assert.equal(isAlive(pid), false);
    assert.deepEqual(ffmpegChildren(), []);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
    await waitUntil(source.closed);
  });

  it('a consumer that stops reading stops the source being pulled (back-pressure, not buffering)', async () => {
    const controller = new AbortController();
    const source = endlessSource();
    const iterator = encodeAudio(source.pcm, { format: 'flac', sampleRateHz: RATE_HZ }, controller.signal)[Symbol.asyncIterator]();
    await iterator.next();
    // Wait until the pipes have filled: the pull count stops growing.
    let last = -1;
    while (source.pulled() !== last) {
      last = source.pulled();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // An unbounded writer would have pulled thousands of chunks by now; the OS buffers (the
    // spawner's Unix sockets hold ~200 kB each way) and stream buffers hold under a MB, and FLAC
    // packs this pure tone ~4:1, so some tens of seconds of audio.
    const bufferedSeconds = (source.pulled() * CHUNK.length) / RATE_HZ;
    assert.ok(bufferedSeconds < 60, `${bufferedSeconds} s of audio pulled while nobody read`);
    controller.abort();
    await assert.rejects(iterator.next(), { name: 'AbortError' });
    assert.deepEqual(ffmpegChildren(), []);
  });

  it('an already aborted signal starts nothing and fails on first use', async () => {
    const controller = new AbortController();
    controller.abort();
    const stream = encodeAudio(endlessSource().pcm, { format: 'opus', sampleRateHz: RATE_HZ }, controller.signal);
    assert.deepEqual(ffmpegChildren(), []);
    await assert.rejects(stream[Symbol.asyncIterator]().next(), { name: 'AbortError' });
  });
});

/** Resolves once `condition` holds, checking after each turn of the event loop. */
async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
