/**
 * Live captions end to end, over wss:// (TLS with a certificate made at run time): a Realtime
 * transcription session with the official `openai` client, partial transcripts in a voice
 * session, and `/v1/stt/ws` with raw frames: words arrive while the recording is still being
 * sent, the last partial converges on the final text, which matches the recording; bad frames
 * and silence get their documented answers; a client that leaves mid-utterance frees its decoder.
 *
 * Audio is sent at twice real time (20 ms frames every 10 ms): the recognizer keeps up, and the
 * test stays short; "words while the user speaks" is checked by pausing mid-sentence for them.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import WebSocket from 'ws';
import type { App } from '../src/app.js';
import { StreamResampler } from '../src/audio/resample.js';
import { pcmFromBytes, rms } from './helpers/audio.js';
import { startTestApp, tempDir } from './helpers/app.js';
import { EventLog } from './helpers/realtime.js';
import { selfSignedCert } from './helpers/tls.js';
import { corpusWer } from './helpers/wer.js';

const FRAME_MS = 20;
/** Twice real time. */
const SEND_EVERY_MS = 10;
const SAID = 'The birch canoe slid on the smooth planks, and the boy glued the sheet to the dark blue background.';
/** PocketSphinx on Flite speech (test/stt-pocketsphinx.test.ts bounds it at 0.6 over many sentences). */
const MAX_WER = 0.6;

const normalize = (text: string): string => text.toLowerCase().replace(/[^a-z' ]/g, ' ').replace(/\s+/g, ' ').trim();

async function httpsGet(url: string, ca: Buffer, init: { method?: string; body?: string } = {}): Promise<{ status: number; body: Buffer }> {
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = httpsRequest(url, { method: init.method ?? 'GET', headers: { 'content-type': 'application/json' }, ca }, resolve);
    req.on('error', reject);
    req.end(init.body);
  });
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return { status: res.statusCode ?? 0, body: Buffer.concat(chunks) };
}

/** Where the voice in 24 kHz PCM begins and ends, in ms (10 ms windows above -40 dBFS). */
function voicedSpan(pcm: Int16Array): { startMs: number; endMs: number } {
  const loud: number[] = [];
  for (let i = 0; i + 240 <= pcm.length; i += 240) if (rms(pcm.subarray(i, i + 240)) > 328) loud.push(i / 24);
  return { startMs: loud[0]!, endMs: loud.at(-1)! + 10 };
}

/**
 * Sends `bytes` in frames of `FRAME_MS` of audio every `SEND_EVERY_MS`; returns when each
 * millisecond of audio was sent (performance.now()), so a test can ask when a moment went out.
 */
