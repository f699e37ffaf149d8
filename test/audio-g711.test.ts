import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';

import { ffmpegPath } from '../src/audio/ffmpeg-binaries.js';
import { decodeAlaw, decodeMulaw, encodeAlaw, encodeMulaw } from '../src/audio/g711.js';

const RATE_HZ = 8000;

/** Runs ffmpeg with `input` on stdin and returns its stdout. */
function ffmpegPipe(args: string[], input: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`ffmpeg exited ${code}: ${err}`))));
    child.stdin.end(input);
  });
}

function bytesOf(pcm: Int16Array): Uint8Array {
  return new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
}

function pcmOf(bytes: Buffer): Int16Array {
  return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/**
 * Every 16-bit value once, then 2 s of a 100 Hz → 3.9 kHz chirp whose level sweeps from -60 dBFS to
 * full scale, so every segment of both laws is crossed many times at speech-like slopes.
 */
function testSignal(): Int16Array {
  const chirpSamples = 2 * RATE_HZ;
  const pcm = new Int16Array(65_536 + chirpSamples);
  for (let i = 0; i < 65_536; i++) pcm[i] = i - 32_768;
  let phase = 0;
  for (let i = 0; i < chirpSamples; i++) {
    const t = i / chirpSamples;
    phase += (2 * Math.PI * (100 + 3800 * t)) / RATE_HZ;
    const amplitude = 32_767 * 10 ** ((-60 + 60 * t) / 20);
    pcm[65_536 + i] = Math.round(amplitude * Math.sin(phase));
  }
  return pcm;
}

function sine(frequencyHz: number, amplitude: number, seconds: number): Int16Array {
  const pcm = new Int16Array(Math.round(RATE_HZ * seconds));
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(amplitude * Math.sin((2 * Math.PI * frequencyHz * i) / RATE_HZ));
  return pcm;
}

function snrDb(reference: Int16Array, test: Int16Array): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < reference.length; i++) {
    signal += reference[i]! ** 2;
    noise += (reference[i]! - test[i]!) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}

const LAWS = [
  { name: 'μ-law', format: 'mulaw', encode: encodeMulaw, decode: decodeMulaw },
  { name: 'A-law', format: 'alaw', encode: encodeAlaw, decode: decodeAlaw },
] as const;

for (const law of LAWS) {
  describe(`G.711 ${law.name}`, () => {
    const rawArgs = ['-f', law.format, '-ar', String(RATE_HZ), '-ac', '1'];
    const pcmArgs = ['-f', 's16le', '-ar', String(RATE_HZ), '-ac', '1'];

    it('encode matches ffmpeg byte for byte on every 16-bit value and a level-swept chirp', async () => {
      const signal = testSignal();
      const ffmpegBytes = await ffmpegPipe([...pcmArgs, '-i', '-', ...rawArgs, '-'], bytesOf(signal));
      const ours = law.encode(signal);
      assert.equal(ours.length, signal.length);
      const firstMismatch = ours.findIndex((byte, i) => byte !== ffmpegBytes[i]);
      assert.equal(firstMismatch, -1, `sample ${firstMismatch} (${signal[firstMismatch]}): ours ${ours[firstMismatch]}, ffmpeg ${ffmpegBytes[firstMismatch]}`);
      assert.equal(ffmpegBytes.length, ours.length);
    });

    it('decode of ffmpeg-encoded bytes equals ffmpeg’s own decode sample for sample, for all 256 codes', async () => {
      const encoded = await ffmpegPipe([...pcmArgs, '-i', '-', ...rawArgs, '-'], bytesOf(testSignal()));
      const allCodes = Uint8Array.from({ length: 256 }, (_, i) => i);
      for (const bytes of [new Uint8Array(encoded), allCodes]) {
        const expected = pcmOf(await ffmpegPipe([...rawArgs, '-i', '-', ...pcmArgs, '-'], bytes));
        assert.deepEqual(law.decode(bytes), expected);
      }
    });

    // 1020 Hz, the ITU test tone: unlike 1 kHz it is no sub-multiple of 8 kHz, so it visits many
    // sample values rather than eight. G.711 gives about 38 dB on a sine; 34 dB is the floor here.
    it('round trip keeps a 1020 Hz tone above 34 dB SNR from -30 dBFS to full scale', () => {
      for (const dbfs of [-30, -20, -10, -3, -1]) {
        const tone = sine(1020, 32_767 * 10 ** (dbfs / 20), 1);
        const snr = snrDb(tone, law.decode(law.encode(tone)));
        assert.ok(snr > 34, `${dbfs} dBFS: SNR ${snr.toFixed(1)} dB`);
      }
    });

    it('empty input gives empty output', () => {
      assert.equal(law.encode(new Int16Array(0)).length, 0);
      assert.equal(law.decode(new Uint8Array(0)).length, 0);
    });
  });
}
