/**
 * Uploads in every container the STT endpoints accept decode to the right length of audible PCM,
 * and uploads that are not audio, or broken audio, get the right client error.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { decodePcmStream, probeUpload } from '../src/audio/decode-stream.js';
import { ffmpegPath } from '../src/audio/ffmpeg-binaries.js';
import { runToBuffer } from '../src/audio/ffmpeg-process.js';
import { wavHeader } from '../src/audio/wav.js';
import { ApiError } from '../src/errors.js';
import { rms } from './helpers/audio.js';

const RATE_HZ = 16_000;
const TONE_SEC = 3;
/** lavfi's sine (1/8 of full scale), made stereo at 44.1 kHz: decoding must mix down and resample. */
const TONE_INPUT = ['-f', 'lavfi', '-i', `sine=frequency=330:sample_rate=44100:duration=${TONE_SEC}`, '-ac', '2'];

async function ffmpeg(args: string[]): Promise<void> {
  await runToBuffer(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], 'test fixture');
}

async function decodeAll(path: string): Promise<Int16Array> {
  const chunks: Int16Array[] = [];
  for await (const chunk of decodePcmStream(path, { sampleRateHz: RATE_HZ, chunkSamples: RATE_HZ })) chunks.push(chunk);
  const pcm = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    pcm.set(c, at);
    at += c.length;
  }
  return pcm;
}

/** Each accepted upload kind: how to make it, and what ffprobe must call it. */
const FORMATS: Array<{ name: string; file: string; args: string[]; codec: string; formatName: RegExp }> = [
  { name: 'MP3', file: 'a.mp3', args: ['-c:a', 'libmp3lame', '-b:a', '64k'], codec: 'mp3', formatName: /^mp3$/ },
  { name: 'WAV', file: 'a.wav', args: ['-c:a', 'pcm_s16le'], codec: 'pcm_s16le', formatName: /^wav$/ },
  { name: 'FLAC', file: 'a.flac', args: ['-c:a', 'flac'], codec: 'flac', formatName: /^flac$/ },
  { name: 'OGG Vorbis', file: 'vorbis.ogg', args: ['-c:a', 'libvorbis'], codec: 'vorbis', formatName: /^ogg$/ },
  { name: 'OGG Opus', file: 'opus.ogg', args: ['-c:a', 'libopus'], codec: 'opus', formatName: /^ogg$/ },
  { name: 'M4A (AAC)', file: 'a.m4a', args: ['-c:a', 'aac'], codec: 'aac', formatName: /mp4/ },
  { name: 'WebM (Opus)', file: 'a.webm', args: ['-c:a', 'libopus'], codec: 'opus', formatName: /webm/ },
];

describe('decodePcmStream and probeUpload: every accepted format', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stt-decode-formats-'));
    await Promise.all([
      ...FORMATS.map((f) => ffmpeg([...TONE_INPUT, ...f.args, join(dir, f.file)])),
      // A video file: a picture track first, the sound second.
      ffmpeg([
        '-f', 'lavfi', '-i', `testsrc=size=64x48:rate=10:duration=${TONE_SEC}`, ...TONE_INPUT,
        '-map', '0:v', '-map', '1:a', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', join(dir, 'video.mp4'),
      ]),
    ]);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const f of [...FORMATS, { name: 'MP4 video (its audio track)', file: 'video.mp4', codec: 'aac', formatName: /mp4/ }]) {
    it(`${f.name}: probes and decodes to ${TONE_SEC} s (±5%) of audible mono 16 kHz PCM`, async () => {
      const path = join(dir, f.file);
      const info = await probeUpload(path);
      assert.equal(info.codec, f.codec);
      assert.match(info.formatName, f.formatName);
      assert.ok(Math.abs(info.durationSec - TONE_SEC) <= TONE_SEC * 0.05, `probed ${info.durationSec} s`);
      const pcm = await decodeAll(path);
      const seconds = pcm.length / RATE_HZ;
      assert.ok(Math.abs(seconds - TONE_SEC) <= TONE_SEC * 0.05, `decoded ${seconds} s`);
      // The tone's RMS is ~2900 (less after the -3 dB mix-down); silence or noise would be near 0.
      assert.ok(rms(pcm) > 1_000, `RMS ${rms(pcm)}`);
    });
  }

  it('chunks are the requested size, the last one the remainder', async () => {
    const sizes: number[] = [];
    for await (const chunk of decodePcmStream(join(dir, 'a.wav'), { sampleRateHz: RATE_HZ, chunkSamples: 20_000 })) sizes.push(chunk.length);
    assert.deepEqual(sizes, [20_000, 20_000, 8_000]);
  });
});

