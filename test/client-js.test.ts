/**
 * The typed client (clients/js) against a real server: every method over real HTTP, audio checked
 * by decoding and measuring it, errors as the server's codes, and its generated types checked
 * against a fresh generation from the server's schemas so they cannot drift.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { App } from '../src/app.js';
import { generateApiKey } from '../src/accounts/api-key.js';
import { decodeToPcm } from '../src/audio/decode.js';
import { Llais, LlaisError, type SpeechEvent } from '../clients/js/src/index.js';
import { speechEvents } from '../clients/js/src/speech-stream.js';
import { generateOpenApiTypes } from '../clients/js/scripts/openapi-types.js';
import { REPO_ROOT } from './helpers/repo.js';
import { rms } from './helpers/audio.js';
import { corpusWer } from './helpers/wer.js';
import { startTestApp, tempDir } from './helpers/app.js';

const SENTENCE = 'The birch canoe slid on the smooth planks.';
const LONG_TEXT = Array.from({ length: 200 }, (_, i) => `This is sentence number ${i + 1} of a very long text.`).join(' ');
/** Fast polling: a test waits on the job, not on the contract's 1 s cadence. */
const POLL_MS = 50;

describe('typed client (@llais/client) against a running server', () => {
  let app: App;
  let client: Llais;

  before(async () => {
    app = await startTestApp();
    // A key switches the server to key rules, so every call below proves the client sends it.
    const { accounts, keys, ledger } = app.context.accounts;
    accounts.ensure('client', 'enterprise'); // its 50,000-character limit takes the long text
    ledger.grant('client', 10_000, 'test');
    const key = generateApiKey();
    keys.add('client', key);
    client = new Llais({ baseUrl: `${app.url}/v1/`, apiKey: key });
  });
  after(() => app.close());

  it('its generated types equal a fresh generation from the server schemas (npm run -w clients/js generate)', async () => {
    assert.equal(await readFile(join(REPO_ROOT, 'clients', 'js', 'src', 'generated', 'openapi.ts'), 'utf8'), await generateOpenApiTypes());
  });

  it('tts.create, results.wait and results.download give a job whose audio is speech', async () => {
    const job = await client.tts.create({ text: SENTENCE, voice: 'en-us', format: 'wav' });
    assert.match(job.uuid, /^[0-9a-f]{32}$/);
    assert.equal(job.status, 'queued');
    const done = await client.results.wait(job.uuid, { intervalMs: POLL_MS, signal: AbortSignal.timeout(60_000) });
    assert.equal(done.format, 'wav');
    assert.equal(done.voice, 'en-us');
    const pcm = await decodeToPcm(await client.results.download(done), 24_000);
    assert.ok(rms(pcm) > 300, `rms ${rms(pcm)}`);
    assert.ok(Math.abs(pcm.length / 24_000 - done.duration!) < 0.1, `decoded ${pcm.length / 24_000} s, reported ${done.duration} s`);
    // Given only the uuid, download waits for the job and fetches the same file.
    assert.deepEqual(await client.results.download(job.uuid, { intervalMs: POLL_MS }), await client.results.download(done));
  });

  it('tts.stream yields PCM audio deltas, then done last, and the samples add up to its duration', async () => {
    const events: SpeechEvent[] = [];
    for await (const event of client.tts.stream({ text: SENTENCE, voice: 'en-us' })) events.push(event);
    const deltas = events.filter((e) => e.type === 'speech.audio.delta');
    assert.ok(deltas.length > 0);
    const done = events.at(-1)!;
    assert.equal(done.type, 'speech.audio.done');
    assert.equal(done.usage.input_characters, SENTENCE.length);
    const samples = deltas.reduce((n, d) => n + d.pcm!.length, 0);
    assert.ok(Math.abs(samples / 24_000 - done.duration) < 0.05, `${samples / 24_000} s of samples, ${done.duration} s reported`);
    const all = new Int16Array(samples);
    let at = 0;
    for (const d of deltas) (all.set(d.pcm!, at), (at += d.pcm!.length));
    assert.ok(rms(all) > 300);
    for (const w of events.filter((e) => e.type === 'speech.word')) assert.ok(w.end >= w.start && w.word.length > 0);
  });

  it('PCM deltas split inside a sample are joined into whole samples (no byte lost or shifted)', async () => {
    const samples = Int16Array.from({ length: 101 }, (_, i) => (i - 50) * 321);
    const bytes = new Uint8Array(samples.buffer);
    const cuts = [0, 3, 4, 101, 150, bytes.length]; // odd and even boundaries
    const sse = cuts.slice(1).map((end, i) => `data: ${JSON.stringify({ type: 'speech.audio.delta', audio: Buffer.from(bytes.subarray(cuts[i], end)).toString('base64') })}\n\n`).join('');
    const joined: number[] = [];
    for await (const e of speechEvents(new Response(sse), true)) if (e.type === 'speech.audio.delta') joined.push(...e.pcm!);
    assert.deepEqual(joined, [...samples]);
  });

  it('tts.stream in a compressed format yields its bytes and no samples', async () => {
    const bytes: Uint8Array[] = [];
    for await (const e of client.tts.stream({ text: SENTENCE, voice: 'en-us', format: 'mp3' })) if (e.type === 'speech.audio.delta') (assert.equal(e.pcm, null), bytes.push(e.audio));
    const pcm = await decodeToPcm(Buffer.concat(bytes), 24_000);
    assert.ok(rms(pcm) > 300);
  });

  it('aborting tts.stream mid-stream throws the abort and cancels the synthesis on the server', async () => {
    const tts = app.context.tts;
    const cancelled = (): number => tts.stats().cancelledWhileRunning + tts.stats().droppedWhileQueued;
    const before = cancelled();
    const controller = new AbortController();
    let deltas = 0;
    await assert.rejects(
      (async () => {
        for await (const e of client.tts.stream({ text: LONG_TEXT, voice: 'en-us', signal: controller.signal })) if (e.type === 'speech.audio.delta' && ++deltas === 1) controller.abort();
      })(),
      { name: 'AbortError' },
    );
    assert.equal(deltas, 1, 'nothing more is yielded after the abort');
    // Wait on the event itself: the server's pool records the cancellation.
    const deadline = Date.now() + 10_000;
    while (cancelled() === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(cancelled() > before, 'the server cancelled the synthesis');
    assert.equal(tts.queueSize(), 0);
  });

  it('leaving the tts.stream loop early (break) also closes the stream on the server', async () => {
    const tts = app.context.tts;
    const cancelled = (): number => tts.stats().cancelledWhileRunning + tts.stats().droppedWhileQueued;
    const before = cancelled();
    for await (const e of client.tts.stream({ text: LONG_TEXT, voice: 'en-us' })) if (e.type === 'speech.audio.delta') break;
    const deadline = Date.now() + 10_000;
    while (cancelled() === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(cancelled() > before, 'the server cancelled the synthesis');
  });

  it('audio.speech (OpenAI-compatible) returns the audio file', async () => {
    const wav = await client.audio.speech({ model: 'flite', input: SENTENCE, voice: 'flite-rms', response_format: 'wav' });
    assert.equal(Buffer.from(wav.subarray(0, 4)).toString('latin1'), 'RIFF');
    assert.ok(rms(await decodeToPcm(wav, 24_000)) > 300);
  });

  it('stt.transcribe of synthesized speech, from bytes and from a path, returns its words with times', async () => {
    const mp3 = await client.audio.speech({ model: 'flite', input: SENTENCE, voice: 'flite-rms', response_format: 'mp3' });
    const fromBytes = await client.stt.transcribe({ file: Buffer.from(mp3), filename: 'speech.mp3', timestamps: true });
    const path = join(await tempDir(), 'speech.mp3');
    await writeFile(path, mp3);
    const fromPath = await client.stt.transcribe({ file: path, timestamps: true, language: 'en' });
    for (const t of [fromBytes, fromPath]) {
      const words = t.segments.flatMap((s) => s.words ?? []);
      // The bound of test/e2e-stt.test.ts for the built-in recognizer on this voice.
      assert.ok(corpusWer([{ reference: SENTENCE, hypothesis: words.map((w) => w.word).join(' ') }]) <= 0.6, `heard: ${t.text}`);
      for (const w of words) assert.ok(w.end >= w.start && w.end <= t.duration + 0.05);
      assert.ok(t.duration > 1);
    }
  });

  it('an error is a LlaisError with the status, code and param of the server envelope', async () => {
    await assert.rejects(client.tts.create({ text: SENTENCE, voice: 'nobody' }), (err: unknown) => {
      assert.ok(err instanceof LlaisError);
      assert.deepEqual([err.status, err.code, err.param, err.type], [400, 'voice_not_found', 'voice', 'invalid_request_error']);
      return true;
    });
    await assert.rejects(client.results.get('0'.repeat(32)), { name: 'LlaisError', status: 404, code: 'job_not_found' });
    const stranger = new Llais({ baseUrl: app.url, apiKey: 'sk-tts-not-a-key' });
    await assert.rejects(stranger.stt.transcribe({ file: new Blob([new Uint8Array(100)]) }), { name: 'LlaisError', status: 401, code: 'invalid_api_key' });
    // Errors before the first event of a stream are thrown by the first iteration.
    await assert.rejects(client.tts.stream({ text: SENTENCE, voice: 'nobody' }).next(), { name: 'LlaisError', status: 400, code: 'voice_not_found' });
  });

  it('voices.list and models.list are typed lists with the filters applied', async () => {
    const all = await client.voices.list();
    assert.equal(all.total, all.voices.length);
    const flite = await client.voices.list({ model: 'flite' });
    assert.ok(flite.voices.length > 0 && flite.voices.length < all.voices.length);
    assert.ok(flite.voices.every((v) => v.model === 'flite'));
    const { models } = await client.models.list();
    const types = new Set(models.map((m) => m.type));
    assert.ok(types.has('tts') && types.has('stt'), [...types].join());
    assert.ok(models.some((m) => m.id === 'espeak' && m.installed));
  });

  it('voiceChat takes a text turn, then continues the conversation with a spoken turn; health reports online', async () => {
    const first = await client.voiceChat({ text: 'Hello there.', voice: 'flite-slt' });
    assert.match(first.conversation_id, /^conv_/);
    assert.ok(first.ai_text.length > 0);
    const reply = await fetch(first.audio_url);
    assert.ok(rms(await decodeToPcm(new Uint8Array(await reply.arrayBuffer()), 24_000)) > 300);
    // A spoken turn goes as multipart, the audio transcribed by the server.
    const spoken = await client.audio.speech({ model: 'flite', input: SENTENCE, voice: 'flite-rms', response_format: 'wav' });
    const second = await client.voiceChat({ audio: spoken, filename: 'turn.wav', voice: 'flite-slt', conversation_id: first.conversation_id });
    assert.equal(second.conversation_id, first.conversation_id);
    assert.ok(corpusWer([{ reference: SENTENCE, hypothesis: second.user_text }]) <= 0.6, `heard: ${second.user_text}`);
    assert.equal((await client.health()).status, 'online');
  });
});
