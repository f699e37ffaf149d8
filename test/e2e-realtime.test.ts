/**
 * `/v1/realtime` end to end: the official `openai` realtime client over wss:// (TLS with a
 * certificate made at run time), audio streamed in 20 ms frames at real-time pace, the built-in
 * echo responder and a fake local LLM.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request as httpsRequest } from 'node:https';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import WebSocket from 'ws';
import { RealtimeAgent, RealtimeSession, tool } from '@openai/agents-realtime';
import { z } from 'zod';
import { spawn } from 'node:child_process';
import { ffmpegPath } from '../src/audio/ffmpeg-binaries.js';
import { encodeMulaw, decodeMulaw } from '../src/audio/g711.js';
import { oggOpusAudioPackets } from './helpers/ogg.js';
import { StreamResampler } from '../src/audio/resample.js';
import type { App } from '../src/app.js';
import { pcmFromBytes, plausibleSpeechSeconds, rms } from './helpers/audio.js';
import { startTestApp, tempDir } from './helpers/app.js';
import { decodeDeltas, EventLog, rawRealtime, streamRealtime } from './helpers/realtime.js';
import { selfSignedCert } from './helpers/tls.js';

const FRAME_MS = 20;
/** Audio after speech_started beyond this means barge-in failed (see the barge-in test). */
const BARGE_IN_SANITY_MS = 500;
const PCM_FRAME_BYTES = 24 * 2 * FRAME_MS; // 24 kHz s16le

