/**
 * `/v1/audio/separate/` with 4 and 6 stems through an installed Demucs ONNX export, over HTTP
 * against one real server whose models folder holds tiny generated models of the export's exact
 * signature (test/helpers/demucs-model.ts): each stem must be the input times the model's known
 * scale at every sample, across the segment boundaries and the padded tail (so the streamed
 * overlap-add is exact), in the zip and the JSON forms; a client that leaves mid-separation frees
 * the worker without terminating its thread (onnxruntime would abort the process); a damaged
 * model file and a missing one are 424s naming the install command.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { unzipSync } from 'fflate';

import type { App } from '../src/app.js';
import { startTestApp } from './helpers/app.js';
import { stemScales, tinyDemucsModel } from './helpers/demucs-model.js';

const RATE = 44_100;
/** The tiny exports' segment: 0.09 s, so a second of audio crosses a dozen segment boundaries. */
const SEGMENT = 4096;
const STEMS_4 = ['drums', 'bass', 'other', 'vocals'];
const STEMS_6 = [...STEMS_4, 'guitar', 'piano'];

function wav(channels: Float32Array[]): Uint8Array {
  const frames = channels[0]!.length;
  const n = channels.length;
  const out = new Uint8Array(44 + frames * n * 2);
  const v = new DataView(out.buffer);
  [...'RIFF'].forEach((ch, i) => v.setUint8(i, ch.charCodeAt(0)));
  v.setUint32(4, 36 + frames * n * 2, true);
  [...'WAVEfmt '].forEach((ch, i) => v.setUint8(8 + i, ch.charCodeAt(0)));
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, n, true);
  v.setUint32(24, RATE, true);
  v.setUint32(28, RATE * 2 * n, true);
  v.setUint16(32, 2 * n, true);
  v.setUint16(34, 16, true);
  [...'data'].forEach((ch, i) => v.setUint8(36 + i, ch.charCodeAt(0)));
  v.setUint32(40, frames * n * 2, true);
  for (let i = 0; i < frames; i++) for (let c = 0; c < n; c++) v.setInt16(44 + (i * n + c) * 2, Math.round(channels[c]![i]! * 32767), true);
  return out;
}

function unwav(bytes: Uint8Array): Float32Array[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assert.equal(new TextDecoder().decode(bytes.subarray(36, 40)), 'data');
  const n = v.getUint16(22, true);
  assert.equal(v.getUint32(24, true), RATE);
  const frames = Math.floor(v.getUint32(40, true) / (2 * n));
  const chs = Array.from({ length: n }, () => new Float32Array(frames));
  for (let i = 0; i < frames; i++) for (let c = 0; c < n; c++) chs[c]![i] = v.getInt16(44 + (i * n + c) * 2, true) / 32768;
  return chs;
}

/** Two different signals (a chord left, a glide right), so a channel swap or a time shift shows. */
function music(seconds: number): Float32Array[] {
  const frames = Math.round(seconds * RATE);
  const left = Float32Array.from({ length: frames }, (_, i) => 0.25 * Math.sin((2 * Math.PI * 220 * i) / RATE) + 0.2 * Math.sin((2 * Math.PI * 331 * i) / RATE));
  const right = Float32Array.from({ length: frames }, (_, i) => 0.4 * Math.sin(2 * Math.PI * (150 + (400 * i) / frames) * (i / RATE)));
  return [left, right];
}

function quantised(x: Float32Array): Float32Array {
  return x.map((v) => Math.round(v * 32767) / 32768);
}

/** Largest |stem − scale × input| over every sample. */
function worstError(stem: Float32Array, input: Float32Array, scale: number): number {
  assert.equal(stem.length, input.length, 'a stem is as long as the input');
  let worst = 0;
  for (let i = 0; i < stem.length; i++) worst = Math.max(worst, Math.abs(stem[i]! - scale * input[i]!));
  return worst;
}

