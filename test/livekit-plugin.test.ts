/**
 * LiveKit Agents' OpenAI plugin (`@livekit/agents-plugin-openai`, code nobody here wrote) pointed
 * at a running Llais by `baseURL` alone: its TTS, its STT and its realtime model, driven directly
 * as the plugin's own tests drive them (no LiveKit room). Audio is checked by measuring it and by
 * transcribing it back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { initializeLogger, stt as agentsStt, type llm } from '@livekit/agents';
import * as openai from '@livekit/agents-plugin-openai';
import { AudioFrame } from '@livekit/rtc-node';
import type { App } from '../src/app.js';
import { generateApiKey } from '../src/accounts/api-key.js';
import { rms } from './helpers/audio.js';
import { startTestApp } from './helpers/app.js';
import { corpusWer } from './helpers/wer.js';

const SENTENCE = 'The birch canoe slid on the smooth planks.';
/** The plugin's sample rate for TTS and realtime audio (OpenAI's). */
const SAMPLE_RATE_HZ = 24_000;
/** 20 ms frames, as a LiveKit room delivers microphone audio. */
const FRAME_SAMPLES = SAMPLE_RATE_HZ / 50;
/** Silence after the speech: longer than any silence window the server's VAD uses. */
const SILENCE_SECONDS = 2;

/** The frame's samples as one Int16Array. */
function samplesOf(frames: AudioFrame[]): Int16Array {
  const out = new Int16Array(frames.reduce((n, f) => n + f.data.length, 0));
  let at = 0;
  for (const f of frames) (out.set(f.data, at), (at += f.data.length));
  return out;
}

/** Everything a stream yields, to its end. */
async function drain<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const chunk of stream) out.push(chunk);
  return out;
}

