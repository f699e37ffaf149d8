/** Checks on a finished TTS job's result file, as a client downloads it. */
import assert from 'node:assert/strict';

import { probeAudio } from '../../src/audio/probe.js';

/**
 * Downloads `resultUrl` and checks it is a WAV whose Content-Length is its size and whose own
 * header gives the job's `duration` (the streamed header was patched with the real sizes).
 * Resolves with the bytes, for Range checks against them.
 */
export async function downloadResultWav(resultUrl: string, duration: number): Promise<Uint8Array> {
  const file = await fetch(resultUrl);
  assert.equal(file.status, 200);
  assert.equal(file.headers.get('content-type'), 'audio/wav');
  const bytes = new Uint8Array(await file.arrayBuffer());
  assert.equal(Number(file.headers.get('content-length')), bytes.length);
  const probe = await probeAudio(bytes);
  assert.ok(Math.abs(probe.durationSec - duration) < 0.05, `${probe.durationSec} vs ${duration}`);
  return bytes;
}