async function speechPcm(app: App, text: string, ca?: Buffer): Promise<Buffer> {
  const body = JSON.stringify({ model: 'tts-1', voice: 'flite-rms', input: text, response_format: 'pcm' });
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = (ca ? httpsRequest : httpRequest)(`${app.url}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' }, ...(ca ? { ca } : {}) }, resolve);
    req.on('error', reject);
    req.end(body);
  });
  assert.equal(res.statusCode, 200);
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Where the voice in s16le 24 kHz `bytes` begins and ends, in ms (first/last 10 ms window above -40 dBFS). */
function voicedSpan(bytes: Buffer): { startMs: number; endMs: number } {
  const pcm = pcmFromBytes(bytes);
  const loud: number[] = [];
  for (let i = 0; i + 240 <= pcm.length; i += 240) if (rms(pcm.subarray(i, i + 240)) > 328) loud.push(i / 24);
  return { startMs: loud[0]!, endMs: loud.at(-1)! + 10 };
}

function silence(ms: number): Buffer {
  return Buffer.alloc(48 * ms);
}

/** The official client, connected over TLS to `app`. */
async function officialClient(app: App, ca: Buffer): Promise<{ rt: OpenAIRealtimeWS; log: EventLog }> {
  const client = new OpenAI({ apiKey: 'sk-tts-test', baseURL: `${app.url}/v1` });
  const rt = new OpenAIRealtimeWS({ model: 'gpt-realtime', options: { ca, agent: new Agent({ ca }) } as never }, client);
  const log = new EventLog();
  rt.on('event', (e) => log.push(e as never));
  rt.on('error', () => {}); // error events are asserted from the log
  await once(rt.socket, 'open');
  await log.waitFor('session.created');
  return { rt, log };
}

describe('/v1/realtime with the official openai client over wss://', () => {
  let app: App;
  let ca: Buffer;
  let utterance: Buffer;
  const said = 'Go forward ten meters.';

  before(async () => {
    const dir = await tempDir();
    const tls = selfSignedCert(dir);
    ca = readFileSync(tls.certFile);
    app = await startTestApp({ tls, dataDir: dir });
    utterance = await speechPcm(app, said, ca);
  });

  after(async () => {
    await app.close();
  });

  it('hears a turn by server VAD, transcribes it and answers with the echo in audio', async () => {
    const { rt, log } = await officialClient(app, ca);
    rt.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { transcription: { model: 'whisper-1' } } } } });
    await log.waitFor('session.updated');
    const audio = Buffer.concat([silence(400), utterance, silence(1500)]);
    await streamRealtime(audio, PCM_FRAME_BYTES, FRAME_MS, (f) => {
      rt.send({ type: 'input_audio_buffer.append', audio: f.toString('base64') });
    });
    const started = (await log.waitFor('input_audio_buffer.speech_started')).event;
    const stopped = (await log.waitFor('input_audio_buffer.speech_stopped')).event;
    const voiced = voicedSpan(utterance);
    const speechEndMs = 400 + voiced.endMs;
    // Onset within a VAD frame or two (minus the 300 ms prefix padding); end near the real end.
    assert.ok(Math.abs((started.audio_start_ms as number) - (400 + voiced.startMs - 300)) <= 200, `audio_start_ms ${started.audio_start_ms} vs voice at ${400 + voiced.startMs}`);
    assert.ok(Math.abs((stopped.audio_end_ms as number) - speechEndMs) <= 300, `audio_end_ms ${stopped.audio_end_ms} vs ${speechEndMs}`);
    assert.equal(started.item_id, stopped.item_id);
    const committed = (await log.waitFor('input_audio_buffer.committed')).event;
    assert.equal(committed.item_id, started.item_id);
    const transcription = (await log.waitFor('conversation.item.input_audio_transcription.completed')).event;
    assert.equal(transcription.item_id, started.item_id);
    const userText = transcription.transcript as string;
    assert.match(userText, /forward/);

    const done = (await log.waitFor('response.done', { timeoutMs: 30_000 })).event as unknown as { response: { status: string; usage: { total_tokens: number }; output: Array<{ role: string }> } };
    assert.equal(done.response.status, 'completed');
    assert.ok(done.response.usage.total_tokens > 0);
    assert.equal(done.response.output[0]!.role, 'assistant');
    const transcriptDone = log.of('response.output_audio_transcript.done')[0]!;
    assert.equal(transcriptDone.transcript, userText, 'the echo says back what was heard');
    assert.equal(log.of('response.output_audio_transcript.delta').map((e) => e.delta).join(''), userText);

    const pcm = pcmFromBytes(decodeDeltas(log.of('response.output_audio.delta')));
    const seconds = pcm.length / 24000;
    const bounds = plausibleSpeechSeconds(userText.length);
    assert.ok(seconds >= bounds.min && seconds <= bounds.max, `reply ${seconds} s for ${userText.length} chars`);
    assert.ok(rms(pcm) > 300, `reply rms ${rms(pcm)}`);

    // The order of events is the protocol's. (How soon the reply starts is bench/realtime.ts's
    // question: a wall-clock bound here failed on a loaded CI machine, 936 ms late.)
    const types = log.events.map((e) => e.event.type);
    const order = ['input_audio_buffer.speech_started', 'input_audio_buffer.speech_stopped', 'input_audio_buffer.committed', 'conversation.item.input_audio_transcription.completed', 'response.created', 'response.output_item.added', 'response.content_part.added', 'response.output_audio_transcript.delta', 'response.output_audio.delta', 'response.output_audio.done', 'response.output_audio_transcript.done', 'response.content_part.done', 'response.output_item.done', 'response.done'];
    let last = -1;
    for (const t of order) {
      const i = types.indexOf(t, last + 1);
      assert.ok(i > last, `${t} out of order in ${types.join(', ')}`);
      last = i;
    }
    rt.close();
  });

  it('barge-in: user speech during a reply stops its audio at once, truncates it, and the next turn runs cleanly', async () => {
    const { rt, log } = await officialClient(app, ca);
    const long = 'This is the first sentence of a long answer. Here is a second sentence that goes on for a while. A third sentence keeps the voice busy. And a fourth one follows it. The fifth sentence is the last.';
    rt.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: long }] } });
    rt.send({ type: 'response.create' });
    const firstDelta = await log.waitFor('response.output_audio.delta');
    // Let the voice run a while, then talk over it.
    await new Promise((r) => setTimeout(r, 1500));
    const interrupt = streamRealtime(Buffer.concat([utterance, silence(1200)]), PCM_FRAME_BYTES, FRAME_MS, (f) => rt.send({ type: 'input_audio_buffer.append', audio: f.toString('base64') }));
    const started = await log.waitFor('input_audio_buffer.speech_started', { timeoutMs: 10_000 });
    const firstResponseId = firstDelta.event.response_id;
    const cancelled = (await log.waitFor('response.done', { pred: (e) => (e.response as { id: string }).id === firstResponseId })).event as unknown as { response: { status: string; status_details: { reason: string } } };
    assert.equal(cancelled.response.status, 'cancelled');
    assert.equal(cancelled.response.status_details.reason, 'turn_detected');
    // A sanity bound, not the figure: without barge-in the paced reply would go on sending for
    // seconds, so any audio a few hundred ms after speech_started means it did not stop. How fast
    // it stops is measured in bench/realtime.ts, not asserted on a loaded test machine.
    const late = log.events.filter((e) => e.event.type === 'response.output_audio.delta' && e.event.response_id === firstResponseId && e.at > started.at + BARGE_IN_SANITY_MS);
    assert.equal(late.length, 0, `${late.length} audio deltas more than ${BARGE_IN_SANITY_MS} ms after speech_started`);
    const truncated = (await log.waitFor('conversation.item.truncated')).event;
    assert.equal(truncated.item_id, firstDelta.event.item_id);
    const heardMs = truncated.audio_end_ms as number;
    assert.ok(heardMs > 1000 && heardMs < 4000, `audio_end_ms ${heardMs}`);
    const itemDone = log.of('response.output_item.done').find((e) => e.response_id === firstResponseId)!;
    const item = itemDone.item as { status: string; content: Array<{ transcript: string }> };
    assert.equal(item.status, 'incomplete');
    assert.ok(long.startsWith(item.content[0]!.transcript.slice(0, 10)) && item.content[0]!.transcript.length < long.length, `truncated transcript: ${item.content[0]!.transcript}`);

    await interrupt;
    // The next turn: transcribed and answered to completion.
    const next = (await log.waitFor('response.done', { pred: (e) => (e.response as { id: string }).id !== firstResponseId, timeoutMs: 30_000 })).event as unknown as { response: { status: string } };
    assert.equal(next.response.status, 'completed');
    const transcript = log.of('conversation.item.input_audio_transcription.completed').at(-1)!.transcript as string;
    assert.match(transcript, /forward/);
    rt.close();
  });
});

/**
 * A fake OpenAI-compatible LLM: streams `tokens` with `delayMs` (a number, or one per token
 * index) between them, notes when the last went out, and resolves `hungUp` when the server
 * closes a response before it finished.
 */
type LlmPlan = {
  tokens?: string[];
  toolCall?: { name: string; arguments: string };
  delayMs?: number | ((i: number) => number);
  /** The last token waits for this (or HOLD_LAST_TOKEN_MS): "before the last token" then holds however loaded the machine is. */
  holdLastUntil?: Promise<void>;
};
/** How long a held last token waits at most: a server that only speaks after the whole reply shows up as audio after it. */
const HOLD_LAST_TOKEN_MS = 20_000;
type LlmBody = { messages: Array<{ role: string; content: string | null }>; tools?: unknown[]; max_tokens?: number };
function fakeLlm(script: (body: LlmBody, n: number) => LlmPlan): Promise<{ server: Server; url: string; lastTokenAt: number[]; bodies: LlmBody[]; hungUp: Promise<void> }> {
  const lastTokenAt: number[] = [];
  const bodies: LlmBody[] = [];
  let hangUp!: () => void;
  const hungUp = new Promise<void>((r) => (hangUp = r));
  const server = createServer(async (req: IncomingMessage, res) => {
    let raw = '';
    for await (const c of req) raw += c;
    const body = JSON.parse(raw);
    bodies.push(body);
    const plan = script(body, bodies.length);
    let finished = false;
    res.on('close', () => {
      if (!finished) hangUp();
    });
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunk = (delta: object, finish: string | null = null): string => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    if (plan.toolCall) {
      res.write(chunk({ role: 'assistant', tool_calls: [{ index: 0, id: 'call_abc', type: 'function', function: { name: plan.toolCall.name, arguments: '' } }] }));
      res.write(chunk({ tool_calls: [{ index: 0, function: { arguments: plan.toolCall.arguments } }] }));
      res.write(chunk({}, 'tool_calls'));
    }
    const tokens = plan.tokens ?? [];
    for (const [i, t] of tokens.entries()) {
      const delay = typeof plan.delayMs === 'function' ? plan.delayMs(i) : (plan.delayMs ?? 0);
      await new Promise((r) => setTimeout(r, delay));
      if (plan.holdLastUntil && i === tokens.length - 1) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([plan.holdLastUntil, new Promise((r) => (timer = setTimeout(r, HOLD_LAST_TOKEN_MS)))]);
        clearTimeout(timer);
      }
      if (res.destroyed) return;
      res.write(chunk({ content: t }));
    }
    lastTokenAt.push(performance.now());
    if (!plan.toolCall) res.write(chunk({}, 'stop'));
    finished = true;
    res.end('data: [DONE]\n\n');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, lastTokenAt, bodies, hungUp })));
}

describe('/v1/realtime with an LLM', () => {
  it('speaks the first sentence before the LLM has sent its last token, and surfaces tool calls as function_call items', async () => {
    const reply = 'Sure thing. I can help with that request, and here is a rather long second sentence to finish.';
    let audioSeen!: () => void;
    const seen = new Promise<void>((r) => (audioSeen = r));
    const llm = await fakeLlm((body, n) => {
      if (n === 1) return { tokens: reply.split(/(?<= )/), delayMs: 60, holdLastUntil: seen };
      if (n === 2) return { toolCall: { name: 'get_weather', arguments: '{"city":"Cardiff"}' } };
      return { tokens: ['It is raining in Cardiff.'] };
    });
    const app = await startTestApp({ llmBaseUrl: llm.url, llmModel: 'fake' });
    try {
      const { send, log, ws } = await rawRealtime(`${app.url.replace('http', 'ws')}/v1/realtime?model=x`);
      send({ type: 'session.update', session: { instructions: 'Be brief.', max_output_tokens: 200, tools: [{ type: 'function', name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } }] } });
      await log.waitFor('session.updated');
      send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Can you help?' }] } });
      send({ type: 'response.create' });
      const firstAudio = await log.waitFor('response.output_audio.delta');
      audioSeen();
      await log.waitFor('response.done');
      assert.ok(firstAudio.at < llm.lastTokenAt[0]!, `first audio ${(firstAudio.at - llm.lastTokenAt[0]!).toFixed(0)} ms after the last token`);
      assert.equal((llm.bodies[0]!.messages[0] as { role: string; content: string }).content, 'Be brief.');
      assert.equal((llm.bodies[0]!.tools as Array<{ function: { name: string } }>)[0]!.function.name, 'get_weather');
      assert.equal(llm.bodies[0]!.max_tokens, 200, 'the session budget reaches the LLM');
      assert.equal(log.of('response.done')[0]!.response.max_output_tokens, 200);

      // Turn 2: the LLM calls a tool; the client runs it and asks again.
      const mark = log.events.length;
      send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Weather in Cardiff?' }] } });
      send({ type: 'response.create' });
      const args = (await log.waitFor('response.function_call_arguments.done', { from: mark })).event;
      assert.equal(args.name, 'get_weather');
      assert.equal(args.arguments, '{"city":"Cardiff"}');
      const done = (await log.waitFor('response.done', { from: mark })).event as unknown as { response: { output: Array<{ type: string; call_id: string }> } };
      assert.equal(done.response.output[0]!.type, 'function_call');
      const callId = done.response.output[0]!.call_id;
      send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: callId, output: '{"weather":"rain"}' } });
      send({ type: 'response.create' });
      await log.waitFor('response.done', { from: log.events.length });
      const third = llm.bodies[2]!.messages as Array<{ role: string; tool_call_id?: string; tool_calls?: unknown[] }>;
      assert.ok(third.some((m) => m.role === 'assistant' && m.tool_calls), 'history carries the call');
      assert.ok(third.some((m) => m.role === 'tool' && m.tool_call_id === callId), 'and its output');
      ws.close();
    } finally {
      await app.close();
      llm.server.close();
    }
  });

  it('LLM down: an error event and a failed response, and the session carries on', async () => {
    const app = await startTestApp({ llmBaseUrl: 'http://127.0.0.1:9/v1', llmModel: 'fake' });
    try {
      const { send, log, ws } = await rawRealtime(`${app.url.replace('http', 'ws')}/v1/realtime?model=x`);
      send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello?' }] } });
      send({ type: 'response.create' });
      const error = (await log.waitFor('error')).event as unknown as { error: { code: string } };
      assert.equal(error.error.code, 'llm_unavailable');
      const done = (await log.waitFor('response.done')).event as unknown as { response: { status: string } };
      assert.equal(done.response.status, 'failed');
      send({ type: 'session.update', session: { instructions: 'still here' } });
      const updated = (await log.waitFor('session.updated')).event as unknown as { session: { instructions: string } };
      assert.equal(updated.session.instructions, 'still here');
      assert.equal(ws.readyState, WebSocket.OPEN);
      ws.close();
    } finally {
      await app.close();
    }
  });
});

describe('/v1/realtime with an LLM: limits and cancellation', () => {
  it('sends the LLM only the recent whole turns within the history budget', async () => {
    const llm = await fakeLlm(() => ({ tokens: ['ok'] }));
    const app = await startTestApp({ llmBaseUrl: llm.url, llmModel: 'fake' });
    try {
      const { send, log, ws } = await rawRealtime(`${app.url.replace('http', 'ws')}/v1/realtime?model=x`);
      send({ type: 'session.update', session: { instructions: 'Be brief.', output_modalities: ['text'] } });
      // 24 items of 3000 characters: 72k, over twice the 32k budget.
      for (let i = 0; i < 12; i++) {
        send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: `user ${i} `.padEnd(3000, 'u') }] } });
        send({ type: 'conversation.item.create', item: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: `assistant ${i} `.padEnd(3000, 'a') }] } });
      }
      send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'And now?' }] } });
      send({ type: 'response.create' });
      await log.waitFor('response.done');
      const messages = llm.bodies[0]!.messages;
      assert.deepEqual(messages[0], { role: 'system', content: 'Be brief.' });
      const history = messages.slice(1);
      const chars = history.reduce((n, m) => n + (m.content ?? '').length, 0);
      assert.ok(chars <= 32_000, `${chars} characters of history`);
      assert.ok(history.length >= 10 && history.length < 25, `${history.length} messages`);
      assert.equal(history[0]!.role, 'user', 'starts on a whole turn');
      assert.deepEqual(history.at(-1), { role: 'user', content: 'And now?' });
      ws.close();
    } finally {
      await app.close();
      llm.server.close();
    }
  });

  it('a disconnect mid-reply closes the LLM stream and stops the synthesis', async () => {
    // Two sentences at once, so the second synthesizes ahead while the first is sent; then a
    // trickle that would take 30 s. Its first word comes at once too: it settles the second
    // sentence's end, releasing it before the first audio however fast that comes.
    const tokens = ['The first sentence is right here. ', 'A second sentence follows it closely behind. ', 'And ', ...Array<string>(300).fill('more ')];
    const llm = await fakeLlm(() => ({ tokens, delayMs: (i) => (i < 3 ? 0 : 100) }));
    const app = await startTestApp({ llmBaseUrl: llm.url, llmModel: 'fake' });
    try {
      const { send, log, ws } = await rawRealtime(`${app.url.replace('http', 'ws')}/v1/realtime?model=x`);
      send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Talk for a while.' }] } });
      send({ type: 'response.create' });
      const before = app.context.tts.stats();
      await log.waitFor('response.output_audio.delta');
      ws.terminate();
      // The server hung up on the LLM, long before its reply was done.
      await llm.hungUp;
      assert.equal(llm.lastTokenAt.length, 0, 'the LLM never sent its last token');
      // And what was synthesizing for the reply (the second sentence, started ahead) was cancelled.
      const after = app.context.tts.stats();
      const stopped = after.cancelledWhileRunning + after.droppedWhileQueued - (before.cancelledWhileRunning + before.droppedWhileQueued);
      assert.ok(stopped > 0, `no synthesis cancelled: ${JSON.stringify(after)}`);
      assert.equal(app.context.live.openSessions, 0);
      assert.equal(app.context.tts.queueSize(), 0);
    } finally {
      await app.close();
      llm.server.close();
    }
  });
});

describe('/v1/realtime with @openai/agents-realtime', () => {
  it('an agent with a tool connects unchanged: the LLM calls the tool, the agent runs it, and the answer is spoken', async () => {
    const llm = await fakeLlm((body, n) => (n === 1 ? { toolCall: { name: 'get_weather', arguments: '{"city":"Cardiff"}' } } : { tokens: ['It is ', 'raining ', 'in Cardiff.'] }));
    const app = await startTestApp({ llmBaseUrl: llm.url, llmModel: 'fake' });
    try {
      const calls: string[] = [];
      const getWeather = tool({
        name: 'get_weather',
        description: 'Weather for a city',
        parameters: z.object({ city: z.string() }),
        execute: async ({ city }) => {
          calls.push(city);
          return `rain in ${city}`;
        },
      });
      const agent = new RealtimeAgent({ name: 'Assistant', instructions: 'Be brief.', tools: [getWeather] });
      const session = new RealtimeSession(agent, { transport: 'websocket', model: 'gpt-realtime' });
      let audioBytes = 0;
      session.on('audio', (e) => {
        audioBytes += e.data.byteLength;
      });
      const errors: unknown[] = [];
      session.on('error', (e) => errors.push(e.error));
      await session.connect({ apiKey: 'sk-tts-test', url: `${app.url.replace('http', 'ws')}/v1/realtime?model=gpt-realtime` });
      session.sendMessage('What is the weather in Cardiff?');
      const deadline = Date.now() + 20_000;
      const spoken = (): string | undefined => {
        const last = session.history.at(-1) as { role?: string; status?: string; content?: Array<{ transcript?: string }> } | undefined;
        return last?.role === 'assistant' && last.status === 'completed' ? last.content?.[0]?.transcript : undefined;
      };
      while (!spoken() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(errors, []);
      assert.deepEqual(calls, ['Cardiff']);
      assert.equal(spoken(), 'It is raining in Cardiff.');
      assert.ok(audioBytes > 24000, `${audioBytes} bytes of audio`);
      const second = llm.bodies[1]!.messages as Array<{ role: string; content: string }>;
      assert.equal(second.find((m) => m.role === 'tool')?.content, 'rain in Cardiff');
      session.close();
    } finally {
      await app.close();
      llm.server.close();
    }
  });
});

describe('/v1/realtime protocol details', () => {
  let app: App;
  let utterance: Buffer;
  let wsUrl: string;

  before(async () => {
    app = await startTestApp({ liveIdleTimeoutSeconds: 2 });
    wsUrl = `${app.url.replace('http', 'ws')}/v1/realtime?model=x`;
    utterance = await speechPcm(app, 'Go forward ten meters.');
  });

  after(async () => {
    await app.close();
  });

  it('answers bad messages with error events and keeps the socket open', async () => {
    const { send, log, ws } = await rawRealtime(wsUrl);
    const cases: Array<[string | object, string, string | null]> = [
      ['{not json', 'invalid_json', null],
      [{ no: 'type' }, 'missing_required_parameter', 'type'],
      [{ type: 'nonsense.event', event_id: 'ev1' }, 'unknown_event', 'type'],
      [{ type: 'session.update', session: { audio: { input: { format: { type: 'audio/mp3' } } } } }, 'invalid_value', 'session.audio.input.format'],
      [{ type: 'session.update', session: { audio: { input: { turn_detection: { threshold: 2 } } } } }, 'invalid_value', 'session.audio.input.turn_detection.threshold'],
      [{ type: 'session.update', session: { voice: 'no-such-voice' } }, 'voice_not_found', 'session.voice'],
      [{ type: 'session.update', session: { voice: 'af_bella' } }, 'model_not_installed', 'session.voice'],
      [{ type: 'input_audio_buffer.append', audio: '***' }, 'invalid_value', 'audio'],
      [{ type: 'input_audio_buffer.commit' }, 'input_audio_buffer_commit_empty', null],
      [{ type: 'response.cancel' }, 'response_cancel_not_active', 'response_id'],
      [{ type: 'conversation.item.delete', item_id: 'item_missing' }, 'item_not_found', 'item_id'],
      [{ type: 'conversation.item.create', item: { type: 'message', role: 'robot', content: [] } }, 'invalid_value', 'item.role'],
    ];
    for (const [msg, code, param] of cases) {
      const mark = log.events.length;
      ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
      const err = (await log.waitFor('error', { from: mark })).event as unknown as { error: { code: string; param: string | null; type: string; event_id: string | null } };
      assert.equal(err.error.code, code, JSON.stringify(msg));
      assert.equal(err.error.param, param, JSON.stringify(msg));
      if (typeof msg === 'object' && 'event_id' in msg) assert.equal(err.error.event_id, 'ev1');
    }
    send({ type: 'session.update', session: { instructions: 'ok' } });
    await log.waitFor('session.updated');
    assert.equal(ws.readyState, WebSocket.OPEN);
    ws.close();
  });

  it('manual turns (turn_detection null): commit transcribes, no reply until response.create; text-only responses', async () => {
    const { send, log, ws } = await rawRealtime(wsUrl);
    send({ type: 'session.update', session: { audio: { input: { turn_detection: null } }, output_modalities: ['text'] } });
    await log.waitFor('session.updated');
    // Faster than real time is fine without VAD.
    for (let i = 0; i < utterance.length; i += 4800) send({ type: 'input_audio_buffer.append', audio: utterance.subarray(i, i + 4800).toString('base64') });
    send({ type: 'input_audio_buffer.commit' });
    const transcript = (await log.waitFor('conversation.item.input_audio_transcription.completed')).event.transcript as string;
    assert.match(transcript, /forward/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(log.of('response.created').length, 0);
    assert.equal(log.of('input_audio_buffer.speech_started').length, 0);
    send({ type: 'response.create' });
    const done = (await log.waitFor('response.done')).event as unknown as { response: { status: string } };
    assert.equal(done.response.status, 'completed');
    assert.equal(log.of('response.output_audio.delta').length, 0);
    assert.equal(log.of('response.output_text.delta').map((e) => e.delta).join(''), transcript);
    ws.close();
  });

  it('transcribes audio sent inside a conversation item before answering it', async () => {
    const { send, log, ws } = await rawRealtime(wsUrl);
    send({ type: 'session.update', session: { audio: { input: { turn_detection: null } }, output_modalities: ['text'] } });
    send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_audio', audio: utterance.toString('base64') }] } });
    send({ type: 'response.create' });
    const transcript = (await log.waitFor('conversation.item.input_audio_transcription.completed')).event.transcript as string;
    assert.match(transcript, /forward/);
    await log.waitFor('response.done');
    assert.equal(log.of('response.output_text.done')[0]!.text, transcript);
    ws.close();
  });

  it('speaks G.711 mu-law both ways', async () => {
    const { send, log, ws } = await rawRealtime(wsUrl);
    send({ type: 'session.update', session: { audio: { input: { format: { type: 'audio/pcmu' } }, output: { format: { type: 'audio/pcmu' } } } } });
    await log.waitFor('session.updated');
    const narrow = new StreamResampler(24000, 8000);
    const pcm8k = narrow.process(pcmFromBytes(Buffer.concat([silence(300), utterance, silence(1000)])));
    const mulaw = Buffer.from(encodeMulaw(pcm8k));
    for (let i = 0; i < mulaw.length; i += 1600) send({ type: 'input_audio_buffer.append', audio: mulaw.subarray(i, i + 1600).toString('base64') });
    const stopped = (await log.waitFor('input_audio_buffer.speech_stopped', { timeoutMs: 20_000 })).event;
    assert.ok(Math.abs(stopped.audio_end_ms - (300 + voicedSpan(utterance).endMs)) <= 300, `audio_end_ms ${stopped.audio_end_ms}`);
    // The built-in recognizer's model is wideband; telephone audio is recognized poorly, so only
    // that something was heard is checked here.
    const transcript = (await log.waitFor('conversation.item.input_audio_transcription.completed', { timeoutMs: 20_000 })).event.transcript as string;
    assert.ok(transcript.length > 0);
    await log.waitFor('response.done', { timeoutMs: 20_000 });
    const out = decodeMulaw(decodeDeltas(log.of('response.output_audio.delta')));
    const seconds = out.length / 8000;
    const bounds = plausibleSpeechSeconds(transcript.length);
    assert.ok(seconds >= bounds.min && seconds <= bounds.max, `reply ${seconds} s`);
    assert.ok(rms(out) > 300);
    ws.close();
  });

  it('with interrupt_response off, speech during a reply lets it finish, then answers the new turn', async () => {
    const { send, log, ws } = await rawRealtime(wsUrl);
    send({ type: 'session.update', session: { audio: { input: { turn_detection: { type: 'server_vad', interrupt_response: false } } } } });
    await log.waitFor('session.updated');
    send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'First sentence of the reply. And a second one.' }] } });
    send({ type: 'response.create' });
    await log.waitFor('response.output_audio.delta');
    const audio = Buffer.concat([utterance, silence(1000)]);
    for (let i = 0; i < audio.length; i += 4800) send({ type: 'input_audio_buffer.append', audio: audio.subarray(i, i + 4800).toString('base64') });
    await log.waitFor('input_audio_buffer.speech_stopped');
    const first = (await log.waitFor('response.done')).event;
    assert.equal(first.response.status, 'completed');
    const second = (await log.waitFor('response.done', { pred: (e) => e.response.id !== first.response.id, timeoutMs: 20_000 })).event;
    assert.equal(second.response.status, 'completed');
    assert.match(log.of('response.output_audio_transcript.done').at(-1)!.transcript, /forward/);
    ws.close();
  });

  it('keeps VAD times on the session clock when turn detection changes mid-stream', async () => {
    const { send, log, ws } = await rawRealtime(wsUrl);
    const appendAll = (bytes: Buffer): void => {
      for (let i = 0; i < bytes.length; i += 4800) send({ type: 'input_audio_buffer.append', audio: bytes.subarray(i, i + 4800).toString('base64') });
    };
    appendAll(silence(2000));
    send({ type: 'session.update', session: { audio: { input: { turn_detection: { type: 'server_vad', silence_duration_ms: 600 } } } } });
    await log.waitFor('session.updated');
    appendAll(Buffer.concat([utterance, silence(1000)]));
    const started = (await log.waitFor('input_audio_buffer.speech_started')).event;
    const voiced = voicedSpan(utterance);
    assert.ok(Math.abs(started.audio_start_ms - (2000 + voiced.startMs - 300)) <= 200, `audio_start_ms ${started.audio_start_ms}`);
    const transcript = (await log.waitFor('conversation.item.input_audio_transcription.completed')).event.transcript as string;
    assert.match(transcript, /forward/);
    ws.close();
  });

  it('takes raw Opus packets as binary frames (input format audio/opus)', async () => {
    const { send, log, ws } = await rawRealtime(wsUrl);
    send({ type: 'session.update', session: { audio: { input: { format: { type: 'audio/opus' } } } } });
    await log.waitFor('session.updated');
    const ogg = await new Promise<Buffer>((resolve, reject) => {
      const ff = spawn(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-f', 's16le', '-ar', '24000', '-ac', '1', '-i', '-', '-c:a', 'libopus', '-b:a', '32k', '-frame_duration', '20', '-f', 'ogg', '-']);
      const out: Buffer[] = [];
      ff.stdout.on('data', (d: Buffer) => out.push(d));
      ff.on('error', reject);
      ff.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`ffmpeg exited ${code}`))));
      ff.stdin.end(Buffer.concat([silence(300), utterance, silence(1000)]));
    });
    const packets = oggOpusAudioPackets(ogg);
    assert.ok(packets.length > 50);
    for (const p of packets) ws.send(p);
    const transcript = (await log.waitFor('conversation.item.input_audio_transcription.completed', { timeoutMs: 20_000 })).event.transcript as string;
    assert.match(transcript, /forward/);
    // A corrupt packet is an error event; the session goes on.
    ws.send(Buffer.from([0xff, 0xff, 0xff]));
    const err = (await log.waitFor('error')).event;
    assert.equal(err.error.code, 'invalid_audio');
    ws.close();
  });

  it('speaks the beta dialect to clients that ask for it', async () => {
    const { send, log, ws } = await rawRealtime(wsUrl, { 'OpenAI-Beta': 'realtime=v1' });
    const created = log.of('session.created')[0] ?? (await log.waitFor('session.created')).event;
    const session = created.session as { input_audio_format: string; modalities: string[] };
    assert.equal(session.input_audio_format, 'pcm16');
    assert.deepEqual(session.modalities, ['text', 'audio']);
    send({ type: 'session.update', session: { input_audio_format: 'g711_alaw', turn_detection: { type: 'server_vad', silence_duration_ms: 700 } } });
    const updated = (await log.waitFor('session.updated')).event.session as { input_audio_format: string; turn_detection: { silence_duration_ms: number } };
    assert.equal(updated.input_audio_format, 'g711_alaw');
    assert.equal(updated.turn_detection.silence_duration_ms, 700);
    send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello there.' }] } });
    await log.waitFor('conversation.item.created');
    send({ type: 'response.create', response: { modalities: ['text', 'audio'] } });
    await log.waitFor('response.done');
    assert.ok(log.of('response.audio.delta').length > 0);
    assert.equal(log.of('response.audio_transcript.done')[0]!.transcript, 'Hello there.');
    assert.equal(log.of('response.output_audio.delta').length, 0);
    assert.equal(log.of('conversation.item.done').length, 0);
    ws.close();
  });

  it('closes an idle session with an error event and frees it', async () => {
    const { log, ws } = await rawRealtime(wsUrl);
    const [code] = (await once(ws, 'close')) as [number];
    assert.equal(code, 1000);
    assert.equal((log.of('error')[0]!.error as { code: string }).code, 'session_idle_timeout');
    assert.equal(app.context.live.openSessions, 0);
  });

  it('echoes max_output_tokens and stops the reply at it, as an incomplete response', async () => {
    const { send, log, ws } = await rawRealtime(wsUrl);
    send({ type: 'session.update', session: { max_output_tokens: 3, output_modalities: ['text'] } });
    const updated = (await log.waitFor('session.updated')).event;
    assert.equal(updated.session.max_output_tokens, 3);
    send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'one two three four five' }] } });
    send({ type: 'response.create' });
    const created = (await log.waitFor('response.created')).event;
    assert.equal(created.response.max_output_tokens, 3);
    const done = (await log.waitFor('response.done')).event;
    assert.equal(done.response.max_output_tokens, 3);
    assert.equal(done.response.status, 'incomplete');
    assert.deepEqual(done.response.status_details, { type: 'incomplete', reason: 'max_output_tokens' });
    assert.equal(log.of('response.output_text.done')[0]!.text, 'one two three ');
    // A response's own budget wins over the session's.
    const mark = log.events.length;
    send({ type: 'response.create', response: { max_output_tokens: 'inf' } });
    const second = (await log.waitFor('response.done', { from: mark })).event;
    assert.equal(second.response.max_output_tokens, 'inf');
    assert.equal(second.response.status, 'completed');
    assert.equal(log.of('response.output_text.done')[1]!.text, 'one two three four five');
    ws.close();
  });
});

describe('/v1/realtime bounded input', () => {
  let app: App;
  let utterance: Buffer;
  let wsUrl: string;
  const MAX_TURN_S = 1;
  // Above the max-turn test's whole input (3 s, 144 KB), far below the flood (40 s, 1.9 MB).
  const MAX_PENDING_BYTES = 256 * 1024;

  before(async () => {
    app = await startTestApp({ liveMaxTurnSeconds: MAX_TURN_S, liveMaxPendingInputBytes: MAX_PENDING_BYTES });
    wsUrl = `${app.url.replace('http', 'ws')}/v1/realtime?model=x`;
    utterance = await speechPcm(app, 'Go forward ten meters.');
  });

  after(async () => {
    await app.close();
  });

  it('commits a turn that reaches its maximum length, tells the client, and speech that goes on opens a new turn', async () => {
    const { send, log, ws } = await rawRealtime(wsUrl);
    const audio = Buffer.concat([silence(300), utterance, silence(1000)]);
    // 100 ms appends, so a turn overshoots its limit by at most one of them.
    for (let i = 0; i < audio.length; i += 4800) send({ type: 'input_audio_buffer.append', audio: audio.subarray(i, i + 4800).toString('base64') });
    const started = (await log.waitFor('input_audio_buffer.speech_started')).event;
    const limit = (await log.waitFor('input_audio_buffer.turn_limit_reached')).event;
    assert.equal(limit.item_id, started.item_id);
    assert.equal(limit.max_turn_ms, MAX_TURN_S * 1000);
    const turnMs = limit.audio_end_ms - started.audio_start_ms;
    assert.ok(turnMs >= 1000 && turnMs <= 1150, `turn cut after ${turnMs} ms`);
    const committed = (await log.waitFor('input_audio_buffer.committed')).event;
    assert.equal(committed.item_id, limit.item_id);
    const transcribed = (await log.waitFor('conversation.item.input_audio_transcription.completed', { pred: (e) => e.item_id === limit.item_id })).event;
    assert.ok((transcribed.transcript as string).length > 0);
    const next = (await log.waitFor('input_audio_buffer.speech_started', { pred: (e) => e.item_id !== limit.item_id })).event;
    assert.ok(next.audio_start_ms >= limit.audio_end_ms - 300, 'the new turn starts where the cut one ended (less its padding)');
    ws.close();
  });

  it('refuses appends beyond the pending-input bound with an error event, and the session goes on', async () => {
    const { send, log, ws } = await rawRealtime(wsUrl);
    await log.waitFor('session.created');
    // 40 appends of 1 s (48 KB) at once: far more than the VAD gets through before the next arrives.
    const second = silence(1000).toString('base64');
    for (let i = 0; i < 40; i++) send({ type: 'input_audio_buffer.append', audio: second, event_id: `a${i}` });
    // Queued after every accepted append, so its answer comes after they have all been processed.
    send({ type: 'input_audio_buffer.clear' });
    await log.waitFor('input_audio_buffer.cleared');
    const refused = log.of('error').filter((e) => e.error.code === 'input_audio_backlog_full');
    assert.ok(refused.length > 0, 'the flood was bounded');
    assert.ok(refused.length < 40, 'appends within the bound were taken');
    assert.equal(refused[0]!.error.type, 'rate_limit_error');
    assert.match(refused[0]!.error.event_id, /^a\d+$/);
    send({ type: 'session.update', session: { instructions: 'still here' } });
    await log.waitFor('session.updated');
    assert.equal(ws.readyState, WebSocket.OPEN);
    ws.close();
  });
});