describe('LiveKit Agents OpenAI plugin against Llais (baseURL only)', () => {
  let app: App;
  let apiKey: string;
  let baseURL: string;
  let speech: AudioFrame;

  before(async () => {
    initializeLogger({ pretty: false, level: 'warn' });
    app = await startTestApp();
    const { accounts, keys, ledger } = app.context.accounts;
    accounts.ensure('agent', 'pro');
    ledger.grant('agent', 10_000, 'test');
    apiKey = generateApiKey();
    keys.add('agent', apiKey);
    baseURL = `${app.url}/v1`;
  });
  after(() => app.close());

  it('openai.TTS synthesize() gives 24 kHz mono PCM frames of speech', async () => {
    // A built-in model and voice: the plugin passes any name through (its types list OpenAI's).
    const tts = new openai.TTS({ baseURL, apiKey, model: 'flite', voice: 'flite-rms' as openai.TTSVoices });
    try {
      speech = await tts.synthesize(SENTENCE).collect();
    } finally {
      await tts.close();
    }
    assert.equal(speech.sampleRate, SAMPLE_RATE_HZ);
    assert.equal(speech.channels, 1);
    const seconds = speech.samplesPerChannel / SAMPLE_RATE_HZ;
    assert.ok(seconds > 1.5 && seconds < 6, `${seconds} s`);
    assert.ok(rms(speech.data) > 300);
  });

  it('openai.STT recognize() (the HTTP transcriptions endpoint) transcribes the TTS output', async () => {
    assert.ok(speech, 'the TTS test ran first');
    const stt = new openai.STT({ baseURL, apiKey, model: 'whisper-1', useRealtime: false, language: 'en' });
    const event = await stt.recognize(speech);
    assert.equal(event.type, agentsStt.SpeechEventType.FINAL_TRANSCRIPT);
    const text = event.alternatives![0]!.text;
    assert.ok(corpusWer([{ reference: SENTENCE, hypothesis: text }]) <= 0.6, `heard: ${text}`);
  });

  it('openai.STT stream() with useRealtime (the plugin default): a transcription session gives interim transcripts, then the final one', async () => {
    assert.ok(speech, 'the TTS test ran first');
    // gpt-4o-transcribe: the plugin's realtime-only default model wants a LiveKit Cloud VAD; this one uses server VAD.
    const stt = new openai.STT({ baseURL, apiKey, model: 'gpt-4o-transcribe', language: 'en' });
    const stream = stt.stream();
    try {
      const events: agentsStt.SpeechEvent[] = [];
      const final = (async () => {
        for await (const event of stream) {
          events.push(event);
          if (event.type === agentsStt.SpeechEventType.FINAL_TRANSCRIPT) return event.alternatives![0]!.text;
        }
        return '';
      })();
      const silence = new Int16Array(SAMPLE_RATE_HZ * SILENCE_SECONDS);
      for (const samples of [speech.data, silence]) {
        for (let at = 0; at < samples.length; at += FRAME_SAMPLES) {
          const data = samples.slice(at, at + FRAME_SAMPLES);
          stream.pushFrame(new AudioFrame(data, SAMPLE_RATE_HZ, 1, data.length));
          // Twice real time: the session hears speech while it is still arriving.
          await new Promise((r) => setTimeout(r, 10));
        }
      }
      const heard = await final;
      assert.ok(corpusWer([{ reference: SENTENCE, hypothesis: heard }]) <= 0.6, `heard: ${heard}`);
      assert.ok(events.some((e) => e.type === agentsStt.SpeechEventType.INTERIM_TRANSCRIPT), 'interim transcripts before the final one');
    } finally {
      stream.close();
      await stt.close();
    }
  });

  it('openai.realtime.RealtimeModel: pushed audio is transcribed, and the reply streams text and audio', async () => {
    assert.ok(speech, 'the TTS test ran first');
    const model = new openai.realtime.RealtimeModel({ baseURL, apiKey, voice: 'flite-slt', inputAudioTranscription: { model: 'whisper-1', language: 'en' }, turnDetection: null });
    const session = model.session();
    const errors: unknown[] = [];
    session.on('error', (e) => errors.push(e));
    try {
      const transcribed = new Promise<string>((resolve) => session.on('input_audio_transcription_completed', (e) => e.isFinal && resolve(e.transcript)));
      for (let at = 0; at < speech.samplesPerChannel; at += FRAME_SAMPLES) {
        const data = speech.data.slice(at, at + FRAME_SAMPLES);
        session.pushAudio(new AudioFrame(data, SAMPLE_RATE_HZ, 1, data.length));
      }
      await session.commitAudio();
      const generation: llm.GenerationCreatedEvent = await session.generateReply();
      const messages = await drain(generation.messageStream);
      assert.equal(messages.length, 1);
      const [texts, frames] = await Promise.all([drain(messages[0]!.textStream), drain(messages[0]!.audioStream)]);
      const reply = texts.map((t) => (typeof t === 'string' ? t : t.text)).join('');
      assert.ok(reply.trim().length > 0, 'a reply transcript');
      assert.ok(frames.length > 0 && rms(samplesOf(frames)) > 300, 'reply audio');
      const heard = await transcribed;
      assert.ok(corpusWer([{ reference: SENTENCE, hypothesis: heard }]) <= 0.6, `heard: ${heard}`);
      assert.deepEqual(errors, []);
    } finally {
      await session.close();
      await model.close();
    }
  });

  it('openai.realtime.RealtimeModel with its defaults (semantic VAD, gpt-4o-mini-transcribe): speech then silence starts the reply itself', async () => {
    assert.ok(speech, 'the TTS test ran first');
    const model = new openai.realtime.RealtimeModel({ baseURL, apiKey, voice: 'flite-slt' });
    const session = model.session();
    const errors: unknown[] = [];
    session.on('error', (e) => errors.push(e));
    try {
      const stopped = new Promise<void>((resolve) => session.on('input_speech_stopped', () => resolve()));
      const generated = new Promise<llm.GenerationCreatedEvent>((resolve) => session.on('generation_created', resolve));
      const silence = new Int16Array(SILENCE_SECONDS * SAMPLE_RATE_HZ);
      const input = new Int16Array(speech.data.length + silence.length);
      input.set(speech.data);
      for (let at = 0; at < input.length; at += FRAME_SAMPLES) {
        const data = input.slice(at, at + FRAME_SAMPLES);
        session.pushAudio(new AudioFrame(data, SAMPLE_RATE_HZ, 1, data.length));
      }
      await stopped;
      const generation = await generated;
      assert.equal(generation.userInitiated, false, 'the server, not the client, started the reply');
      const [message] = await drain(generation.messageStream);
      const frames = await drain(message!.audioStream);
      assert.ok(frames.length > 0 && rms(samplesOf(frames)) > 300, 'reply audio');
      assert.deepEqual(errors, []);
    } finally {
      await session.close();
      await model.close();
    }
  });
});