async function stream(bytes: Buffer, bytesPerMs: number, send: (frame: Buffer) => void, everyMs = SEND_EVERY_MS): Promise<(audioMs: number) => number> {
  const frameBytes = bytesPerMs * FRAME_MS;
  const sentAt: number[] = [];
  const start = performance.now();
  for (let i = 0, n = 0; i < bytes.length; i += frameBytes, n++) {
    send(bytes.subarray(i, i + frameBytes));
    sentAt.push(performance.now());
    const wait = start + (n + 1) * everyMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  return (audioMs) => sentAt[Math.min(sentAt.length - 1, Math.floor(audioMs / FRAME_MS))]!;
}

const silence24k = (ms: number): Buffer => Buffer.alloc(48 * ms);

describe('live captions over wss://', () => {
  let app: App;
  let ca: Buffer;
  /** The sentence, 24 kHz s16le, with silence around it. */
  let audio24k: Buffer;
  let voiced: { startMs: number; endMs: number };
  const LEAD_MS = 300;
  const TAIL_MS = 1500;

  before(async () => {
    const dir = await tempDir();
    const tls = selfSignedCert(dir);
    ca = readFileSync(tls.certFile);
    app = await startTestApp({ tls, dataDir: dir });
    const res = await httpsGet(`${app.url}/v1/audio/speech`, ca, { method: 'POST', body: JSON.stringify({ model: 'tts-1', voice: 'flite-rms', input: SAID, response_format: 'pcm' }) });
    assert.equal(res.status, 200);
    const span = voicedSpan(pcmFromBytes(res.body));
    voiced = { startMs: LEAD_MS + span.startMs, endMs: LEAD_MS + span.endMs };
    audio24k = Buffer.concat([silence24k(LEAD_MS), res.body, silence24k(TAIL_MS)]);
  });

  after(async () => {
    await app.close();
  });

  async function official(): Promise<{ rt: OpenAIRealtimeWS; log: EventLog }> {
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${app.url}/v1` });
    const rt = new OpenAIRealtimeWS({ model: 'gpt-realtime', options: { ca, agent: new Agent({ ca }) } as never }, client);
    const log = new EventLog();
    rt.on('event', (e) => log.push(e as never));
    rt.on('error', () => {}); // error events are asserted from the log
    await once(rt.socket, 'open');
    await log.waitFor('session.created');
    return { rt, log };
  }

  it('a transcription session streams deltas while the user speaks and completes each turn, with no response', async () => {
    const { rt, log } = await official();
    rt.send({
      type: 'session.update',
      session: {
        type: 'transcription',
        audio: { input: { format: { type: 'audio/pcm', rate: 24000 }, transcription: { model: 'whisper-1', language: 'en' }, turn_detection: { type: 'server_vad', silence_duration_ms: 700 } } },
        include: ['item.input_audio_transcription.logprobs'],
      },
    });
    const updated = (await log.waitFor('session.updated')).event;
    assert.equal(updated.session.type, 'transcription');
    assert.deepEqual(updated.session.include, ['item.input_audio_transcription.logprobs']);
    // Words while the user speaks, whatever the machine's load: the sender stops in the middle of
    // the sentence and waits there for a delta. A server that transcribed only once the turn ends
    // would send none (its VAD has seen no silence yet); a busy one sends it late, but still first.
    const append = (f: Buffer): void => rt.send({ type: 'input_audio_buffer.append', audio: f.toString('base64') });
    const pauseAt = 48 * 2 * Math.round((voiced.startMs + voiced.endMs) / 4);
    await stream(audio24k.subarray(0, pauseAt), 48, append);
    const first = await log.waitFor('conversation.item.input_audio_transcription.delta', { timeoutMs: 60_000 });
    assert.equal(log.of('input_audio_buffer.speech_stopped').length, 0, 'the first delta came while the turn was still open, mid-sentence');
    await stream(audio24k.subarray(pauseAt), 48, append);
    const completed = (await log.waitFor('conversation.item.input_audio_transcription.completed')).event;
    const deltas = log.events.filter((e) => e.event.type === 'conversation.item.input_audio_transcription.delta' && e.event.item_id === completed.item_id);
    assert.ok(deltas.length >= 2, `${deltas.length} deltas`);
    assert.equal(deltas[0], first, 'the mid-sentence delta belongs to the completed turn');
    assert.equal(deltas[0]!.event.logprobs, null, 'logprobs asked for: the live recognizer has none, said with null');
    // Stable words never change, but the turn's last pass may still correct one: .completed is the truth.
    const joined = deltas.map((d) => d.event.delta as string).join('');
    const drift = corpusWer([{ reference: completed.transcript as string, hypothesis: joined }]);
    assert.ok(drift <= 0.35, `deltas "${joined}" vs completed "${completed.transcript}"`);
    const wer = corpusWer([{ reference: normalize(SAID), hypothesis: normalize(completed.transcript as string) }]);
    assert.ok(wer <= MAX_WER, `"${completed.transcript}": WER ${wer.toFixed(2)}`);

    rt.send({ type: 'response.create', event_id: 'ev_rc' });
    const refused = (await log.waitFor('error', { pred: (e) => e.error.event_id === 'ev_rc' })).event;
    assert.equal(refused.error.code, 'response_not_available');
    assert.equal(log.of('response.created').length, 0);
    rt.close();
  });

  it('a transcription session with manual commits sends deltas as audio is appended, before the commit', async () => {
    const { rt, log } = await official();
    rt.send({ type: 'session.update', session: { type: 'transcription', audio: { input: { turn_detection: null } } } });
    await log.waitFor('session.updated');
    // As in the first test: the sender waits mid-sentence for words, so a loaded machine is slower but not wrong.
    const append = (f: Buffer): void => rt.send({ type: 'input_audio_buffer.append', audio: f.toString('base64') });
    const pauseAt = 48 * 2 * Math.round((voiced.startMs + voiced.endMs) / 4);
    await stream(audio24k.subarray(0, pauseAt), 48, append);
    await log.waitFor('conversation.item.input_audio_transcription.delta', { timeoutMs: 60_000 });
    await stream(audio24k.subarray(pauseAt, 48 * (voiced.endMs + 100)), 48, append);
    const committedAt = performance.now();
    rt.send({ type: 'input_audio_buffer.commit' });
    const completed = (await log.waitFor('conversation.item.input_audio_transcription.completed')).event;
    const deltas = log.events.filter((e) => e.event.type === 'conversation.item.input_audio_transcription.delta' && e.event.item_id === completed.item_id);
    assert.ok(deltas.length >= 2 && deltas[0]!.at < committedAt, `${deltas.length} deltas, the first before the commit`);
    assert.ok(corpusWer([{ reference: normalize(SAID), hypothesis: normalize(completed.transcript as string) }]) <= MAX_WER, completed.transcript as string);
    rt.close();
  });

  it('a beta client gets transcription_session.* names, from ?intent=transcription and transcription_session.update', async () => {
    const ws = new WebSocket(`${app.url.replace('https', 'wss')}/v1/realtime?intent=transcription`, { ca, headers: { 'OpenAI-Beta': 'realtime=v1' } });
    const log = new EventLog();
    ws.on('message', (d, binary) => binary || log.push(JSON.parse(d.toString())));
    await once(ws, 'open');
    const created = (await log.waitFor('transcription_session.created')).event;
    assert.equal(created.session.object, 'realtime.transcription_session');
    ws.send(JSON.stringify({ type: 'transcription_session.update', session: { input_audio_format: 'g711_ulaw', input_audio_transcription: { model: 'gpt-4o-transcribe', language: 'en' } } }));
    const updated = (await log.waitFor('transcription_session.updated')).event;
    assert.equal(updated.session.input_audio_format, 'g711_ulaw');
    assert.equal(log.of('session.updated').length, 0);
    ws.close();
  });

  it('a voice session sends transcription deltas before the turn completes and the reply starts', async () => {
    const { rt, log } = await official();
    rt.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: { type: 'server_vad', silence_duration_ms: 700 } } } } });
    await log.waitFor('session.updated');
    await stream(audio24k, 48, (f) => rt.send({ type: 'input_audio_buffer.append', audio: f.toString('base64') }));
    const started = (await log.waitFor('input_audio_buffer.speech_started')).event;
    const completed = await log.waitFor('conversation.item.input_audio_transcription.completed');
    const delta = await log.waitFor('conversation.item.input_audio_transcription.delta', { pred: (e) => e.item_id === started.item_id });
    assert.ok(delta.at <= completed.at);
    const reply = await log.waitFor('response.created', { timeoutMs: 30_000 });
    assert.ok(delta.at < reply.at);
    rt.close();
  });

  /** A `/v1/stt/ws` client: JSON messages logged, the close code kept. */
  async function sttWs(query = ''): Promise<{ ws: WebSocket; log: EventLog; closed: Promise<number> }> {
    const ws = new WebSocket(`${app.url.replace('https', 'wss')}/v1/stt/ws${query}`, { ca });
    const log = new EventLog();
    ws.on('message', (d, binary) => binary || log.push(JSON.parse(d.toString())));
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    await once(ws, 'open');
    await log.waitFor('session.created');
    return { ws, log, closed };
  }

  function to16k(bytes24k: Buffer): Buffer {
    const pcm = new StreamResampler(24_000, 16_000).process(pcmFromBytes(bytes24k));
    return Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  }

  it('/v1/stt/ws: 16 kHz frames in; partials while speaking, a final with word times that matches the recording', async () => {
    const { ws, log, closed } = await sttWs('?sample_rate=16000&silence_duration_ms=700');
    // Paused mid-sentence until a partial comes (see the first test): while speaking, whatever the load.
    const audio16k = to16k(audio24k);
    const pauseAt = 32 * 2 * Math.round((voiced.startMs + voiced.endMs) / 4);
    await stream(audio16k.subarray(0, pauseAt), 32, (f) => ws.send(f));
    await log.waitFor('partial', { timeoutMs: 60_000 });
    assert.equal(log.of('final').length, 0, 'the first partial came mid-utterance');
    await stream(audio16k.subarray(pauseAt), 32, (f) => ws.send(f));
    const final = (await log.waitFor('final')).event;
    const started = log.of('speech.started')[0]!;
    assert.equal(started.utterance_id, final.utterance_id);
    const partials = log.events.filter((e) => e.event.type === 'partial');
    assert.ok(partials.length >= 3, `${partials.length} partials`);
    const last = partials.at(-1)!.event;
    assert.ok(corpusWer([{ reference: final.text as string, hypothesis: last.text as string }]) <= 0.35, `last partial "${last.text}" vs final "${final.text}"`);
    const wer = corpusWer([{ reference: normalize(SAID), hypothesis: normalize(final.text as string) }]);
    assert.ok(wer <= MAX_WER, `"${final.text}": WER ${wer.toFixed(2)}`);
    const words = final.words as Array<{ word: string; start: number; end: number }>;
    assert.equal(words.map((w) => w.word).join(' '), final.text);
    assert.ok(Math.abs(words[0]!.start - voiced.startMs / 1000) < 0.4, `first word at ${words[0]!.start} s, voice at ${voiced.startMs / 1000} s`);
    assert.ok(Math.abs(words.at(-1)!.end - voiced.endMs / 1000) < 0.4, `last word ends at ${words.at(-1)!.end} s, voice at ${voiced.endMs / 1000} s`);
    ws.send(JSON.stringify({ type: 'close' }));
    const done = (await log.waitFor('done')).event;
    assert.equal(done.utterances, 1);
    assert.ok(Math.abs((done.audio_duration_sec as number) - audio24k.length / 48_000) < 0.05);
    assert.equal(await closed, 1000);
  });

  it('/v1/stt/ws: a malformed message is an error event and the session goes on; an oversized frame closes with 1009', async () => {
    const { ws, log, closed } = await sttWs();
    ws.send('{not json');
    assert.equal((await log.waitFor('error')).event.error.code, 'invalid_json');
    ws.send(JSON.stringify({ type: 'commit' }));
    assert.equal((await log.waitFor('error', { pred: (e) => e.error.code !== 'invalid_json' })).event.error.code, 'unknown_message_type');
    ws.send(Buffer.alloc(200 * 1024));
    assert.equal((await log.waitFor('error', { pred: (e) => e.error.code === 'frame_too_large' })).event.error.type, 'invalid_request_error');
    assert.equal(await closed, 1009);
  });

  it('/v1/stt/ws: a silent stream gets no speech, no partial and no final; close answers done', async () => {
    const { ws, log, closed } = await sttWs('?sample_rate=24000');
    await stream(silence24k(2000), 48, (f) => ws.send(f));
    ws.send(JSON.stringify({ type: 'close' }));
    const done = (await log.waitFor('done')).event;
    assert.deepEqual(log.events.map((e) => e.event.type), ['session.created', 'done']);
    assert.equal(done.utterances, 0);
    assert.ok(Math.abs((done.audio_duration_sec as number) - 2) < 0.05, `${done.audio_duration_sec} s`);
    assert.equal(await closed, 1000);
  });

  it('/v1/stt/ws: a bad query is refused at the upgrade with a 400 envelope', async () => {
    const ws = new WebSocket(`${app.url.replace('https', 'wss')}/v1/stt/ws?format=mp3`, { ca });
    const [, res] = (await once(ws, 'unexpected-response')) as [unknown, IncomingMessage];
    assert.equal(res.statusCode, 400);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    assert.equal(JSON.parse(Buffer.concat(chunks).toString()).error.param, 'format');
  });

  it('/v1/stt/ws: speakers=true labels utterances by voice, consistently across the session', async () => {
    const line = 'Glue the sheet to the dark blue background.';
    const voices = ['flite-rms', 'flite-slt', 'flite-rms', 'flite-slt', 'flite-rms'];
    const spoken = new Map<string, Buffer>();
    for (const voice of new Set(voices)) {
      const res = await httpsGet(`${app.url}/v1/audio/speech`, ca, { method: 'POST', body: JSON.stringify({ model: 'tts-1', voice, input: line, response_format: 'pcm' }) });
      spoken.set(voice, res.body);
    }
    const { ws, log } = await sttWs('?sample_rate=24000&speakers=true&partials=false');
    const audio = Buffer.concat(voices.flatMap((v) => [spoken.get(v)!, silence24k(900)]));
    // Four times real time: only the labels are checked here.
    await stream(audio, 48, (f) => ws.send(f), FRAME_MS / 4);
    ws.send(JSON.stringify({ type: 'close' }));
    await log.waitFor('done');
    const labels = log.of('final').map((f) => f.speaker as string);
    assert.equal(labels.length, voices.length, JSON.stringify(labels));
    // The first two utterances come before there is anything to compare; from then on the voices part.
    assert.notEqual(labels[2], labels[3], JSON.stringify(labels));
    assert.equal(labels[4], labels[2], JSON.stringify(labels));
  });

  it('/v1/stt/ws: a client that leaves mid-utterance frees its decoder', async () => {
    const liveTurns = async (): Promise<number> => Number(/^llais_stt_live_turns (\d+)/m.exec((await httpsGet(`${app.url}/metrics`, ca)).body.toString())?.[1]);
    const { ws, log } = await sttWs('?sample_rate=24000');
    const half = audio24k.subarray(0, 48 * Math.round((voiced.startMs + voiced.endMs) / 2));
    await stream(half, 48, (f) => ws.send(f));
    await log.waitFor('partial');
    assert.equal(await liveTurns(), 1);
    ws.terminate();
    const deadline = performance.now() + 10_000;
    while ((await liveTurns()) !== 0) {
      assert.ok(performance.now() < deadline, 'the live turn was not freed');
      await new Promise((r) => setTimeout(r, 50));
    }
  });
});
