import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import WebSocket from 'ws';
import type { App } from '../src/app.js';
import { decodeToPcm } from '../src/audio/decode.js';
import { probeAudio } from '../src/audio/probe.js';
import type { TtsEngine } from '../src/engines/tts/types.js';
import { startTestApp } from './helpers/app.js';
import { pcmFromBytes, plausibleSpeechSeconds, rms } from './helpers/audio.js';

const TEXT = 'Hello from Llais. This sentence streams while the next one is synthesized. And here is a third.';
const EVENT_TIMEOUT_MS = 15_000;

type Event = Record<string, any>;

/** A `ws` client that records every event in arrival order and lets a test wait on one. */
class Client {
  readonly events: Event[] = [];
  /** Binary frames, and how many JSON events had arrived before each. */
  readonly binary: Array<{ bytes: Buffer; afterEvents: number }> = [];
  readonly closed: Promise<number>;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) this.binary.push({ bytes: data, afterEvents: this.events.length });
      else this.events.push(JSON.parse(data.toString()) as Event);
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code: number) => {
      resolve(code);
      for (const w of this.waiters.splice(0)) w();
    }));
  }

  static async open(app: App, query = ''): Promise<Client> {
    const ws = new WebSocket(`${app.url.replace(/^http/, 'ws')}/v1/tts/ws${query}`);
    const client = new Client(ws);
    await once(ws, 'open');
    return client;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Resolves with the first event (from `from` on) that matches. */
  async waitFor(match: (e: Event) => boolean, from = 0): Promise<Event> {
    const deadline = Date.now() + EVENT_TIMEOUT_MS;
    for (;;) {
      const found = this.events.slice(from).find(match);
      if (found) return found;
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`socket closed before the event; got ${this.types().join(', ')}`);
      if (Date.now() > deadline) throw new Error(`timed out; got ${this.types().join(', ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  types(): string[] {
    return this.events.map((e) => e.type as string);
  }

  pcm(): Int16Array {
    return pcmFromBytes(Buffer.concat(this.events.filter((e) => e.type === 'audio.delta').map((e) => Buffer.from(e.audio as string, 'base64'))));
  }
}

function bareWords(text: string): string[] {
  return text.split(/\s+/).map((w) => w.replace(/[^\p{L}\p{N}]/gu, '').toLowerCase()).filter(Boolean);
}

/** Runs the server's engine through a wrapper that counts calls and keeps their signals. */
function countEngineCalls(app: App): { calls: () => number; signals: AbortSignal[]; restore: () => void } {
  const engine = app.context.tts.engine('espeak')!;
  const original = engine.synthesize.bind(engine);
  const signals: AbortSignal[] = [];
  (engine as { synthesize: TtsEngine['synthesize'] }).synthesize = (req, signal) => {
    signals.push(signal);
    return original(req, signal);
  };
  return { calls: () => signals.length, signals, restore: () => ((engine as { synthesize: TtsEngine['synthesize'] }).synthesize = original) };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('GET /v1/tts/ws: input-streaming TTS', () => {
  let app: App;
  const logged: Array<{ level: number; msg: string }> = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown): void => {
    unhandled.push(err);
  };

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    const logger = pino({ level: 'info' }, { write: (line: string) => logged.push(JSON.parse(line) as { level: number; msg: string }) });
    app = await startTestApp({}, { logger });
  });

  after(async () => {
    await app.close();
    process.off('unhandledRejection', onUnhandled);
    assert.deepEqual(unhandled, [], 'no unhandled rejections');
    assert.deepEqual(logged.filter((l) => l.level >= 50), [], 'nothing logged as an error');
  });

  it('speaks text sent word by word sentence by sentence, the first audio arriving before the text is complete', async () => {
    const c = await Client.open(app, '?voice=en-us');
    const created = await c.waitFor((e) => e.type === 'session.created');
    assert.deepEqual(created.session, { model: 'espeak', voice: 'en-us', language: 'en-us', speed: 1, output_format: 'pcm', sample_rate: 24_000 });
    const words = TEXT.split(' ');
    // The first sentence ends once the next word shows it was not an abbreviation.
    const firstPart = words.slice(0, 4);
    for (const [i, w] of firstPart.entries()) c.send({ type: 'text', text: i === 0 ? w : ` ${w}` });
    const firstDelta = await c.waitFor((e) => e.type === 'audio.delta');
    assert.equal(firstDelta.sentence_id, 1);
    for (const w of words.slice(4)) c.send({ type: 'text', text: ` ${w}` });
    c.send({ type: 'close' });
    assert.equal(await c.closed, 1000);

    const done = c.events.at(-1)!;
    assert.equal(done.type, 'done');
    const started = c.events.filter((e) => e.type === 'sentence.started');
    assert.equal(done.characters, started.reduce((n, e) => n + (e.text as string).length, 0));
    assert.deepEqual(started.map((e) => e.sentence_id), [1, 2, 3]);
    assert.equal(started.map((e) => e.text).join(' '), TEXT);
    // Per sentence: started, then its deltas, then done; sentences never interleave.
    const order = c.events.filter((e) => e.sentence_id !== undefined).map((e) => `${e.sentence_id}:${e.type}`);
    const collapsed = order.filter((x, i) => x !== order[i - 1]);
    assert.deepEqual(collapsed, ['1:sentence.started', '1:audio.delta', '1:sentence.done', '2:sentence.started', '2:audio.delta', '2:sentence.done', '3:sentence.started', '3:audio.delta', '3:sentence.done']);

    const pcm = c.pcm();
    const seconds = pcm.length / 24_000;
    assert.ok(Math.abs(seconds - done.audio_duration_sec) < 0.01, `${seconds} vs ${done.audio_duration_sec}`);
    const { min, max } = plausibleSpeechSeconds(TEXT.length);
    assert.ok(seconds > min && seconds < max, `${seconds} s`);
    assert.ok(rms(pcm) > 300, 'not silent');

    const sentenceDone = c.events.filter((e) => e.type === 'sentence.done');
    const timings = sentenceDone.flatMap((e) => e.words as Array<{ word: string; start: number; end: number }>);
    assert.deepEqual(bareWords(timings.map((w) => w.word).join(' ')), bareWords(TEXT));
    for (let i = 1; i < timings.length; i++) assert.ok(timings[i]!.start >= timings[i - 1]!.start - 1e-6, 'word starts are monotonic');
    for (const s of sentenceDone) {
      for (const w of s.words as Array<{ start: number; end: number }>) assert.ok(w.start >= s.start - 1e-6 && w.end <= s.end + 0.05, 'words fall inside their sentence');
    }
    assert.ok(timings.at(-1)!.end <= seconds + 0.05, 'the last word ends inside the audio');
  });

  it('opus: binary frames concatenate into one Ogg Opus file, and flush.done follows the flushed audio', async () => {
    const c = await Client.open(app, '?voice=en-us&output_format=opus');
    await c.waitFor((e) => e.type === 'session.created');
    c.send({ type: 'text', text: 'Hello from Llais, over a WebSocket' });
    c.send({ type: 'flush' });
    const flushed = await c.waitFor((e) => e.type === 'flush.done');
    const firstDone = c.events.find((e) => e.type === 'sentence.done')!;
    assert.ok(c.events.indexOf(firstDone) < c.events.indexOf(flushed));
    // The bytes sent before flush.done hold all of the flushed sentence.
    const prefix = Buffer.concat(c.binary.filter((b) => b.afterEvents <= c.events.indexOf(flushed)).map((b) => b.bytes));
    const prefixSec = (await decodeToPcm(prefix, 24_000)).length / 24_000;
    assert.ok(prefixSec >= firstDone.end - 0.03, `${prefixSec} s sent before flush.done, sentence ends at ${firstDone.end}`);

    c.send({ type: 'text', text: ' This sentence streams while the next one is synthesized. And here is a third.' });
    c.send({ type: 'close' });
    assert.equal(await c.closed, 1000);
    const done = c.events.at(-1)!;
    assert.equal(done.type, 'done');
    assert.equal(c.events.filter((e) => e.type === 'audio.delta').length, 0, 'opus goes in binary frames only');
    const file = Buffer.concat(c.binary.map((b) => b.bytes));
    const probe = await probeAudio(file);
    assert.equal(probe.codec, 'opus');
    assert.equal(probe.formatName, 'ogg');
    const pcm = await decodeToPcm(file, 24_000);
    const seconds = pcm.length / 24_000;
    assert.ok(Math.abs(seconds - done.audio_duration_sec) < 0.06, `${seconds} vs ${done.audio_duration_sec}`);
    assert.ok(rms(pcm) > 300, 'not silent');
    assert.deepEqual(c.events.filter((e) => e.type === 'sentence.started').map((e) => e.sentence_id), [1, 2, 3]);
  });

  it('answers bad messages with error events and keeps the socket open', async () => {
    const c = await Client.open(app);
    await c.waitFor((e) => e.type === 'session.created');
    const errors = (): Event[] => c.events.filter((e) => e.type === 'error');
    c.send('{not json');
    await until(() => errors().length === 1, 'the first error');
    c.send({ type: 'speak', text: 'hi' });
    c.send({ type: 'flush', now: true });
    c.send({ type: 'text', text: 42 });
    c.send({ type: 'text', text: 'x '.repeat(app.config.maxTextChars) });
    c.send({ type: 'session.update', speed: 9 });
    c.send({ type: 'session.update', voice: 'en' });
    await c.waitFor((e) => e.type === 'session.updated');
    c.send({ type: 'text', text: 'Still here.' });
    c.send({ type: 'session.update', voice: 'en-us' });
    await until(() => errors().length === 7, 'seven errors');
    assert.deepEqual(
      errors().map((e) => [e.error.code, e.error.param]),
      [['invalid_json', null], ['unknown_message_type', 'type'], ['unknown_parameter', 'now'], ['invalid_type', 'text'], ['text_buffer_full', 'text'], ['invalid_value', 'speed'], ['session_locked', null]],
    );
    assert.equal(errors()[0]!.error.type, 'invalid_request_error');
    assert.equal(c.events.find((e) => e.type === 'session.updated')!.session.voice, 'en');
    c.send({ type: 'close' });
    assert.equal(await c.closed, 1000);
    assert.equal(c.events.at(-1)!.type, 'done');
    assert.ok(rms(c.pcm()) > 300);
  });

  it('refuses the upgrade with a 400 envelope for an unknown voice or a bad setting', async () => {
    for (const [query, param] of [['?voice=no-such-voice', 'voice'], ['?speed=fast', 'speed'], ['?output_format=mp3', 'output_format']] as const) {
      const ws = new WebSocket(`${app.url.replace(/^http/, 'ws')}/v1/tts/ws${query}`);
      ws.on('error', () => {});
      const [, res] = (await once(ws, 'unexpected-response')) as [unknown, IncomingMessage];
      assert.equal(res.statusCode, 400, query);
      let body = '';
      for await (const chunk of res) body += chunk;
      assert.equal(JSON.parse(body).error.param, param, query);
      ws.terminate();
    }
    await until(() => app.context.live.openSessions === 0, 'no session to be open');
  });

  it('cancel stops the audio at once, and the session goes on with new text', async () => {
    const c = await Client.open(app);
    const long = Array.from({ length: 20 }, (_, i) => `This is sentence number ${i + 1} of a long text.`).join(' ');
    c.send({ type: 'text', text: long });
    await c.waitFor((e) => e.type === 'audio.delta');
    c.send({ type: 'cancel' });
    const cancelled = await c.waitFor((e) => e.type === 'cancel.done');
    const at = c.events.indexOf(cancelled);
    const lastOldId = Math.max(...c.events.slice(0, at).filter((e) => e.sentence_id !== undefined).map((e) => e.sentence_id as number));
    assert.ok(lastOldId < 20, 'the text was cut short');
    c.send({ type: 'text', text: 'Back again.' });
    c.send({ type: 'close' });
    assert.equal(await c.closed, 1000);
    const after = c.events.slice(at + 1);
    const restarted = after.filter((e) => e.type === 'sentence.started');
    assert.deepEqual(restarted.map((e) => e.text), ['Back again.']);
    assert.ok(restarted[0]!.sentence_id > lastOldId);
    assert.ok(after.every((e) => e.sentence_id === undefined || e.sentence_id === restarted[0]!.sentence_id), 'nothing of the cancelled text after cancel.done');
    assert.equal(c.events.at(-1)!.type, 'done');
  });

  it('a client that disconnects mid-stream stops the synthesis and frees its session', async () => {
    // Sessions of earlier tests close on the server a moment after their clients see the close.
    await until(() => app.context.live.openSessions === 0, 'earlier sessions to close');
    const engine = countEngineCalls(app);
    try {
      const c = await Client.open(app);
      const long = Array.from({ length: 100 }, (_, i) => `This is sentence number ${i + 1} of a very long text.`).join(' ');
      c.send({ type: 'text', text: long });
      await c.waitFor((e) => e.type === 'audio.delta');
      assert.equal(app.context.live.openSessions, 1);
      c.ws.terminate();
      await until(() => app.context.live.openSessions === 0, 'the session to close');
      await until(() => engine.signals.every((s) => s.aborted), 'the engine to be told to stop');
      const callsAtClose = engine.calls();
      assert.ok(callsAtClose < 10, `only the first sentences were synthesized (${callsAtClose} of 100)`);
      // Give the server a chance to (wrongly) start more work.
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(engine.calls(), callsAtClose, 'no engine work after the disconnect');
    } finally {
      engine.restore();
    }
  });
});