describe('separation into 4 and 6 stems with a Demucs ONNX export', () => {
  let app: App;
  let modelsDir: string;
  const install = async (id: string, bytes: Uint8Array): Promise<void> => {
    await mkdir(join(modelsDir, id), { recursive: true });
    await writeFile(join(modelsDir, id, `${id}.onnx`), bytes);
  };
  const post = (file: Uint8Array, fields: Record<string, string>, init: RequestInit = {}): Promise<Response> => {
    const fd = new FormData();
    for (const [k, v] of Object.entries(fields)) fd.append(k, v);
    fd.append('file', new Blob([new Uint8Array(file)]), 'mix.wav');
    return fetch(`${app.url}/v1/audio/separate/`, { method: 'POST', body: fd, ...init });
  };

  before(async () => {
    app = await startTestApp({ poolWorkers: 1 });
    modelsDir = app.config.modelsDir;
    await install('htdemucs', tinyDemucsModel(4, SEGMENT));
    await install('htdemucs_6s', tinyDemucsModel(6, SEGMENT));
  });
  after(async () => {
    await app?.close();
  });

  it('4 stems as a zip: each stem is exactly what the model makes of the mix, across every segment boundary', async () => {
    const mix = music(1.03);
    const res = await post(wav(mix), { stems: '4' });
    assert.equal(res.status, 200, await res.clone().text());
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    assert.deepEqual(Object.keys(files).sort(), STEMS_4.map((s) => `${s}.wav`).sort());
    const input = mix.map(quantised);
    const sum = input.map((ch) => new Float32Array(ch.length));
    stemScales(4).forEach((scale, s) => {
      const stem = unwav(files[`${STEMS_4[s]}.wav`]!);
      assert.equal(stem.length, 2);
      for (const c of [0, 1]) {
        assert.ok(worstError(stem[c]!, input[c]!, scale[c]!) < 1.5e-4, `${STEMS_4[s]} channel ${c}: ${worstError(stem[c]!, input[c]!, scale[c]!)}`);
        stem[c]!.forEach((v, i) => (sum[c]![i] += v));
      }
    });
    for (const c of [0, 1]) assert.ok(worstError(sum[c]!, input[c]!, 1) < 4e-4, 'the stems add back to the mix');
  });

  it('6 stems as JSON URLs (htdemucs_6s order), and mono in gives mono stems', async () => {
    const mix = music(0.5);
    const res = await post(wav(mix), { stems: '6', model: 'demucs' }, { headers: { accept: 'application/json' } });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { stems: Record<string, string> };
    assert.deepEqual(Object.keys(body.stems), STEMS_6);
    const input = mix.map(quantised);
    for (const [s, scale] of stemScales(6).entries()) {
      const stem = unwav(new Uint8Array(await (await fetch(body.stems[STEMS_6[s]!]!)).arrayBuffer()));
      for (const c of [0, 1]) assert.ok(worstError(stem[c]!, input[c]!, scale[c]!) < 1.5e-4, `${STEMS_6[s]} channel ${c}`);
    }
    const mono = [input[0]!];
    const files = unzipSync(new Uint8Array(await (await post(wav(mono), { stems: '4' })).arrayBuffer()));
    stemScales(4).forEach((scale, s) => {
      const stem = unwav(files[`${STEMS_4[s]}.wav`]!);
      assert.equal(stem.length, 1, 'mono in, mono stems');
      // Sent as two equal channels; each stem's two channels averaged back.
      assert.ok(worstError(stem[0]!, quantised(mono[0]!), (scale[0]! + scale[1]!) / 2) < 1.5e-4);
    });
  });

  it('a client that leaves mid-separation frees the worker without terminating its thread', async () => {
    // ~0.1 s of exact identity products per 1 s segment: long enough to leave in the middle.
    await install('htdemucs', tinyDemucsModel(4, 44_032, 40));
    const threadBefore = (await app.context.pool.selftest({}, AbortSignal.timeout(10_000))).threadId;
    const work = join(app.config.dataDir, 'audio-tools');
    const client = new AbortController();
    const pending = post(wav(music(20)), { stems: '4' }, { signal: client.signal }).catch(() => undefined);
    // Leave once the first segments' stems are on disk: the network is running.
    const deadline = Date.now() + 30_000;
    let started = false;
    while (!started && Date.now() < deadline) {
      for (const run of await readdir(work).catch(() => [])) {
        if ((await stat(join(work, run, 'drums.f32')).catch(() => undefined))?.size) started = true;
      }
      await delay(10);
    }
    assert.ok(started, 'the separation started');
    client.abort();
    await pending;
    const gone = Date.now() + 15_000;
    while (Date.now() < gone && (await readdir(work)).length > 0) await delay(20);
    assert.deepEqual(await readdir(work), [], 'the work folder is removed');
    // The same thread answers next: it was told to stop between segments, not terminated.
    assert.equal((await app.context.pool.selftest({}, AbortSignal.timeout(10_000))).threadId, threadBefore);
    assert.equal(app.context.pool.threads, 1);
  });

  it('a damaged model file is a 424 naming the reinstall, not a 500', async () => {
    const path = join(modelsDir, 'htdemucs', 'htdemucs.onnx');
    await install('htdemucs', tinyDemucsModel(4, SEGMENT));
    await truncate(path, (await stat(path)).size - 300);
    const res = await post(wav(music(0.2)), { stems: '4' });
    assert.equal(res.status, 424);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'model_not_installed');
    assert.match(body.error.message, /damaged.*llais models pull htdemucs`/);
  });

  it('a missing model is a 424 naming the install command; spleeter without its files is refused the same way', async () => {
    await rm(join(modelsDir, 'htdemucs_6s'), { recursive: true });
    const res = await post(wav(music(0.2)), { stems: '6' });
    assert.equal(res.status, 424);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /llais models pull htdemucs_6s/);
    const spleeter = await post(wav(music(0.2)), { stems: '5', model: 'spleeter' });
    assert.equal(spleeter.status, 424);
    assert.equal(((await spleeter.json()) as { error: { code: string } }).error.code, 'model_not_installed');
  });
});
