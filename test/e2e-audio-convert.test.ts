/**
 * `POST /v1/audio/convert/` over HTTP against a real server: every format × bitrate × sample rate
 * × channel count decodes (ffprobe) with the asked properties and the source's length; bad fields
 * and files that are not audio are 4xx in the envelope, naming the field.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { App } from '../src/app.js';
import { ffmpegPath } from '../src/audio/ffmpeg-binaries.js';
import { runToBuffer } from '../src/audio/ffmpeg-process.js';
import { probeAudio } from '../src/audio/probe.js';
import { CONVERT_FORMATS, CONVERT_SAMPLE_RATES_HZ, LOSSLESS_FORMATS } from '../src/audio/transcode.js';
import { startTestApp } from './helpers/app.js';

const SOURCE_SEC = 2;
const CODEC: Record<string, string> = { mp3: 'mp3', wav: 'pcm_s16le', flac: 'flac', ogg: 'vorbis', m4a: 'aac', aac: 'aac' };
/** MPEG-2 Layer III (22.05 kHz) allows at most 160 kbps. */
const MP3_MPEG2_MAX_KBPS = 160;

/** A stereo file whose channels differ (440 Hz left, 660 Hz right) at 44.1 kHz, made by ffmpeg. */
async function stereoSource(): Promise<Uint8Array> {
  return runToBuffer(
    ffmpegPath(),
    ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `sine=f=440:d=${SOURCE_SEC}`, '-f', 'lavfi', '-i', `sine=f=660:d=${SOURCE_SEC}`,
      '-filter_complex', 'amerge=inputs=2', '-ar', '44100', '-c:a', 'pcm_s16le', '-f', 'wav', 'pipe:1'],
    'could not make the test file',
  );
}

function form(fields: Record<string, string>, file?: Uint8Array, name = 'in.wav'): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  if (file) fd.append('file', new Blob([new Uint8Array(file)]), name);
  return fd;
}

describe('POST /v1/audio/convert/', () => {
  let app: App;
  let source: Uint8Array;
  let dir: string;
  before(async () => {
    [app, source, dir] = await Promise.all([startTestApp(), stereoSource(), mkdtemp(join(tmpdir(), 'llais-convert-'))]);
  });
  after(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  const convert = async (fields: Record<string, string>, file = source): Promise<Response> =>
    fetch(`${app.url}/v1/audio/convert/`, { method: 'POST', body: form(fields, file) });

  it('writes every format, bitrate, sample rate and channel count with the asked properties', async () => {
    let n = 0;
    for (const format of CONVERT_FORMATS) {
      for (const bitrate of LOSSLESS_FORMATS.has(format) ? ['320'] : ['64', '320']) {
        for (const rate of CONVERT_SAMPLE_RATES_HZ) {
          for (const channels of ['mono', 'stereo']) {
            const what = `${format} ${bitrate}k ${rate} Hz ${channels}`;
            const res = await convert({ format, bitrate, sample_rate: String(rate), channels });
            assert.equal(res.status, 200, `${what}: ${res.status}`);
            const bytes = new Uint8Array(await res.arrayBuffer());
            const path = join(dir, `out-${n++}.${format}`);
            await writeFile(path, bytes);
            const p = await probeAudio(path);
            assert.equal(p.codec, CODEC[format], what);
            assert.equal(p.sampleRateHz, rate, what);
            assert.equal(p.channels, channels === 'mono' ? 1 : 2, what);
            assert.ok(Math.abs(p.durationSec - SOURCE_SEC) < 0.15, `${what}: ${p.durationSec} s`);
            if (format === 'mp3') {
              // CBR: the size says the bitrate.
              const kbps = (bytes.length * 8) / p.durationSec / 1000;
              const expected = Math.min(Number(bitrate), rate < 32000 ? MP3_MPEG2_MAX_KBPS : Infinity);
              assert.ok(Math.abs(kbps - expected) / expected < 0.06, `${what}: ${kbps.toFixed(1)} kbps`);
            }
            const type = res.headers.get('content-type') ?? '';
            assert.match(type, /^audio\//, what);
          }
        }
      }
    }
  });

  it('keeps the source channel count and uses mp3 at 44.1 kHz when nothing is asked', async () => {
    const res = await convert({});
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'audio/mpeg');
    const path = join(dir, 'default.mp3');
    await writeFile(path, new Uint8Array(await res.arrayBuffer()));
    const p = await probeAudio(path);
    assert.deepEqual([p.codec, p.sampleRateHz, p.channels], ['mp3', 44100, 2]);
  });

  it('answers 400 naming the field for values the contract does not list', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ format: 'wma' }, 'format'],
      [{ bitrate: '100' }, 'bitrate'],
      [{ bitrate: 'fast' }, 'bitrate'],
      [{ sample_rate: '16000' }, 'sample_rate'],
      [{ channels: 'quad' }, 'channels'],
    ];
    for (const [fields, param] of cases) {
      const res = await convert(fields);
      assert.equal(res.status, 400, JSON.stringify(fields));
      const body = (await res.json()) as { error: { param: string; code: string } };
      assert.equal(body.error.param, param);
    }
    const missing = await fetch(`${app.url}/v1/audio/convert/`, { method: 'POST', body: form({ format: 'wav' }) });
    assert.equal(missing.status, 400);
  });

  it('refuses a file that is not audio (415) and broken audio (422) before sending anything', async () => {
    const text = new TextEncoder().encode('this is not audio at all, just words '.repeat(40));
    const notAudio = await convert({ format: 'wav' }, text);
    assert.equal(notAudio.status, 415);
    assert.equal(((await notAudio.json()) as { error: { param: string } }).error.param, 'file');
    // A WAV header followed by nothing decodable.
    const broken = new Uint8Array(source.subarray(0, 44));
    const res = await convert({ format: 'wav' }, broken);
    assert.equal(res.status, 422);
  });

  it('refuses an upload over the upload limit with 413, as speech to text does', async () => {
    const small = await startTestApp({ maxUploadBytes: 64 * 1024 });
    try {
      const res = await fetch(`${small.url}/v1/audio/convert/`, { method: 'POST', body: form({ format: 'wav' }, source) });
      assert.equal(res.status, 413);
    } finally {
      await small.close();
    }
  });

  it('converts a compressed upload (its own mp3 output) back to wav of the same length', async () => {
    const mp3 = new Uint8Array(await (await convert({ format: 'mp3', channels: 'mono' })).arrayBuffer());
    const res = await convert({ format: 'wav', sample_rate: '22050' }, mp3);
    assert.equal(res.status, 200);
    const path = join(dir, 'back.wav');
    await writeFile(path, new Uint8Array(await res.arrayBuffer()));
    const p = await probeAudio(path);
    assert.deepEqual([p.codec, p.sampleRateHz, p.channels], ['pcm_s16le', 22050, 1]);
    assert.ok(Math.abs(p.durationSec - SOURCE_SEC) < 0.15, `${p.durationSec}`);
    assert.ok((await readFile(path)).length > 22050 * 2 * 1.8);
  });
});
