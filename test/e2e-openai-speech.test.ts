import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createParser } from 'eventsource-parser';
import OpenAI from 'openai';
import type { App } from '../src/app.js';
import { decodeToPcm } from '../src/audio/decode.js';
import { probeAudio } from '../src/audio/probe.js';
import { pcmFromBytes, plausibleSpeechSeconds, rms } from './helpers/audio.js';
import { startTestApp } from './helpers/app.js';

const TEXT = 'The quick brown fox jumps over the lazy dog. It was a bright cold day in April.';
const EXPECTED_CODEC: Record<string, RegExp> = { mp3: /mp3/, opus: /opus/, aac: /aac/, flac: /flac/, wav: /pcm_s16le/ };

describe('POST /v1/audio/speech with the official openai client', () => {
  let app: App;
  let client: OpenAI;

  before(async () => {
    app = await startTestApp();
    client = new OpenAI({ baseURL: `${app.url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
  });
  after(() => app.close());

  for (const format of ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'] as const) {
    it(`response_format ${format} decodes to non-silent speech of plausible length`, async () => {
      const res = await client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: TEXT, response_format: format });
      const bytes = new Uint8Array(await res.arrayBuffer());
      assert.ok(bytes.length > 1000, `only ${bytes.length} bytes`);
      let pcm: Int16Array;
      if (format === 'pcm') {
        pcm = pcmFromBytes(bytes);
      } else {
        const probe = await probeAudio(bytes);
        assert.match(probe.codec, EXPECTED_CODEC[format]!);
        pcm = await decodeToPcm(bytes, 24_000);
      }
      const seconds = pcm.length / 24_000;
      const { min, max } = plausibleSpeechSeconds(TEXT.length);
      assert.ok(seconds > min && seconds < max, `${format}: ${seconds.toFixed(2)} s for ${TEXT.length} chars`);
      assert.ok(rms(pcm) > 300, `${format}: rms ${rms(pcm).toFixed(0)}`);
    });
  }

  it('stream_format sse yields speech.audio.delta events then speech.audio.done', async () => {
    const res = await client.audio.speech.create({ model: 'gpt-4o-mini-tts', voice: 'onyx', input: TEXT, response_format: 'pcm', stream_format: 'sse' });
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const events: Array<{ type: string; audio?: string; duration?: number }> = [];
    const parser = createParser({ onEvent: (e) => events.push(JSON.parse(e.data)) });
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
    const deltas = events.filter((e) => e.type === 'speech.audio.delta');
    assert.ok(deltas.length >= 2, `${deltas.length} deltas`);
    const done = events.at(-1)!;
    assert.equal(done.type, 'speech.audio.done');
    const pcm = pcmFromBytes(Buffer.concat(deltas.map((d) => Buffer.from(d.audio!, 'base64'))));
    assert.ok(Math.abs(pcm.length / 24_000 - done.duration!) < 0.01, 'done.duration matches the audio sent');
    assert.ok(rms(pcm) > 300);
  });

  it('maps OpenAI voices by gender: onyx is a male voice, nova a female one', async () => {
    const voices = (await (await fetch(`${app.url}/v1/voices/`)).json()) as { voices: Array<{ id: string; gender: string }> };
    const genderOf = new Map(voices.voices.map((v) => [v.id, v.gender]));
    for (const [name, gender] of [['onyx', 'male'], ['nova', 'female']] as const) {
      const res = await client.audio.speech.create({ model: 'tts-1', voice: name, input: 'Hello there.', response_format: 'pcm', stream_format: 'sse' });
      const text = await res.text();
      const done = JSON.parse(text.trim().split('\n').filter((l) => l.startsWith('data: ')).at(-1)!.slice(6)) as { voice: string };
      assert.equal(genderOf.get(done.voice), gender, `${name} -> ${done.voice}`);
    }
  });

  it('an OpenAI voice name speaks the text\'s language: French text with alloy gets a French voice', async () => {
    const res = await client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'Bonjour à tous, je suis très heureux de vous parler aujourd\'hui.', response_format: 'pcm', stream_format: 'sse' });
    const text = await res.text();
    const done = JSON.parse(text.trim().split('\n').filter((l) => l.startsWith('data: ')).at(-1)!.slice(6)) as { voice: string };
    const voices = (await (await fetch(`${app.url}/v1/voices/?language=fr`)).json()) as { voices: Array<{ id: string }> };
    assert.ok(voices.voices.some((v) => v.id === done.voice), `voice ${done.voice} is a French voice`);
  });

  it('rejects bad input with the OpenAI error envelope the client understands', async () => {
    await assert.rejects(
      client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'hi', speed: 9 }),
      (err: unknown) => err instanceof OpenAI.BadRequestError && (err.error as { param?: string }).param === 'speed',
    );
    await assert.rejects(
      client.audio.speech.create({ model: 'kokoro', voice: 'alloy', input: 'hi' }),
      (err: unknown) => err instanceof OpenAI.APIError && err.status === 424 && /llais models pull kokoro/.test(err.message),
    );
  });
});
