import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { decodeToPcm } from '../src/audio/decode.js';
import { encodeAudio, wavHeader } from '../src/audio/encode.js';
import { AUDIO_FORMATS, contentTypeOf, isAudioFormat, type AudioFormat } from '../src/audio/formats.js';
import { probeAudio } from '../src/audio/probe.js';

const RATE_HZ = 24_000;
const SECONDS = 2;

/** A 200 Hz -> 1.8 kHz chirp at about -12 dBFS. */
function chirp(sampleRateHz: number, seconds: number): Int16Array {
  const pcm = new Int16Array(Math.round(sampleRateHz * seconds));
  for (let i = 0; i < pcm.length; i++) {
    const t = i / sampleRateHz;
    pcm[i] = Math.round(8000 * Math.sin(2 * Math.PI * (200 * t + 400 * t * t)));
  }
  return pcm;
}

/** Yields `pcm` in chunks of the given sizes (the last one takes the rest), each after a macrotask. */
async function* chunked(pcm: Int16Array, sizes: number[]): AsyncGenerator<Int16Array> {
  let offset = 0;
  for (const size of sizes) {
    if (offset >= pcm.length) break;
    await new Promise((resolve) => setImmediate(resolve));
    yield pcm.slice(offset, offset + size);
    offset += size;
  }
  if (offset < pcm.length) yield pcm.slice(offset);
}

const UNEVEN_SIZES = [1000, 7001, 333, 12_345, 1, 4800];

async function encodeAll(pcm: Int16Array, format: AudioFormat, bitrateKbps?: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const stream = encodeAudio(chunked(pcm, UNEVEN_SIZES), { format, sampleRateHz: RATE_HZ, bitrateKbps }, new AbortController().signal);
  for await (const bytes of stream) parts.push(bytes);
  return Buffer.concat(parts);
}

function rms(pcm: Int16Array): number {
  let sum = 0;
  for (const s of pcm) sum += s * s;
  return Math.sqrt(sum / Math.max(1, pcm.length));
}

function pcmFromBytes(bytes: Uint8Array): Int16Array {
  const pcm = new Int16Array(bytes.length >> 1);
  new Uint8Array(pcm.buffer).set(bytes.subarray(0, pcm.byteLength));
  return pcm;
}

const EXPECTED: Record<Exclude<AudioFormat, 'pcm'>, { codec: string; formatName: string }> = {
  mp3: { codec: 'mp3', formatName: 'mp3' },
  wav: { codec: 'pcm_s16le', formatName: 'wav' },
  flac: { codec: 'flac', formatName: 'flac' },
  ogg: { codec: 'vorbis', formatName: 'ogg' },
  opus: { codec: 'opus', formatName: 'ogg' },
  aac: { codec: 'aac', formatName: 'aac' },
};

function assertWithin(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= expected * tolerance, `${what}: ${actual} is not within ${tolerance * 100}% of ${expected}`);
}

