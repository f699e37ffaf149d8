import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { App } from '../src/app.js';
import { decodeToPcm } from '../src/audio/decode.js';
import { wavHeader } from '../src/audio/encode.js';
import { probeAudio } from '../src/audio/probe.js';
import type { ChatMessage } from '../src/llm/types.js';
import { recentHistory } from '../src/llm/history.js';
import { startTestApp, tempDir } from './helpers/app.js';
import { plausibleSpeechSeconds, rms } from './helpers/audio.js';

interface TurnResponse {
  conversation_id: string;
  user_text: string;
  ai_text: string;
  audio_url: string;
  credits_used: number;
  credits_remaining: null;
}

interface Envelope {
  error: { message: string; type: string; code: string; param: string | null };
}

const DECODE_RATE_HZ = 16_000;

function postJson(app: App, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${app.url}/v1/voice-chat/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
}

function postForm(app: App, fields: Record<string, string>, audio?: Uint8Array): Promise<Response> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (audio) form.append('audio', new Blob([new Uint8Array(audio)], { type: 'audio/wav' }), 'said.wav');
  return fetch(`${app.url}/v1/voice-chat/`, { method: 'POST', body: form });
}

async function turn(res: Response): Promise<TurnResponse> {
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as TurnResponse;
}

function storedMessages(app: App, conversationId: string): Array<{ seq: number; role: string; content: string }> {
  return app.context.db
    .prepare('SELECT seq, role, content FROM conversation_messages WHERE conversation_id = ? ORDER BY seq')
    .all(conversationId) as Array<{ seq: number; role: string; content: string }>;
}

