import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeAudio } from '../src/audio/encode.js';
import { wholeFrames } from '../src/audio/whole-frames.js';
import { frameStarts } from './helpers/frame-starts.js';

const RATE_HZ = 24_000;
const FORMATS = ['mp3', 'aac', 'opus', 'ogg', 'flac'] as const;

/** 1.2 s of a gliding tone, in 20 ms chunks as synthesis would hand it over. */
async function* tone(): AsyncGenerator<Int16Array> {
  const chunk = RATE_HZ / 50;
  for (let c = 0; c < 60; c++) {
    const pcm = new Int16Array(chunk);
    for (let i = 0; i < chunk; i++) {
      const t = (c * chunk + i) / RATE_HZ;
      pcm[i] = Math.round(8000 * Math.sin(2 * Math.PI * (300 + 200 * t) * t));
    }
    yield pcm;
  }
}

async function encoded(format: (typeof FORMATS)[number]): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const b of encodeAudio(tone(), { format, sampleRateHz: RATE_HZ }, new AbortController().signal)) parts.push(b);
  return Buffer.concat(parts);
}

/** `bytes` cut at arbitrary points (a seeded generator: the same cuts every run), as a pipe may deliver them. */
async function* cutAnywhere(bytes: Uint8Array, seed: number): AsyncGenerator<Uint8Array> {
  let state = seed;
  let at = 0;
  while (at < bytes.length) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const n = 1 + (state % 400);
    yield bytes.subarray(at, at + n);
    at += n;
  }
}

async function collect(pieces: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const p of pieces) out.push(p);
  return out;
}

describe('wholeFrames', () => {
  for (const format of FORMATS) {
    it(`${format}: pieces cut anywhere come out as whole frames, every byte kept in order`, async () => {
      const stream = await encoded(format);
      const starts = frameStarts(stream, format);
      const firstFrame = Math.min(...starts);
      for (const seed of [1, 7, 42]) {
        const pieces = await collect(wholeFrames(cutAnywhere(stream, seed), format));
        assert.deepEqual(Buffer.concat(pieces), stream);
        let offset = 0;
        for (const [i, p] of pieces.entries()) {
          assert.ok(p.length > 0, 'no empty piece');
          const onFrame = starts.has(offset) || (format === 'flac' && i === 0 && offset === 0);
          assert.ok(onFrame, `seed ${seed}: piece ${i} starts at byte ${offset}, inside a frame`);
          offset += p.length;
        }
        if (format === 'flac') assert.ok(pieces[0]!.length >= firstFrame, 'the first FLAC piece holds the whole header');
      }
    });
  }

  it('bytes that are no frame of the format, or a stream that ends inside a frame, are an error', async () => {
    const mp3 = await encoded('mp3');
    await assert.rejects(collect(wholeFrames(cutAnywhere(Buffer.from('not an mp3 frame at all'), 1), 'mp3')), /not an MPEG Layer III frame header/);
    await assert.rejects(collect(wholeFrames(cutAnywhere(mp3.subarray(0, mp3.length - 5), 3), 'mp3')), /ends inside a frame/);
    const ogg = await encoded('opus');
    await assert.rejects(collect(wholeFrames(cutAnywhere(ogg.subarray(0, ogg.length - 5), 3), 'opus')), /ends inside a frame/);
    const flac = await encoded('flac');
    await assert.rejects(collect(wholeFrames(cutAnywhere(flac.subarray(0, flac.length - 5), 3), 'flac')), /ends inside/);
  });

  it('pcm and wav pass through untouched', async () => {
    const chunks = [new Uint8Array([1, 2]), new Uint8Array([3, 4, 5, 6])];
    const source = async function* (): AsyncGenerator<Uint8Array> {
      yield* chunks;
    };
    assert.deepEqual(await collect(wholeFrames(source(), 'pcm')), chunks);
  });
});
