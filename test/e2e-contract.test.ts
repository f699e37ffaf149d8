/**
 * Details of API.md that clients depend on, pinned against a real server on port 0: the voice
 * preview URL's form, `input` as another name for `text` on our TTS endpoints (the seed's JS SDK
 * sends `input`), every field the contract shows for a model (speech-to-text models included),
 * and `speaker` in every segment of `POST /v1/stt/`. Speaker labels' form (`SPEAKER_00`) is
 * pinned with real diarization in e2e-stt.test.ts and stt-diarize.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createParser } from 'eventsource-parser';
import type { App } from '../src/app.js';
import { decodeToPcm } from '../src/audio/decode.js';
import { wavHeader } from '../src/audio/encode.js';
import { pcmFromBytes, rms } from './helpers/audio.js';
import { startTestApp } from './helpers/app.js';

interface ErrorBody { error: { code: string; param: string | null; message: string } }

function post(app: App, path: string, body: unknown): Promise<Response> {
  return fetch(app.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function expectError(res: Response, status: number, code: string, param: string): Promise<void> {
  const body = (await res.json()) as ErrorBody;
  assert.equal(res.status, status, body.error.message);
  assert.equal(body.error.code, code);
  assert.equal(body.error.param, param);
}

describe('API contract details', () => {
  let app: App;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  it('voices list preview_url as /v1/voices/preview/<id>.mp3, and that URL plays the voice as MP3', async () => {
    const { voices } = (await (await fetch(`${app.url}/v1/voices/?language=cy`)).json()) as { voices: Array<{ id: string; preview_url: string }> };
    const welsh = voices[0]!;
    assert.equal(welsh.preview_url, `${app.url}/v1/voices/preview/${welsh.id}.mp3`);
    const res = await fetch(welsh.preview_url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'audio/mpeg');
    const pcm = await decodeToPcm(new Uint8Array(await res.arrayBuffer()), 24_000);
    assert.ok(pcm.length / 24_000 > 1.5, 'a preview is a sentence or two');
    assert.ok(rms(pcm) > 300, 'and audible');
    // The extension picks the format; the older /v1/voices/<id>/preview stays.
    const wav = await fetch(`${app.url}/v1/voices/preview/${welsh.id}.wav`);
    assert.equal(wav.headers.get('content-type'), 'audio/wav');
    await wav.arrayBuffer();
    const old = await fetch(`${app.url}/v1/voices/${welsh.id}/preview`);
    assert.equal(old.status, 200);
    await old.arrayBuffer();
  });

  it('with keys required, both preview URLs stay in the anonymous tier, like the TTS they are', async () => {
    const keyed = await startTestApp({ auth: 'keys' });
    try {
      for (const path of ['/v1/voices/preview/cy.mp3', '/v1/voices/cy/preview']) {
        const res = await fetch(keyed.url + path);
        assert.equal(res.status, 200, path);
        await res.arrayBuffer();
      }
      assert.equal((await fetch(`${keyed.url}/api/v1/pronunciations/`)).status, 401, 'while keyed routes need a key');
    } finally {
      await keyed.close();
    }
  });

  it('a preview of an unknown voice is a 404, of an unknown format a 400, of a name without extension a 404', async () => {
    await expectError(await fetch(`${app.url}/v1/voices/preview/nobody.mp3`), 404, 'not_found', 'id');
    await expectError(await fetch(`${app.url}/v1/voices/preview/cy.doc`), 400, 'invalid_value', 'format');
    await expectError(await fetch(`${app.url}/v1/voices/preview/cy`), 404, 'not_found', 'id');
  });

  it('POST /v1/tts/ takes `input` for `text`: a queued job, and audio when streamed', async () => {
    const queued = await post(app, '/v1/tts/', { input: 'Hello from the software development kit.', voice: 'en-us' });
    assert.equal(queued.status, 200);
    const job = (await queued.json()) as { uuid: string; status: string };
    assert.match(job.uuid, /^[0-9a-f]{32}$/);
    assert.equal(job.status, 'queued');
    const streamed = await post(app, '/v1/tts/', { input: 'Hello from the software development kit.', voice: 'en-us', format: 'pcm', stream: true });
    assert.equal(streamed.status, 200);
    const pcm = pcmFromBytes(new Uint8Array(await streamed.arrayBuffer()));
    assert.ok(pcm.length / 24_000 > 1, `${pcm.length / 24_000} s of speech`);
    assert.ok(rms(pcm) > 300);
  });

  it('POST /v1/tts/stream/ takes `input` for `text`: delta events then done', async () => {
    const res = await post(app, '/v1/tts/stream/', { input: 'Streaming with input.', voice: 'en-us' });
    assert.equal(res.status, 200);
    const events: Array<{ type: string; audio?: string; duration?: number }> = [];
    const parser = createParser({ onEvent: (e) => events.push(JSON.parse(e.data) as { type: string }) });
    parser.feed(await res.text());
    const deltas = events.filter((e) => e.type === 'speech.audio.delta');
    assert.ok(deltas.length >= 1);
    const pcm = pcmFromBytes(Buffer.concat(deltas.map((d) => Buffer.from(d.audio!, 'base64'))));
    assert.ok(rms(pcm) > 300);
    const done = events.at(-1)!;
    assert.equal(done.type, 'speech.audio.done');
    assert.ok(done.duration! > 0.5);
  });

  it('`text` and `input` both sent: the same text is fine, different texts are a 400; neither is the missing-text 400', async () => {
    for (const path of ['/v1/tts/', '/v1/tts/stream/']) {
      const same = await post(app, path, { text: 'Same words.', input: 'Same words.', voice: 'en-us', format: 'pcm', stream: true });
      assert.equal(same.status, 200, path);
      await same.arrayBuffer();
      await expectError(await post(app, path, { text: 'One thing.', input: 'Another.', voice: 'en-us' }), 400, 'conflicting_parameters', 'input');
      await expectError(await post(app, path, { voice: 'en-us' }), 400, 'missing_required_parameter', 'text');
      await expectError(await post(app, path, { input: 42, voice: 'en-us' }), 400, 'invalid_type', 'input');
      // An empty `input` is named as the caller named it.
      await expectError(await post(app, path, { input: '  ', voice: 'en-us' }), 400, 'empty_text', 'input');
    }
  });

  it('GET /v1/models/ gives every model, speech-to-text too, each field API.md shows', async () => {
    const { models, total } = (await (await fetch(`${app.url}/v1/models/`)).json()) as { models: Array<Record<string, unknown>>; total: number };
    assert.equal(total, models.length);
    const types = new Set(models.map((m) => m.type));
    assert.ok(types.has('tts') && types.has('stt'), [...types].join());
    for (const m of models) {
      const id = String(m.id);
      for (const field of ['id', 'name', 'type', 'tier', 'languages', 'supports_cloning', 'supports_streaming', 'credits_per_1k_chars', 'installed', 'loaded']) {
        assert.ok(field in m, `${id} lacks ${field}`);
      }
      assert.ok(Array.isArray(m.languages) && m.languages.length > 0, id);
      for (const flag of ['supports_cloning', 'supports_streaming', 'installed', 'loaded']) assert.equal(typeof m[flag], 'boolean', `${id}.${flag}`);
      if (m.type === 'tts') {
        assert.ok(['free', 'standard', 'premium'].includes(String(m.tier)), id);
        assert.equal(typeof m.credits_per_1k_chars, 'number', id);
      }
    }
    const sphinx = models.find((m) => m.id === 'pocketsphinx')!;
    assert.deepEqual(
      { type: sphinx.type, tier: sphinx.tier, credits_per_1k_chars: sphinx.credits_per_1k_chars, credits_per_audio_minute: sphinx.credits_per_audio_minute, supports_streaming: sphinx.supports_streaming, installed: sphinx.installed },
      { type: 'stt', tier: null, credits_per_1k_chars: null, credits_per_audio_minute: 2, supports_streaming: true, installed: true },
    );
  });

  it('POST /v1/stt/ without diarize: every segment carries speaker null', async () => {
    const res = await post(app, '/v1/tts/', { text: 'Good morning. How are you today?', voice: 'flite-slt', format: 'pcm', stream: true });
    const pcm = Buffer.from(await res.arrayBuffer());
    const wav = Buffer.concat([Buffer.from(wavHeader(pcm.length, 24_000)), pcm]);
    const fd = new FormData();
    fd.append('file', new Blob([wav]), 'talk.wav');
    const stt = await fetch(`${app.url}/v1/stt/`, { method: 'POST', body: fd });
    assert.equal(stt.status, 200);
    const body = (await stt.json()) as { text: string; language: string; duration: number; segments: Array<Record<string, unknown>> };
    assert.equal(body.language, 'en');
    assert.ok(body.duration > 1);
    assert.match(body.text, /morning/i);
    assert.ok(body.segments.length >= 1);
    for (const s of body.segments) {
      assert.deepEqual(Object.keys(s).sort(), ['end', 'speaker', 'start', 'text']);
      assert.equal(s.speaker, null);
    }
  });
});
