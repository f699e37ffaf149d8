/**
 * A client that leaves during a conversion (`POST /v1/speech-to-speech/`) stops it: the pool's only
 * worker (no queue) is busy while it runs, so another request is refused with 503, and once the
 * client has gone the slot is free again long before the 5 minutes of audio would have been
 * converted.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { App } from '../src/app.js';
import { ffmpegPath } from '../src/audio/ffmpeg-binaries.js';
import { runToBuffer } from '../src/audio/ffmpeg-process.js';
import { startTestApp } from './helpers/app.js';

const SOURCE_SEC = 300;
/** The conversion alone takes ~50 s on the development VM; freeing the slot must take far less. */
const FREED_WITHIN_MS = 15_000;

let app: App;
let source: Buffer;
before(async () => {
  app = await startTestApp({ poolWorkers: 1, poolMaxQueue: 0 });
  source = await runToBuffer(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `sine=f=150:d=${SOURCE_SEC}`, '-ar', '16000', '-ac', '1', '-c:a', 'pcm_s16le', '-f', 'wav', 'pipe:1'], 'source');
});
after(() => app.close());

function form(fields: Record<string, string>, file: Uint8Array): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  fd.append('file', new Blob([new Uint8Array(file)]), 'long.wav');
  return fd;
}

it('frees the worker when the client leaves mid-conversion', async () => {
  // A probe that takes no worker: admission is checked first (503 while the only worker is busy),
  // then the bad field is refused (400) before any work.
  const probe = async (): Promise<number> => {
    const res = await fetch(`${app.url}/v1/speech-to-speech/`, { method: 'POST', body: form({ emotion: 'bored' }, source.subarray(0, 44 + 3_200)) });
    await res.arrayBuffer();
    return res.status;
  };
  const controller = new AbortController();
  const busy = fetch(`${app.url}/v1/speech-to-speech/`, { method: 'POST', body: form({ emotion: 'sad' }, source), signal: controller.signal }).catch(() => undefined);
  let refused = false;
  for (let i = 0; i < 100 && !refused; i++) {
    await delay(100);
    refused = (await probe()) === 503;
  }
  assert.ok(refused, 'the long conversion holds the only worker');
  controller.abort();
  await busy;
  const left = performance.now();
  let status = 503;
  while (status === 503 && performance.now() - left < FREED_WITHIN_MS) {
    await delay(200);
    status = await probe();
  }
  assert.equal(status, 400, `the worker was still busy ${FREED_WITHIN_MS} ms after the client left`);
});
