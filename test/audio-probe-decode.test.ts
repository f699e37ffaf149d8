import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { decodeToPcm } from '../src/audio/decode.js';
import { wavHeader } from '../src/audio/encode.js';
import { probeAudio } from '../src/audio/probe.js';

const RATE_HZ = 16_000;

/** A 1.5 s WAV of a 440 Hz tone at 16 kHz. */
function toneWav(): Uint8Array {
  const pcm = new Int16Array(RATE_HZ * 1.5).map((_, i) => Math.round(10_000 * Math.sin((2 * Math.PI * 440 * i) / RATE_HZ)));
  const file = new Uint8Array(44 + pcm.byteLength);
  file.set(wavHeader(pcm.byteLength, RATE_HZ));
  file.set(new Uint8Array(pcm.buffer), 44);
  return file;
}

function garbage(bytes: number): Uint8Array {
  let state = 7;
  return new Uint8Array(bytes).map(() => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) & 0xff);
}

describe('probeAudio and decodeToPcm', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'audio-probe-test-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('probe reads a file path and bytes alike', async () => {
    const wav = toneWav();
    const path = join(dir, 'tone file.wav');
    await writeFile(path, wav);
    const expected = { durationSec: 1.5, codec: 'pcm_s16le', sampleRateHz: RATE_HZ, channels: 1, formatName: 'wav' };
    assert.deepEqual(await probeAudio(path), expected);
    assert.deepEqual(await probeAudio(wav), expected);
  });

  it('decode converts the rate: 1.5 s at 16 kHz becomes 36000 samples at 24 kHz', async () => {
    const pcm = await decodeToPcm(toneWav(), 24_000);
    assert.ok(Math.abs(pcm.length - 36_000) <= 24, `${pcm.length} samples`);
  });

  it('garbage bytes reject with an Error naming ffmpeg\'s reason, and the temp file is removed', async () => {
    for (const attempt of [() => decodeToPcm(garbage(20_000), 24_000), () => probeAudio(garbage(20_000))]) {
      const err = await attempt().then(
        () => assert.fail('resolved'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof Error);
      assert.match(err.message, /^could not (decode|probe) the audio: ff(mpeg|probe) exited with code \d+: .*Invalid data found/s);
      // ffmpeg names the input it could not read: the temporary copy, which must be gone.
      const tempFile = /file:(\S+\/llais-audio-\w+)\/input/.exec(err.message)?.[1];
      assert.ok(tempFile !== undefined, err.message);
      await assert.rejects(stat(tempFile), { code: 'ENOENT' });
    }
  });

  it('a missing file rejects with an Error', async () => {
    await assert.rejects(decodeToPcm(join(dir, 'absent.wav'), 24_000), /No such file/);
    await assert.rejects(probeAudio(join(dir, 'absent.wav')), /No such file/);
  });

  it('an HLS playlist naming a local file is refused, not followed (no local file read via uploads)', async () => {
    const target = join(dir, 'target.wav');
    await writeFile(target, toneWav());
    const playlist = `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:1.5,\n${target}\n#EXT-X-ENDLIST\n`;
    await assert.rejects(decodeToPcm(new TextEncoder().encode(playlist), 24_000), /not on whitelist/);
  });

  it('an aborted decode rejects with the abort reason', async () => {
    const controller = new AbortController();
    const reason = new Error('client went away');
    const decoding = decodeToPcm(toneWav(), 24_000, controller.signal);
    controller.abort(reason);
    await assert.rejects(decoding, (err) => err === reason);
  });
});