describe('encodeAudio', () => {
  const input = chirp(RATE_HZ, SECONDS);
  const inputRms = rms(input);

  for (const format of AUDIO_FORMATS) {
    it(`${format}: unevenly chunked PCM becomes one file of the right codec, duration and loudness`, async () => {
      const bytes = await encodeAll(input, format);
      let decoded: Int16Array;
      if (format === 'pcm') {
        decoded = pcmFromBytes(bytes);
        assert.deepEqual(decoded, input);
      } else {
        const probe = await probeAudio(bytes);
        assert.equal(probe.codec, EXPECTED[format].codec);
        assert.equal(probe.formatName, EXPECTED[format].formatName);
        assert.equal(probe.channels, 1);
        assertWithin(probe.durationSec, SECONDS, 0.05, `${format} probed duration`);
        decoded = await decodeToPcm(bytes, RATE_HZ);
      }
      assertWithin(decoded.length, input.length, 0.05, `${format} decoded samples`);
      assertWithin(rms(decoded), inputRms, 0.2, `${format} decoded RMS`);
    });
  }

  for (const format of ['mp3', 'flac', 'ogg', 'opus', 'aac'] as const) {
    // An encoder that buffers until end of input never opens the gate, so this test fails by its
    // timeout: generous (60 s) because it only has to outlast a slow machine, not measure speed.
    it(`${format}: audio comes out while the input is still open (no buffering until end of input)`, { timeout: 60_000 }, async (t) => {
      // The source hands over 0.5 s, then waits until the output so far decodes to at least 0.25 s.
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      async function* gated(): AsyncGenerator<Int16Array> {
        yield input.slice(0, RATE_HZ / 2);
        await released;
        yield input.slice(RATE_HZ / 2);
      }
      const parts: Uint8Array[] = [];
      let waiting = true;
      for await (const bytes of encodeAudio(gated(), { format, sampleRateHz: RATE_HZ }, t.signal)) {
        parts.push(bytes);
        if (waiting && (await decodeToPcm(Buffer.concat(parts), RATE_HZ).catch(() => new Int16Array(0))).length >= RATE_HZ / 4) {
          waiting = false;
          release();
        }
      }
      assert.equal(waiting, false);
      assertWithin((await probeAudio(Buffer.concat(parts))).durationSec, SECONDS, 0.05, `${format} duration`);
    });
  }

  it('mp3 and aac streams carry no header that needs rewriting: the first byte starts a frame', async () => {
    const mp3 = await encodeAll(input, 'mp3');
    assert.equal(mp3[0], 0xff, 'mp3 frame sync, not an ID3 tag');
    assert.equal(mp3[1]! & 0xe0, 0xe0);
    const aac = await encodeAll(input, 'aac');
    assert.equal(aac[0], 0xff, 'ADTS sync word');
    assert.equal(aac[1]! & 0xf0, 0xf0);
  });

  it('bitrateKbps changes the size of lossy output', async () => {
    const low = await encodeAll(input, 'mp3', 32);
    const high = await encodeAll(input, 'mp3', 128);
    assertWithin(high.length / low.length, 4, 0.1, 'size ratio of 128 to 32 kbps');
  });

  it('wav: the streamed header says "until end of stream" and ffprobe reads the true duration', async () => {
    const bytes = await encodeAll(input, 'wav');
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    assert.equal(view.getUint32(4, true), 0xffff_ffff);
    assert.equal(view.getUint32(40, true), 0xffff_ffff);
    assert.equal(bytes.length, 44 + input.byteLength);
    assertWithin((await probeAudio(bytes)).durationSec, SECONDS, 0.01, 'streamed wav duration');
  });

  it('wav: patching in wavHeader(dataBytes) gives a file with exact sizes', async () => {
    const bytes = await encodeAll(input, 'wav');
    bytes.set(wavHeader(bytes.length - 44, RATE_HZ), 0);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    assert.equal(view.getUint32(4, true), bytes.length - 8);
    assert.equal(view.getUint32(40, true), input.byteLength);
    const probe = await probeAudio(bytes);
    assert.equal(probe.sampleRateHz, RATE_HZ);
    assert.equal(probe.durationSec, SECONDS);
    assert.deepEqual(await decodeToPcm(bytes, RATE_HZ), input);
  });

  it('wavHeader rejects sizes a RIFF header cannot hold', () => {
    assert.throws(() => wavHeader(0xffff_ffff, RATE_HZ), RangeError);
    assert.throws(() => wavHeader(-2, RATE_HZ), RangeError);
  });

  it('an error thrown by the PCM source reaches the consumer unchanged', async () => {
    const boom = new Error('engine failed');
    async function* failing(): AsyncGenerator<Int16Array> {
      yield input.slice(0, 4800);
      throw boom;
    }
    for (const format of ['mp3', 'wav'] as const) {
      const stream = encodeAudio(failing(), { format, sampleRateHz: RATE_HZ }, new AbortController().signal);
      await assert.rejects(async () => {
        for await (const _ of stream);
      }, (err) => err === boom);
    }
  });

  it('an encoder that fails rejects with an Error carrying ffmpeg\'s reason', async () => {
    // libvorbis cannot reach 1000 kbps at 24 kHz mono; ffmpeg exits while PCM is still being written.
    await assert.rejects(encodeAll(input, 'ogg', 1000), /audio encoder failed: ffmpeg exited with code 1: .*encoder setup failed/s);
  });

  it('rejects a sample rate that is not a positive integer', () => {
    assert.throws(() => encodeAudio(chunked(input, []), { format: 'mp3', sampleRateHz: 0 }, new AbortController().signal), RangeError);
  });
});

describe('formats', () => {
  it('names a content type for every format', () => {
    assert.deepEqual(
      AUDIO_FORMATS.map((f) => [f, contentTypeOf(f)]),
      [
        ['mp3', 'audio/mpeg'],
        ['wav', 'audio/wav'],
        ['flac', 'audio/flac'],
        ['ogg', 'audio/ogg'],
        ['opus', 'audio/ogg'],
        ['aac', 'audio/aac'],
        ['pcm', 'audio/pcm'],
      ],
    );
  });

  it('isAudioFormat accepts exactly the format names', () => {
    for (const f of AUDIO_FORMATS) assert.ok(isAudioFormat(f));
    for (const x of ['MP3', 'toString', 'constructor', '', 3, null, undefined, {}]) assert.equal(isAudioFormat(x), false, String(x));
  });
});
