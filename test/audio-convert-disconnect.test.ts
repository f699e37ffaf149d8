/**
 * A client that leaves in the middle of `POST /v1/audio/convert/` stops the conversion: its
 * ffmpeg is killed, not left to write a file nobody reads, and the server answers the next request.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { App } from '../src/app.js';
import { ffmpegPath } from '../src/audio/ffmpeg-binaries.js';
import { runToBuffer } from '../src/audio/ffmpeg-process.js';
import { startTestApp } from './helpers/app.js';
import { ffmpegChildren } from './helpers/processes.js';

/** Long enough that its WAV (10 MB) cannot fit in the socket and pipe buffers of a client that stops reading. */
const SOURCE_SEC = 60;
/** How long the server may take to notice the closed socket and reap ffmpeg. */
const REAP_TIMEOUT_MS = 10_000;

let app: App;
let source: Uint8Array;
before(async () => {
  app = await startTestApp();
  source = await runToBuffer(
    ffmpegPath(),
    ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `sine=f=440:d=${SOURCE_SEC}`, '-ac', '2', '-ar', '44100', '-c:a', 'pcm_s16le', '-f', 'wav', 'pipe:1'],
    'could not make the test file',
  );
});
after(() => app.close());

/** Resolves once none of this process's ffmpeg children is left, or false after the timeout. */
async function noFfmpegLeft(): Promise<boolean> {
  const deadline = Date.now() + REAP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if ((await ffmpegChildren()).length === 0) return true;
    await delay(20);
  }
  return false;
}

it('kills the conversion when the client disconnects mid-stream', async () => {
  const controller = new AbortController();
  const fd = new FormData();
  fd.append('format', 'wav');
  fd.append('file', new Blob([new Uint8Array(source)]), 'long.wav');
  const res = await fetch(`${app.url}/v1/audio/convert/`, { method: 'POST', body: fd, signal: controller.signal });
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  const first = await reader.read();
  assert.ok(first.value && first.value.length > 0);
  assert.ok((await ffmpegChildren()).length >= 1, 'the conversion is running while the client holds back');
  controller.abort();
  assert.ok(await noFfmpegLeft(), 'ffmpeg is gone after the client left');

  const again = new FormData();
  again.append('format', 'flac');
  again.append('file', new Blob([new Uint8Array(source.subarray(0, 44 + 44100 * 4))]), 'short.wav');
  const next = await fetch(`${app.url}/v1/audio/convert/`, { method: 'POST', body: again });
  assert.equal(next.status, 200);
  assert.ok((await next.arrayBuffer()).byteLength > 0);
});
