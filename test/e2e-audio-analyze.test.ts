/**
 * `POST /v1/audio/analyze/` over HTTP against a real server, on music made by the test: the key,
 * Camelot code and compatible keys of a chord progression, the tempo of a click track, a
 * compressed upload (made by the server's own /v1/audio/convert/), and 4xx for what is not audio.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { analyzeResponse } from '../src/api/schemas/audio-tools.js';
import type { App } from '../src/app.js';
import { wavHeader } from '../src/audio/wav.js';
import { chordProgression, clickTrack } from './helpers/music.js';
import { startTestApp } from './helpers/app.js';

const RATE = 44100;

interface Analysis {
  key: string;
  scale: string;
  bpm: number;
  time_signature: string;
  camelot: string;
  compatible_keys: string[];
}

function wav(pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(44 + pcm.byteLength);
  out.set(wavHeader(pcm.byteLength, RATE));
  out.set(new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength), 44);
  return out;
}

function form(file: Uint8Array, fields: Record<string, string> = {}): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  fd.append('file', new Blob([new Uint8Array(file)]), 'music');
  return fd;
}

describe('POST /v1/audio/analyze/', () => {
  let app: App;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  const analyze = (file: Uint8Array): Promise<Response> => fetch(`${app.url}/v1/audio/analyze/`, { method: 'POST', body: form(file) });

  it('answers the key, Camelot code and compatible keys of a D major progression', async () => {
    const res = await analyze(wav(chordProgression(2, 'Major', RATE, 3)));
    assert.equal(res.status, 200);
    const body = (await res.json()) as Analysis;
    // The documented response schema (OpenAPI) holds for the real answer.
    analyzeResponse.parse(body);
    assert.deepEqual([body.key, body.scale, body.camelot], ['D', 'Major', '10B']);
    assert.deepEqual(body.compatible_keys, ['D Major', 'A Major', 'G Major', 'B Minor']);
    assert.ok(body.bpm >= 60 && body.bpm <= 200, `${body.bpm}`);
    assert.ok(['3/4', '4/4'].includes(body.time_signature));
  });

  it('measures the tempo of a 150 BPM click track within 2 % and calls a waltz 3/4', async () => {
    const plain = (await (await analyze(wav(clickTrack(150, 20, RATE)))).json()) as Analysis;
    assert.ok(Math.abs(plain.bpm - 150) / 150 < 0.02, `${plain.bpm}`);
    assert.equal(plain.time_signature, '4/4');
    const waltz = (await (await analyze(wav(clickTrack(120, 20, RATE, [1, 0.35, 0.35])))).json()) as Analysis;
    assert.equal(waltz.time_signature, '3/4');
  });

  it('analyses a compressed upload: an E minor progression converted to mp3 by the server', async () => {
    const converted = await fetch(`${app.url}/v1/audio/convert/`, { method: 'POST', body: form(wav(chordProgression(4, 'Minor', RATE, 3)), { format: 'mp3', bitrate: '128' }) });
    assert.equal(converted.status, 200);
    const res = await analyze(new Uint8Array(await converted.arrayBuffer()));
    assert.equal(res.status, 200);
    const body = (await res.json()) as Analysis;
    assert.deepEqual([body.key, body.scale, body.camelot], ['E', 'Minor', '9A']);
  });

  it('refuses a file that is not audio (415) and a form without a file (400)', async () => {
    const text = await analyze(new TextEncoder().encode('not audio, only text '.repeat(50)));
    assert.equal(text.status, 415);
    const none = new FormData();
    none.append('format', 'wav');
    const missing = await fetch(`${app.url}/v1/audio/analyze/`, { method: 'POST', body: none });
    assert.equal(missing.status, 400);
    assert.equal(((await missing.json()) as { error: { param: string } }).error.param, 'file');
  });
});
