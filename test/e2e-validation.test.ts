import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { App } from '../src/app.js';
import { startTestApp } from './helpers/app.js';

interface Case {
  name: string;
  path: string;
  body: string | Record<string, unknown>;
  contentType?: string;
  status: number;
  param?: string | null;
  code?: string;
}

const ok = { text: 'Hello.', voice: 'en-us' };
const oa = { model: 'tts-1', input: 'Hello.', voice: 'alloy' };

const CASES: Case[] = [
  { name: 'not JSON', path: '/v1/tts/', body: '{"text": ', status: 400, code: 'invalid_json' },
  { name: 'JSON array', path: '/v1/tts/', body: '[]', status: 400, code: 'invalid_json' },
  { name: 'empty body', path: '/v1/tts/', body: '', status: 400, code: 'invalid_json' },
  { name: 'wrong content type', path: '/v1/tts/', body: 'text=hi', contentType: 'application/x-www-form-urlencoded', status: 415 },
  { name: 'missing text', path: '/v1/tts/', body: { voice: 'en-us' }, status: 400, param: 'text', code: 'missing_required_parameter' },
  { name: 'empty text', path: '/v1/tts/', body: { ...ok, text: '   ' }, status: 400, param: 'text', code: 'empty_text' },
  { name: 'text not a string', path: '/v1/tts/', body: { ...ok, text: 42 }, status: 400, param: 'text', code: 'invalid_type' },
  { name: 'text over the max', path: '/v1/tts/', body: { ...ok, text: 'a'.repeat(2001) }, status: 400, param: 'text', code: 'text_too_long' },
  { name: 'missing voice', path: '/v1/tts/', body: { text: 'hi' }, status: 400, param: 'voice' },
  { name: 'unknown voice', path: '/v1/tts/', body: { ...ok, voice: 'nobody' }, status: 400, param: 'voice', code: 'voice_not_found' },
  { name: 'a Kokoro voice, Kokoro not installed', path: '/v1/tts/', body: { ...ok, voice: 'af_bella' }, status: 424, param: 'voice', code: 'model_not_installed' },
  { name: 'a Piper voice, Piper not installed', path: '/v1/audio/speech', body: { model: 'tts-1', input: 'Hi.', voice: 'en_US-amy-low' }, status: 424, param: 'voice', code: 'model_not_installed' },
  { name: 'unknown model', path: '/v1/tts/', body: { ...ok, model: 'nonesuch' }, status: 400, param: 'model', code: 'model_not_found' },
  { name: 'model not installed', path: '/v1/tts/', body: { ...ok, model: 'kokoro', voice: 'af_bella' }, status: 424, param: 'model', code: 'model_not_installed' },
  { name: 'voice of another model', path: '/v1/tts/', body: { ...ok, model: 'flite' }, status: 400, param: 'voice', code: 'voice_model_mismatch' },
  { name: 'bad format', path: '/v1/tts/', body: { ...ok, format: 'midi' }, status: 400, param: 'format', code: 'invalid_value' },
  { name: 'speed too low', path: '/v1/tts/', body: { ...ok, speed: 0.4 }, status: 400, param: 'speed' },
  { name: 'speed too high', path: '/v1/tts/', body: { ...ok, speed: 2.5 }, status: 400, param: 'speed' },
  { name: 'speed a string', path: '/v1/tts/', body: { ...ok, speed: 'fast' }, status: 400, param: 'speed', code: 'invalid_type' },
  { name: 'stream not a bool', path: '/v1/tts/', body: { ...ok, stream: 'yes' }, status: 400, param: 'stream' },
  { name: 'bad language', path: '/v1/tts/', body: { ...ok, language: 'english!' }, status: 400, param: 'language' },
  { name: 'instructions too long', path: '/v1/tts/', body: { ...ok, instructions: 'x'.repeat(501) }, status: 400, param: 'instructions' },
  { name: 'pronunciations wrong shape', path: '/v1/tts/', body: { ...ok, pronunciations: 'GIF=jiff' }, status: 400, param: 'pronunciations' },
  { name: 'pronunciations bad entry', path: '/v1/tts/', body: { ...ok, pronunciations: [{ word: 'GIF' }] }, status: 400, param: 'pronunciations' },
  { name: 'malformed SSML', path: '/v1/tts/', body: { ...ok, text: '<say-as interpret-as="cardinal">12' }, status: 400, param: 'text' },
  { name: 'unknown say-as', path: '/v1/tts/', body: { ...ok, text: '<say-as interpret-as="weird">12</say-as>' }, status: 400, param: 'text' },
  { name: 'sse: unknown voice', path: '/v1/tts/stream/', body: { ...ok, voice: 'nobody' }, status: 400, param: 'voice' },
  { name: 'openai: missing input', path: '/v1/audio/speech', body: { model: 'tts-1', voice: 'alloy' }, status: 400, param: 'input' },
  { name: 'openai: missing model', path: '/v1/audio/speech', body: { input: 'hi', voice: 'alloy' }, status: 400, param: 'model' },
  { name: 'openai: bad response_format', path: '/v1/audio/speech', body: { ...oa, response_format: 'ogg' }, status: 400, param: 'response_format' },
  { name: 'openai: speed 4.5', path: '/v1/audio/speech', body: { ...oa, speed: 4.5 }, status: 400, param: 'speed' },
  { name: 'openai: bad stream_format', path: '/v1/audio/speech', body: { ...oa, stream_format: 'ws' }, status: 400, param: 'stream_format' },
  { name: 'openai: body over 1 MiB', path: '/v1/audio/speech', body: { ...oa, input: 'a'.repeat(1_100_000) }, status: 413 },
];

describe('bad input gets the right 4xx envelope and the server stays up', () => {
  let app: App;
  before(async () => {
    app = await startTestApp({ maxTextChars: 2000 });
  });
  after(() => app.close());

  for (const c of CASES) {
    it(`${c.name} -> ${c.status}${c.param ? ` (param ${c.param})` : ''}`, async () => {
      const res = await fetch(app.url + c.path, {
        method: 'POST',
        headers: { 'content-type': c.contentType ?? 'application/json' },
        body: typeof c.body === 'string' ? c.body : JSON.stringify(c.body),
      });
      const text = await res.text();
      assert.equal(res.status, c.status, text);
      const body = JSON.parse(text) as { error: { message: string; type: string; code: string; param: string | null } };
      assert.equal(typeof body.error.message, 'string');
      assert.ok(body.error.message.length > 10, 'the message says what is wrong');
      assert.equal(typeof body.error.type, 'string');
      if (c.param !== undefined) assert.equal(body.error.param, c.param);
      if (c.code) assert.equal(body.error.code, c.code);
      if (c.status === 424) assert.match(body.error.message, /llais models pull/);
    });
  }

  it('is still healthy and serving after all of that', async () => {
    const res = await fetch(`${app.url}/v1/tts/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...ok, stream: true, format: 'pcm' }) });
    assert.equal(res.status, 200);
    assert.ok((await res.arrayBuffer()).byteLength > 1000);
  });
});
