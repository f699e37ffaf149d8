/**
 * `/v1/speech-translate/` against a real server with a fake local language model (a tiny HTTP
 * server speaking `/chat/completions`): the speech is recognized, the transcript sent with a
 * translation prompt naming the target language, the reply spoken by a voice of that language
 * into a result file tagged as synthetic; with `preserve_voice` the spoken translation is moved
 * to the speaker's pitch. (The 424 without a configured model is in e2e-voice-convert.test.ts,
 * whose server has none.)
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { speechTranslateResponse } from '../src/api/schemas/voice-identity.js';
import type { App } from '../src/app.js';
import { decodePcmStream } from '../src/audio/decode-stream.js';
import { concatPcm } from '../src/audio/pcm.js';
import { analyzePcm } from '../src/voice/voice-analyzer.js';
import { voiceProfile } from '../src/voice/voice-profile.js';
import { startTestApp, tempDir } from './helpers/app.js';
import { corpusWer } from './helpers/wer.js';
import { speak, type Clip } from './helpers/voices.js';

const TEXT = 'The birch canoe slid on the smooth planks.';
const FRENCH = 'Le canoë de bouleau glissait sur les planches lisses.';

interface ChatRequest { messages: Array<{ role: string; content: string }> }

function form(file: Uint8Array, fields: Record<string, string>): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  fd.append('file', new Blob([new Uint8Array(file)]), 'speech.wav');
  return fd;
}

async function decodeUrl(url: string): Promise<Int16Array> {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  const path = join(await tempDir(), 'out.mp3');
  await writeFile(path, new Uint8Array(await res.arrayBuffer()));
  const parts: Int16Array[] = [];
  for await (const pcm of decodePcmStream(path, { sampleRateHz: 16_000 })) parts.push(pcm);
  return concatPcm(parts);
}

describe('speech translation', () => {
  let app: App;
  let llm: Server;
  let clip: Clip;
  let female: Clip;
  const received: ChatRequest[] = [];
  before(async () => {
    llm = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      received.push(JSON.parse(Buffer.concat(chunks).toString()) as ChatRequest);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const [word] of FRENCH.matchAll(/\S+\s*/g)) res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: word }, finish_reason: null }] })}\n\n`);
      res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
      res.end('data: [DONE]\n\n');
    });
    llm.listen(0, '127.0.0.1');
    await once(llm, 'listening');
    app = await startTestApp({ llmBaseUrl: `http://127.0.0.1:${(llm.address() as AddressInfo).port}` });
    clip = await speak(app.url, 'flite-rms', TEXT);
    female = await speak(app.url, 'flite-slt', TEXT);
  });
  after(async () => {
    await app.close();
    llm.closeAllConnections();
    llm.close();
  });

  const translate = (fields: Record<string, string>, from = clip): Promise<Response> => fetch(`${app.url}/v1/speech-translate/`, { method: 'POST', body: form(from.wav, fields) });

  it('recognizes, translates with the configured model, and speaks the translation in the target language', async () => {
    const res = await translate({ target_language: 'fr' });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('x-llais-synthetic'), 'true');
    const body = speechTranslateResponse.parse(await res.json());
    assert.ok(corpusWer([{ reference: TEXT, hypothesis: body.original_text }]) < 0.6, body.original_text);
    assert.equal(body.translated_text, FRENCH);
    assert.equal(body.target_language, 'fr');
    assert.ok(body.credits_used >= 0);
    const last = received[received.length - 1]!;
    assert.match(last.messages[0]!.content, /"fr"/);
    assert.equal(last.messages[1]!.content, body.original_text);
    assert.equal(res.headers.get('x-job-uuid') !== null, true);
    const audio = await decodeUrl(body.audio_url);
    const sec = audio.length / 16_000;
    assert.ok(sec > 1.5 && sec < 10, `${sec} s of French`);
    const job = await (await fetch(`${app.url}/v1/speech/results/?uuid=${res.headers.get('x-job-uuid')}`)).json() as { status: string };
    assert.equal(job.status, 'completed');
  });

  it('preserve_voice moves the spoken translation to the speaker\'s pitch (a female speaker, a male French voice)', async () => {
    const f0 = async (fields: Record<string, string>): Promise<number> => {
      const res = await translate({ target_language: 'fr', ...fields }, female);
      assert.equal(res.status, 200, await res.clone().text());
      const body = speechTranslateResponse.parse(await res.json());
      return Math.exp(voiceProfile(analyzePcm(await decodeUrl(body.audio_url))).stats.logF0Mean);
    };
    const speaker = Math.exp(voiceProfile(analyzePcm(female.pcm16k)).stats.logF0Mean);
    const [plain, kept] = [await f0({}), await f0({ preserve_voice: 'true' })];
    console.log(`speaker F0 ${speaker.toFixed(0)} Hz; translation spoken at ${plain.toFixed(0)} Hz, with preserve_voice ${kept.toFixed(0)} Hz`);
    assert.ok(Math.abs(Math.log(kept / speaker)) < Math.abs(Math.log(plain / speaker)) * 0.5);
  });

  it('refuses a missing or malformed target_language (400)', async () => {
    for (const [fields, code] of [[{}, 'missing_required_parameter'], [{ target_language: 'not a language!' }, 'invalid_value']] as const) {
      const res = await translate(fields);
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, code);
    }
  });
});
