/**
 * `/v1/voice-embed/` against a real server, on speech from its own built-in voices: two clips of
 * one voice embed closer than clips of different voices (the equal-error rate over five voices
 * is printed and must be 0 for the embedded method), stored voices are listed, deleted and
 * invisible to another account, and bad uploads get their 4xx. An installed speaker model (a
 * tiny ONNX model in WeSpeaker's export layout) then computes the embeddings instead.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { App } from '../src/app.js';
import { voiceEmbedList, voiceEmbedResponse } from '../src/api/schemas/voice-identity.js';
import { analyzePcm } from '../src/voice/voice-analyzer.js';
import { cosine, voiceProfile } from '../src/voice/voice-profile.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { onnxSpeakerEmbedding } from '../src/engines/voice/speaker-embedder.js';
import { generateApiKey } from '../src/accounts/api-key.js';
import { startTestApp, tempDir } from './helpers/app.js';
import { EMBED_DIMS, tinySpeakerModel } from './helpers/speaker-model.js';
import { CLIP_TEXTS, equalErrorRate, speak, TEST_VOICES, wavOf, type Clip } from './helpers/voices.js';

function form(file: Uint8Array, fields: Record<string, string> = {}): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  fd.append('file', new Blob([new Uint8Array(file)]), 'voice.wav');
  return fd;
}

describe('voice embeddings', () => {
  let app: App;
  const clips: Clip[] = [];
  const keys: string[] = [];
  const auth = (i = 0): Record<string, string> => ({ authorization: `Bearer ${keys[i]}` });
  before(async () => {
    app = await startTestApp({ auth: 'keys' });
    for (const id of ['alice', 'bob', 'carol']) {
      app.context.accounts.accounts.ensure(id, 'pro');
      if (id === 'carol') app.context.accounts.ledger.grant(id, 10, 'test');
      const key = generateApiKey();
      app.context.accounts.keys.add(id, key);
      keys.push(key);
    }
    for (const voice of TEST_VOICES) for (const text of CLIP_TEXTS) clips.push(await speak(app.url, voice, text));
  });
  after(() => app.close());

  it('separates the built-in voices: every same-voice pair scores above every different-voice pair (EER 0)', () => {
    const profiles = clips.map((c) => voiceProfile(analyzePcm(c.pcm16k)).embedding);
    const same: number[] = [];
    const different: number[] = [];
    for (let i = 0; i < clips.length; i++) {
      for (let j = i + 1; j < clips.length; j++) (clips[i]!.voice === clips[j]!.voice ? same : different).push(cosine(profiles[i]!, profiles[j]!));
    }
    const eer = equalErrorRate(same, different);
    console.log(`embedded method over ${TEST_VOICES.length} voices: EER ${(eer * 100).toFixed(1)} %, same-voice cosine min ${Math.min(...same).toFixed(3)}, different-voice max ${Math.max(...different).toFixed(3)}`);
    assert.equal(eer, 0);
  });

  it('stores, lists and deletes a voice; the answer follows the contract', async () => {
    const res = await fetch(`${app.url}/v1/voice-embed/`, { method: 'POST', headers: auth(), body: form(clips[0]!.wav, { model: 'cosyvoice2' }) });
    assert.equal(res.status, 200, await res.clone().text());
    const body = voiceEmbedResponse.parse(await res.json());
    assert.match(body.embed_id, /^emb_[0-9a-f]{24}$/);
    assert.equal(body.model, 'cosyvoice2');
    assert.equal(body.extractor, 'llais-mfcc-f0-stats-v1');
    assert.ok(body.duration_ms >= 0);
    const list = voiceEmbedList.parse(await (await fetch(`${app.url}/v1/voice-embed/`, { headers: auth() })).json());
    assert.ok(list.embeddings.some((e) => e.embed_id === body.embed_id && e.model === 'cosyvoice2'));
    // Another account neither sees nor deletes it; no key at all is 401.
    assert.equal(voiceEmbedList.parse(await (await fetch(`${app.url}/v1/voice-embed/`, { headers: auth(1) })).json()).total, 0);
    assert.equal((await fetch(`${app.url}/v1/voice-embed/?embed_id=${body.embed_id}`, { method: 'DELETE', headers: auth(1) })).status, 404);
    assert.equal((await fetch(`${app.url}/v1/voice-embed/`)).status, 401);
    const del = await fetch(`${app.url}/v1/voice-embed/?embed_id=${body.embed_id}`, { method: 'DELETE', headers: auth() });
    assert.equal(del.status, 200);
    const again = await fetch(`${app.url}/v1/voice-embed/?embed_id=${body.embed_id}`, { method: 'DELETE', headers: auth() });
    assert.equal(again.status, 404);
    assert.equal(((await again.json()) as { error: { code: string } }).error.code, 'embedding_not_found');
  });

  it('charges the voice changer per audio minute: 402 without credits, 1 credit for a short clip', async () => {
    const convert = (key: number): Promise<Response> => fetch(`${app.url}/v1/voice-convert/`, { method: 'POST', headers: auth(key), body: form(clips[0]!.wav, { target_voice: 'flite-rms' }) });
    const broke = await convert(0);
    assert.equal(broke.status, 402);
    const paid = await convert(2);
    assert.equal(paid.status, 200, await paid.clone().text());
    assert.deepEqual([paid.headers.get('x-credits-used'), paid.headers.get('x-credits-remaining')], ['1', '9']);
    assert.equal((await app.context.accounts.ledger.balance('carol')), 9);
  });

  it('refuses bad uploads with a clear 4xx', async () => {
    const silence = wavOf(new Int16Array(16_000 * 5), 16_000);
    const tooShort = wavOf(clips[0]!.pcm16k.subarray(0, 16_000), 16_000);
    const two = wavOf(new Int16Array([...clips[0]!.pcm16k, ...clips[3]!.pcm16k]), 16_000);
    const cases: Array<[string, FormData, number, string]> = [
      ['no file', new FormData(), 400, 'missing_required_parameter'],
      ['not audio', form(new TextEncoder().encode('hello '.repeat(200))), 415, 'unsupported_media_type'],
      ['silence', form(silence), 422, 'no_speech'],
      ['one second', form(tooShort), 422, 'audio_too_short'],
      ['two speakers', form(two), 422, 'multiple_speakers'],
      ['unknown model', form(clips[0]!.wav, { model: 'tortoise' }), 400, 'invalid_value'],
    ];
    for (const [name, body, status, code] of cases) {
      const res = await fetch(`${app.url}/v1/voice-embed/`, { method: 'POST', headers: auth(), body });
      const err = (await res.json()) as { error: { code: string } };
      assert.deepEqual([res.status, err.error.code], [status, code], name);
    }
  });

  it('accepts one voice however it is cut: each clip of each voice passes the one-speaker check', async () => {
    for (const clip of clips.filter((_, i) => i % 2 === 1)) {
      const res = await fetch(`${app.url}/v1/voice-embed/`, { method: 'POST', headers: auth(), body: form(clip.wav) });
      assert.equal(res.status, 200, `${clip.voice}: ${await res.text()}`);
    }
  });

  it('uses an installed speaker model (tiny ONNX, WeSpeaker layout): reported as the extractor, and its embeddings separate voices too', async () => {
    const dir = join(app.config.modelsDir, 'wespeaker-resnet34');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'wespeaker_en_voxceleb_resnet34.onnx'), tinySpeakerModel());
    const res = await fetch(`${app.url}/v1/voice-embed/`, { method: 'POST', headers: auth(), body: form(clips[0]!.wav) });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(voiceEmbedResponse.parse(await res.json()).extractor, 'wespeaker-resnet34');
    // The same path in this thread, over every clip: the tiny model's EER, printed.
    const other = join(await tempDir(), 'campplus.onnx');
    await writeFile(other, tinySpeakerModel('x', 'embedding'));
    const vectors = await Promise.all(clips.map((c) => onnxSpeakerEmbedding(other, c.pcm16k)));
    assert.equal(vectors[0]!.length, EMBED_DIMS);
    const same: number[] = [];
    const different: number[] = [];
    for (let i = 0; i < clips.length; i++) {
      for (let j = i + 1; j < clips.length; j++) (clips[i]!.voice === clips[j]!.voice ? same : different).push(cosine(vectors[i]!, vectors[j]!));
    }
    const eer = equalErrorRate(same, different);
    console.log(`tiny ONNX speaker model over ${TEST_VOICES.length} voices: EER ${(eer * 100).toFixed(1)} %`);
    const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
    assert.ok(mean(same) > mean(different), `same ${mean(same)} different ${mean(different)}`);
  });
});