/** Deterministic noise that starts with no audio container's signature. */
function randomBytes(length: number): Uint8Array {
  let state = 12_345;
  return new Uint8Array(length).map(() => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) >> 16);
}

describe('bad uploads: 415 when not audio, 422 when broken or empty audio', () => {
  let dir: string;
  const cases: Array<{ name: string; file: string; status: 415 | 422; message: RegExp }> = [
    { name: 'an empty file', file: 'empty.mp3', status: 422, message: /empty/ },
    { name: 'random bytes', file: 'random.bin', status: 415, message: /not a supported audio or video format/ },
    { name: 'a text file', file: 'notes.txt', status: 415, message: /not a supported audio or video format/ },
    { name: 'a PNG image', file: 'picture.png', status: 415, message: /not a supported audio or video format/ },
    { name: 'a video with no sound', file: 'silent-film.mp4', status: 415, message: /no audio track/ },
    { name: 'an mp3 truncated to its first 200 bytes', file: 'truncated.mp3', status: 422, message: /looks like MP3 .*truncated or corrupt/ },
    { name: 'a WAV header with no data', file: 'header-only.wav', status: 422, message: /no audio.*0 seconds/ },
  ];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stt-decode-bad-'));
    const mp3 = join(dir, 'whole.mp3');
    await Promise.all([
      ffmpeg([...TONE_INPUT, '-c:a', 'libmp3lame', mp3]),
      ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=10:duration=1', '-c:v', 'libx264', '-preset', 'ultrafast', join(dir, 'silent-film.mp4')]),
    ]);
    await writeFile(join(dir, 'truncated.mp3'), (await readFile(mp3)).subarray(0, 200));
    await writeFile(join(dir, 'empty.mp3'), new Uint8Array(0));
    await writeFile(join(dir, 'random.bin'), randomBytes(20_000));
    await writeFile(join(dir, 'notes.txt'), 'Meeting notes: this is a text file, not audio.\n'.repeat(50));
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000100000001008020000009091683600000000', 'hex');
    await writeFile(join(dir, 'picture.png'), png);
    await writeFile(join(dir, 'header-only.wav'), wavHeader(0, RATE_HZ));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const c of cases) {
    it(`${c.name}: ${c.status} from both the upload check and the decoder`, async () => {
      const path = join(dir, c.file);
      const code = c.status === 415 ? 'unsupported_media_type' : 'unprocessable_audio';
      const expected = (e: unknown): boolean => {
        assert.ok(e instanceof ApiError, String(e));
        assert.equal(e.status, c.status);
        assert.equal(e.code, code);
        assert.equal(e.param, 'file');
        assert.match(e.message, c.message);
        // ffmpeg's own words (with file paths) stay in the cause, out of the client's message.
        assert.doesNotMatch(e.message, /ffmpeg|ffprobe|\//);
        return true;
      };
      await assert.rejects(probeUpload(path), expected);
      await assert.rejects(decodeAll(path), expected);
    });
  }

  it('a missing file is a plain Error (our fault, not the client\'s)', async () => {
    await assert.rejects(probeUpload(join(dir, 'absent.wav')), (e) => !(e instanceof ApiError) && /ENOENT/.test(String(e)));
  });
});