function rowCount(app: App, table: 'conversations' | 'conversation_messages'): number {
  return (app.context.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
}

/** A WAV of the sentence spoken by the flite engine through the OpenAI speech endpoint. */
async function spoken(app: App, text: string): Promise<Uint8Array> {
  const res = await fetch(`${app.url}/v1/audio/speech`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'flite', input: text, voice: 'flite-rms', response_format: 'wav' }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const bytes = new Uint8Array(await res.arrayBuffer());
  // A streamed WAV header carries placeholder sizes; give it the real ones.
  bytes.set(wavHeader(bytes.length - 44, 24_000), 0);
  return bytes;
}

interface FakeLlm {
  baseUrl: string;
  received: ChatMessage[][];
  /** Emits `request` with each request's response object as it arrives. */
  requests: EventEmitter;
  close: () => void;
}

/**
 * A fake OpenAI-compatible `/chat/completions` that streams a fixed reply and records each
 * request; with `reply: null` it accepts requests and never answers them.
 */
async function fakeLlm(reply: string | null): Promise<FakeLlm> {
  const received: ChatMessage[][] = [];
  const requests = new EventEmitter();
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    received.push((JSON.parse(Buffer.concat(chunks).toString()) as { messages: ChatMessage[] }).messages);
    requests.emit('request', res);
    if (reply === null) return;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const send = (data: unknown): boolean => res.write(`data: ${JSON.stringify(data)}\n\n`);
    for (const [word] of reply.matchAll(/\S+\s*/g)) send({ choices: [{ index: 0, delta: { content: word }, finish_reason: null }] });
    send({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
    res.end('data: [DONE]\n\n');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    requests,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** A port that nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

describe('voice chat with the built-in echo responder', () => {
  let app: App;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  it('a JSON text turn answers with the echo and an audio_url that downloads as speech of plausible length', async () => {
    const said = 'The birch canoe slid on the smooth planks.';
    const t = await turn(await postJson(app, { text: said }));
    assert.match(t.conversation_id, /^conv_[0-9a-f]{24}$/);
    assert.equal(t.user_text, said);
    assert.equal(t.ai_text, said);
    assert.equal(t.credits_used, 3);
    assert.equal(t.credits_remaining, null);
    assert.match(t.audio_url, new RegExp(`^${app.url}/static/downloads/[0-9a-f]{32}/output\\.mp3$`));

    const file = await fetch(t.audio_url);
    assert.equal(file.status, 200);
    assert.equal(file.headers.get('content-type'), 'audio/mpeg');
    const bytes = new Uint8Array(await file.arrayBuffer());
    assert.equal((await probeAudio(bytes)).codec, 'mp3');
    const pcm = await decodeToPcm(bytes, DECODE_RATE_HZ);
    const seconds = pcm.length / DECODE_RATE_HZ;
    const { min, max } = plausibleSpeechSeconds(said.length);
    assert.ok(seconds >= min && seconds <= max, `${seconds.toFixed(2)} s for ${said.length} chars`);
    assert.ok(rms(pcm) > 300, `RMS ${rms(pcm).toFixed(0)}`);

    // It is an ordinary completed TTS job: pollable, and served with Range support.
    const poll = (await (await fetch(`${app.url}/v1/speech/results/?uuid=${t.audio_url.split('/').at(-2)}`)).json()) as Record<string, unknown>;
    assert.equal(poll.status, 'completed');
    assert.equal(poll.result_url, t.audio_url);
    assert.equal((await fetch(t.audio_url, { headers: { Range: 'bytes=0-9' } })).status, 206);
  });

  it('a second turn with conversation_id stores four messages in order and keeps the id', async () => {
    const first = await turn(await postJson(app, { text: 'Hello there.', system_prompt: 'Be brief.' }));
    const second = await turn(await postJson(app, { text: 'How are you?', conversation_id: first.conversation_id }));
    assert.equal(second.conversation_id, first.conversation_id);
    assert.equal(second.ai_text, 'How are you?');
    assert.deepEqual(storedMessages(app, first.conversation_id), [
      { seq: 1, role: 'user', content: 'Hello there.' },
      { seq: 2, role: 'assistant', content: 'Hello there.' },
      { seq: 3, role: 'user', content: 'How are you?' },
      { seq: 4, role: 'assistant', content: 'How are you?' },
    ]);
  });

  it('a multipart audio turn transcribes the upload and the reply echoes the transcript', async () => {
    const audio = await spoken(app, 'Go forward ten meters.');
    // The untouched text box of an HTML form arrives as an empty field: still an audio turn.
    const t = await turn(await postForm(app, { voice: 'flite-slt', text: '' }, audio));
    // PocketSphinx hears flite's clear voice word for word; one word is enough to pin the path.
    assert.match(t.user_text, /forward/i);
    assert.equal(t.ai_text, t.user_text);
    const pcm = await decodeToPcm(new Uint8Array(await (await fetch(t.audio_url)).arrayBuffer()), DECODE_RATE_HZ);
    assert.ok(rms(pcm) > 300);
  });

  it('an unknown conversation_id is a 404 conversation_not_found', async () => {
    const res = await postJson(app, { text: 'Hi.', conversation_id: 'conv_000000000000000000000000' });
    assert.equal(res.status, 404);
    const body = (await res.json()) as Envelope;
    assert.equal(body.error.code, 'conversation_not_found');
    assert.equal(body.error.param, 'conversation_id');
  });

  const silence = (): Uint8Array => {
    const pcm = new Uint8Array(24_000 * 2);
    return Buffer.concat([wavHeader(pcm.length, 24_000), pcm]);
  };
  const badInputs: Array<{ name: string; send: () => Promise<Response>; status: number; code: string; param: string | null }> = [
    { name: 'neither text nor audio', send: () => postJson(app, { voice: 'flite-slt' }), status: 400, code: 'missing_required_parameter', param: 'text' },
    { name: 'neither, multipart', send: () => postForm(app, { voice: 'flite-slt' }), status: 400, code: 'missing_required_parameter', param: 'text' },
    { name: 'both text and audio', send: async () => postForm(app, { text: 'Hi.' }, silence()), status: 400, code: 'conflicting_parameters', param: 'text' },
    { name: 'an empty text field in a form is not given', send: () => postForm(app, { text: '' }), status: 400, code: 'missing_required_parameter', param: 'text' },
    { name: 'audio in a JSON body', send: () => postJson(app, { audio: 'UklGRg==' }), status: 400, code: 'invalid_type', param: 'audio' },
    { name: 'audio as a text field', send: () => postForm(app, { audio: 'not a file' }), status: 400, code: 'invalid_type', param: 'audio' },
    { name: 'empty text', send: () => postJson(app, { text: '' }), status: 400, code: 'empty_text', param: 'text' },
    { name: 'blank text', send: () => postJson(app, { text: '   ' }), status: 400, code: 'empty_text', param: 'text' },
    { name: 'text too long', send: () => postJson(app, { text: 'a'.repeat(app.config.maxTextChars + 1) }), status: 400, code: 'text_too_long', param: 'text' },
    { name: 'text not a string', send: () => postJson(app, { text: 5 }), status: 400, code: 'invalid_type', param: 'text' },
    { name: 'voice not a string', send: () => postJson(app, { text: 'Hi.', voice: 7 }), status: 400, code: 'invalid_type', param: 'voice' },
    { name: 'system_prompt not a string', send: () => postJson(app, { text: 'Hi.', system_prompt: ['x'] }), status: 400, code: 'invalid_type', param: 'system_prompt' },
    { name: 'conversation_id not a string', send: () => postJson(app, { text: 'Hi.', conversation_id: 12 }), status: 400, code: 'invalid_type', param: 'conversation_id' },
    { name: 'unknown voice', send: () => postJson(app, { text: 'Hi.', voice: 'nobody' }), status: 400, code: 'voice_not_found', param: 'voice' },
    { name: 'unknown tts_model', send: () => postJson(app, { text: 'Hi.', tts_model: 'nope' }), status: 400, code: 'model_not_found', param: 'tts_model' },
    { name: 'the spec default kokoro named but not installed', send: () => postJson(app, { text: 'Hi.', tts_model: 'kokoro', voice: 'af_bella' }), status: 424, code: 'model_not_installed', param: 'tts_model' },
    { name: 'an empty audio file', send: () => postForm(app, {}, new Uint8Array(0)), status: 422, code: 'unprocessable_audio', param: 'audio' },
    { name: 'audio with no speech', send: () => postForm(app, {}, silence()), status: 422, code: 'no_speech', param: 'audio' },
    {
      name: 'a body that is neither JSON nor multipart',
      send: () => fetch(`${app.url}/v1/voice-chat/`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<x/>' }),
      status: 415, code: 'unsupported_media_type', param: null,
    },
  ];
  it('bad input gets an error envelope naming the field, and stores nothing', async () => {
    const before = rowCount(app, 'conversation_messages');
    for (const c of badInputs) {
      const res = await c.send();
      const body = (await res.json()) as Envelope;
      assert.equal(res.status, c.status, `${c.name}: ${JSON.stringify(body)}`);
      assert.equal(body.error.code, c.code, c.name);
      assert.equal(body.error.param, c.param, c.name);
    }
    assert.equal(rowCount(app, 'conversation_messages'), before);
  });
});

describe('voice chat with an OpenAI-compatible LLM', () => {
  it('the LLM sees the system prompt and the previous turn, and the conversation survives a restart', async () => {
    const llm = await fakeLlm('Nice to meet you, Sam.');
    const dataDir = await tempDir();
    try {
      const first = await startTestApp({ dataDir, llmBaseUrl: llm.baseUrl });
      let conversationId: string;
      try {
        const t = await turn(await postJson(first, { text: 'My name is Sam.', system_prompt: 'You are a ship computer.' }));
        assert.equal(t.ai_text, 'Nice to meet you, Sam.');
        conversationId = t.conversation_id;
      } finally {
        await first.close();
      }
      const second = await startTestApp({ dataDir, llmBaseUrl: llm.baseUrl });
      try {
        const t = await turn(await postJson(second, { text: 'What is my name?', conversation_id: conversationId }));
        assert.equal(t.conversation_id, conversationId);
        assert.deepEqual(llm.received[1], [
          { role: 'system', content: 'You are a ship computer.' },
          { role: 'user', content: 'My name is Sam.' },
          { role: 'assistant', content: 'Nice to meet you, Sam.' },
          { role: 'user', content: 'What is my name?' },
        ]);
        assert.deepEqual(storedMessages(second, conversationId).map((m) => [m.seq, m.role]), [[1, 'user'], [2, 'assistant'], [3, 'user'], [4, 'assistant']]);

        // A prompt sent while continuing replaces the stored one for this turn and the next.
        await turn(await postJson(second, { text: 'Again?', conversation_id: conversationId, system_prompt: 'You are a pirate.' }));
        await turn(await postJson(second, { text: 'And now?', conversation_id: conversationId }));
        assert.deepEqual(llm.received[2]![0], { role: 'system', content: 'You are a pirate.' });
        assert.deepEqual(llm.received[3]![0], { role: 'system', content: 'You are a pirate.' });
        assert.equal(llm.received[3]!.length, 1 + 6 + 1);
      } finally {
        await second.close();
      }
    } finally {
      llm.close();
    }
  });

  it('a client that hangs up mid-turn aborts the LLM request and nothing is stored', async () => {
    const llm = await fakeLlm(null);
    const app = await startTestApp({ llmBaseUrl: llm.baseUrl });
    try {
      const client = new AbortController();
      const arrived = once(llm.requests, 'request') as Promise<[ServerResponse]>;
      const pending = postJson(app, { text: 'Are you thinking?' }, client.signal).catch((err: unknown) => err);
      const [upstream] = await arrived;
      const upstreamClosed = once(upstream, 'close');
      client.abort();
      assert.equal(((await pending) as Error).name, 'AbortError');
      // The server passed the hang-up on: the LLM connection is closed without our help.
      await upstreamClosed;
      assert.equal(rowCount(app, 'conversations'), 0);
      assert.equal(rowCount(app, 'conversation_messages'), 0);
    } finally {
      await app.close();
      llm.close();
    }
  });

  it('an unreachable LLM is a 502 envelope and nothing is stored', async () => {
    const app = await startTestApp({ llmBaseUrl: `http://127.0.0.1:${await closedPort()}` });
    try {
      const res = await postJson(app, { text: 'Anyone there?' });
      const body = (await res.json()) as Envelope;
      assert.equal(res.status, 502, JSON.stringify(body));
      assert.equal(body.error.code, 'llm_unavailable');
      assert.equal(rowCount(app, 'conversations'), 0);
      assert.equal(rowCount(app, 'conversation_messages'), 0);
      assert.equal((await app.context.jobs.countByStatus('completed')) + (await app.context.jobs.countByStatus('processing')), 0);
    } finally {
      await app.close();
    }
  });
});

describe('voice chat history for the LLM', () => {
  it('keeps the most recent whole turns within the budget, starting on a user message', () => {
    const turn = (n: number, size: number) => [
      { role: 'user', content: `u${n}`.padEnd(size, '.') },
      { role: 'assistant', content: `a${n}`.padEnd(size, '.') },
    ];
    const history = [...turn(1, 100), ...turn(2, 100), ...turn(3, 100)];
    assert.deepEqual(recentHistory(history, 10_000), history, 'short conversations go whole');
    // 350 characters fit the last three messages (a2, u3, a3), but a2 would open on a reply.
    assert.deepEqual(recentHistory(history, 350).map((m) => m.content.slice(0, 2)), ['u3', 'a3']);
    assert.deepEqual(recentHistory(history, 50), []);
  });
});
