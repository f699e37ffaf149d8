/**
 * `/v1/stt/` with `diarize=true` labels speakers with an installed speaker-embedding model when
 * there is one: a two-voice conversation (flite slt and awb, alternating) goes through a real
 * server, first with nothing installed (MFCC statistics), then with a tiny ONNX model in
 * WeSpeaker's export layout (test/helpers/speaker-model.ts), whose per-segment embeddings must
 * tell the voices apart too; `X-Llais-Diarizer` says which ran. A corrupt model file is 424.
 */
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { App } from '../src/app.js';
import { sttResponse } from '../src/api/schemas/stt-responses.js';
import { concatPcm } from '../src/audio/pcm.js';
import { startTestApp } from './helpers/app.js';
import { tinySpeakerModel } from './helpers/speaker-model.js';
import { speak, wavOf } from './helpers/voices.js';

const RATE_HZ = 16_000;
const SENTENCES = [
  'The quick brown fox jumps over the lazy dog near the river bank.',
  'Please call me back when you get this message tomorrow.',
  'We will meet at the station at half past nine in the morning.',
  'I think the weather is going to be lovely this weekend.',
];
const VOICES = ['flite-slt', 'flite-awb'] as const;

describe('diarization with an installed speaker model', () => {
  let app: App;
  let wav: Uint8Array;
  const modelDir = (): string => join(app.config.modelsDir, 'wespeaker-resnet34');
  const modelFile = (): string => join(modelDir(), 'wespeaker_en_voxceleb_resnet34.onnx');

  before(async () => {
    app = await startTestApp();
    // A B A B, 0.8 s of silence before each turn, at 16 kHz.
    const parts: Int16Array[] = [];
    for (let i = 0; i < SENTENCES.length; i++) {
      const clip = await speak(app.url, VOICES[i % 2]!, SENTENCES[i]!);
      parts.push(new Int16Array(0.8 * RATE_HZ), clip.pcm16k);
    }
    wav = wavOf(concatPcm(parts), RATE_HZ);
  });
  after(() => app.close());

  const transcribe = async (): Promise<Response> => {
    const fd = new FormData();
    fd.append('diarize', 'true');
    fd.append('file', new Blob([new Uint8Array(wav)]), 'talk.wav');
    return fetch(`${app.url}/v1/stt/`, { method: 'POST', body: fd });
  };
  const speakers = async (res: Response): Promise<Array<string | null>> => {
    assert.equal(res.status, 200, await res.clone().text());
    const body = sttResponse.parse(await res.json());
    assert.equal(body.segments.length, SENTENCES.length, JSON.stringify(body.segments.map((s) => s.text)));
    return body.segments.map((s) => s.speaker);
  };
  const alternating = ['SPEAKER_00', 'SPEAKER_01', 'SPEAKER_00', 'SPEAKER_01'];

  it('without a model: the MFCC statistics label the turns, and say so', async () => {
    const res = await transcribe();
    assert.equal(res.headers.get('x-llais-diarizer'), 'llais-mfcc-stats-v1');
    assert.deepEqual(await speakers(res), alternating);
  });

  it("with a model: each segment's embedding labels the turns (X-Llais-Diarizer names the model)", async () => {
    await mkdir(modelDir(), { recursive: true });
    await writeFile(modelFile(), tinySpeakerModel());
    const res = await transcribe();
    assert.equal(res.headers.get('x-llais-diarizer'), 'wespeaker-resnet34');
    assert.deepEqual(await speakers(res), alternating);
  });

  it('a corrupt model file: 424 engine_not_available, not a 500', async () => {
    await writeFile(modelFile(), new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
    const res = await transcribe();
    assert.equal(res.status, 424, await res.clone().text());
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'engine_not_available');
    await rm(modelDir(), { recursive: true, force: true });
  });
});
