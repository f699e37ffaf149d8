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
    const sendStart = performance.now();
    await streamRealtime(audio, PCM_FRAME_BYTES, FRAME_MS, (f) => rt.send({ type: 'input_audio_buffer.append', audio: f.toString('base64') }));
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

    // The reply's first audio left well before the client finished sending (the trailing silence
    // window is 500 ms of the 1500 sent), and the order of events is the protocol's.
    const types = log.events.map((e) => e.event.type);
    const order = ['input_audio_buffer.speech_started', 'input_audio_buffer.speech_stopped', 'input_audio_buffer.committed', 'conversation.item.input_audio_transcription.completed', 'response.created', 'response.output_item.added', 'response.content_part.added', 'response.output_audio_transcript.delta', 'response.output_audio.delta', 'response.output_audio.done', 'response.output_audio_transcript.done', 'response.content_part.done', 'response.output_item.done', 'response.done'];
    let last = -1;
    for (const t of order) {
      const i = types.indexOf(t, last + 1);
      assert.ok(i > last, `${t} out of order in ${types.join(', ')}`);
      last = i;
    }
    assert.ok(log.events[0]!.at < sendStart + 1000);
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
    const late = log.events.filter((e) => e.event.type === 'response.output_audio.delta' && e.event.response_id === firstResponseId && e.at > started.at + 100);
    assert.equal(late.length, 0, `${late.length} audio deltas more than 100 ms after speech_started`);
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

/** A fake OpenAI-compatible LLM: streams `tokens` with `delayMs` between them and notes when the last went out. */
function fakeLlm(script: (body: { messages: unknown[]; tools?: unknown[] }, n: number) => { tokens?: string[]; toolCall?: { name: string; arguments: string }; delayMs?: number }): Promise<{ server: Server; url: string; lastTokenAt: number[]; bodies: Array<{ messages: unknown[]; tools?: unknown[] }> }> {
  const lastTokenAt: number[] = [];
  const bodies: Array<{ messages: unknown[]; tools?: unknown[] }> = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    let raw = '';
    for await (const c of req) raw += c;
    const body = JSON.parse(raw);
    bodies.push(body);
    const plan = script(body, bodies.length);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunk = (delta: object, finish: string | null = null): string => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    if (plan.toolCall) {
      res.write(chunk({ role: 'assistant', tool_calls: [{ index: 0, id: 'call_abc', type: 'function', function: { name: plan.toolCall.name, arguments: '' } }] }));
      res.write(chunk({ tool_calls: [{ index: 0, function: { arguments: plan.toolCall.arguments } }] }));
      res.write(chunk({}, 'tool_calls'));
    }
    for (const t of plan.tokens ?? []) {
      await new Promise((r) => setTimeout(r, plan.delayMs ?? 0));
      res.write(chunk({ content: t }));
    }
    lastTokenAt.push(performance.now());
    if (!plan.toolCall) res.write(chunk({}, 'stop'));
    res.end('data: [DONE]\n\n');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, lastTokenAt, bodies })));
}

describe('/v1/realtime with an LLM', () => {
  it('speaks the first sentence before the LLM has sent its last token, and surfaces tool calls as function_call items', async () => {
    const reply = 'Sure thing. I can help with that request, and here is a rather long second sentence to finish.';
    const llm = await fakeLlm((body, n) => {
      if (n === 1) return { tokens: reply.split(/(?<= )/), delayMs: 60 };
      if (n === 2) return { toolCall: { name: 'get_weather', arguments: '{"city":"Cardiff"}' } };
      return { tokens: ['It is raining in Cardiff.'] };
    });
    const app = await startTestApp({ llmBaseUrl: llm.url, llmModel: 'fake' });
    try {
      const { send, log, ws } = await rawRealtime(`${app.url.replace('http', 'ws')}/v1/realtime?model=x`);
      send({ type: 'session.update', session: { instructions: 'Be brief.', tools: [{ type: 'function', name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } }] } });
      await log.waitFor('session.updated');
      send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Can you help?' }] } });
      send({ type: 'response.create' });
      const firstAudio = await log.waitFor('response.output_audio.delta');
      await log.waitFor('response.done');
      assert.ok(firstAudio.at < llm.lastTokenAt[0]!, `first audio ${(firstAudio.at - llm.lastTokenAt[0]!).toFixed(0)} ms after the last token`);
      assert.equal((llm.bodies[0]!.messages[0] as { role: string; content: string }).content, 'Be brief.');
      assert.equal((llm.bodies[0]!.tools as Array<{ function: { name: string } }>)[0]!.function.name, 'get_weather');

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

  it('closes an idle session with an error event and frees it; a disconnect mid-reply stops the work', async () => {
    const { log, ws } = await rawRealtime(wsUrl);
    const [code] = (await once(ws, 'close')) as [number];
    assert.equal(code, 1000);
    assert.equal((log.of('error')[0]!.error as { code: string }).code, 'session_idle_timeout');

    const b = await rawRealtime(wsUrl);
    b.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'A sentence to speak. And another one to keep it going for a while longer.' }] } });
    b.send({ type: 'response.create' });
    await b.log.waitFor('response.output_audio.delta');
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    assert.match(metrics, /^llais_live_sessions 1$/m);
    b.ws.terminate();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(app.context.live.openSessions, 0);
    assert.equal(app.context.tts.queueSize(), 0);
  });
});
