import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { createParser } from 'eventsource-parser';
import type { App } from '../src/app.js';
import { decodeToPcm } from '../src/audio/decode.js';
import type { TtsEngine } from '../src/engines/tts/types.js';
import { ffmpegPath } from '../src/audio/ffmpeg-binaries.js';
import { pcmFromBytes, plausibleSpeechSeconds, rms } from './helpers/audio.js';
import { frameStarts } from './helpers/frame-starts.js';
import { startTestApp } from './helpers/app.js';

const TEXT = 'Hello from Llais. This sentence streams while the next one is synthesized. And here is a third.';

async function readSse(res: Response): Promise<Array<Record<string, unknown>>> {
  const events: Array<Record<string, unknown>> = [];
  const parser = createParser({ onEvent: (e) => events.push(JSON.parse(e.data) as Record<string, unknown>) });
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
  return events;
}

/** Each delta starts where a frame (page) starts, and the next delta where the next one does. */
function assertWholeFrames(deltas: Buffer[], starts: Set<number>, format: string): void {
  assert.ok(starts.size > 1, `${format}: frames found`);
  const firstFrame = Math.min(...starts);
  let offset = 0;
  for (const [i, d] of deltas.entries()) {
    // FLAC's header (marker and metadata blocks) precedes its first frame.
    const startsOnFrame = starts.has(offset) || (format === 'flac' && i === 0 && offset < firstFrame);
    assert.ok(startsOnFrame, `${format}: delta ${i} starts at byte ${offset}, inside a frame`);
    offset += d.length;
  }
}

function post(app: App, path: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(app.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), ...init });
}

describe('streaming TTS endpoints', () => {
  let app: App;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  it('/v1/tts/stream/ sends PCM deltas, word timings and a done event (eventsource-parser)', async () => {
    const res = await post(app, '/v1/tts/stream/', { text: TEXT, voice: 'en-us' });
    assert.equal(res.status, 200);
    const events = await readSse(res);
    const deltas = events.filter((e) => e.type === 'speech.audio.delta');
    const words = events.filter((e) => e.type === 'speech.word') as Array<{ word: string; start: number; end: number }>;
    const done = events.at(-1) as { type: string; duration: number; uuid: string; credits_used: number };
    assert.equal(done.type, 'speech.audio.done');
    assert.match(done.uuid, /^[0-9a-f]{32}$/);
    assert.equal(done.credits_used, 1);
    const pcm = pcmFromBytes(Buffer.concat(deltas.map((d) => Buffer.from(d.audio as string, 'base64'))));
    const seconds = pcm.length / 24_000;
    assert.ok(Math.abs(seconds - done.duration) < 0.01);
    const { min, max } = plausibleSpeechSeconds(TEXT.length);
    assert.ok(seconds > min && seconds < max, `${seconds} s`);
    assert.ok(rms(pcm) > 300);
    // Words keep the user's spelling and their times climb through the audio.
    assert.ok(words.length >= 10, `${words.length} word events`);
    assert.ok(words.some((w) => w.word.replace(/[^\w]/g, '') === 'Llais'));
    for (let i = 1; i < words.length; i++) assert.ok(words[i]!.start >= words[i - 1]!.start - 1e-6, 'word starts are monotonic');
    assert.ok(words.at(-1)!.end <= seconds + 0.05, 'last word ends inside the audio');
  });

  for (const format of ['mp3', 'aac', 'opus', 'ogg', 'flac'] as const) {
    it(`/v1/tts/stream/ with format ${format}: every delta is whole frames, and the deltas make one valid file`, async () => {
      const res = await post(app, '/v1/tts/stream', { text: TEXT, voice: 'en-us', format });
      const events = await readSse(res);
      const deltas = events.filter((e) => e.type === 'speech.audio.delta').map((d) => Buffer.from(d.audio as string, 'base64'));
      const stream = Buffer.concat(deltas);
      assertWholeFrames(deltas, frameStarts(stream, format), format);
      const pcm = await decodeToPcm(stream, 24_000);
      const done = events.at(-1) as { duration: number };
      assert.ok(Math.abs(pcm.length / 24_000 - done.duration) < 0.15, `${pcm.length / 24_000} vs ${done.duration}`);
      assert.ok(rms(pcm) > 300);
      if (format === 'aac' || format === 'flac') {
        // Decoded as it arrives: each prefix of the deltas is a stream the decoder takes without a complaint.
        for (let k = 1; k <= Math.min(deltas.length, 12); k++) {
          const prefix = Buffer.concat(deltas.slice(0, k));
          const decoded: SpawnSyncReturns<Buffer> = spawnSync(ffmpegPath(), ['-v', 'error', '-f', format, '-i', 'pipe:0', '-f', 's16le', 'pipe:1'], { input: prefix });
          assert.equal(decoded.status, 0);
          assert.equal(decoded.stderr.toString(), '', `prefix of ${k} deltas`);
        }
      }
    });
  }

  it('/v1/audio/speech with stream_format sse and mp3 sends whole MP3 frames per delta', async () => {
    const res = await post(app, '/v1/audio/speech', { model: 'tts-1', voice: 'alloy', input: TEXT, response_format: 'mp3', stream_format: 'sse' });
    assert.equal(res.status, 200);
    const deltas = (await readSse(res)).filter((e) => e.type === 'speech.audio.delta').map((d) => Buffer.from(d.audio as string, 'base64'));
    assert.ok(deltas.length > 1);
    const stream = Buffer.concat(deltas);
    assertWholeFrames(deltas, frameStarts(stream, 'mp3'), 'mp3');
  });

  it('POST /v1/tts/ with stream:true returns the audio itself, chunked', async () => {
    const res = await post(app, '/v1/tts/', { text: TEXT, voice: 'en-us', format: 'wav', stream: true });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'audio/wav');
    assert.equal(res.headers.get('transfer-encoding'), 'chunked');
    const pcm = await decodeToPcm(new Uint8Array(await res.arrayBuffer()), 24_000);
    assert.ok(rms(pcm) > 300);
  });

  it('an input error found before streaming is a 4xx, not a broken stream', async () => {
    const res = await post(app, '/v1/tts/stream/', { text: '<say-as interpret-as="cardinal">12', voice: 'en-us' });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: { param: string } }).error.param, 'text');
  });

  it('a client that aborts an SSE stream mid-way cancels the synthesis: the pool counts it cancelled and runs nothing more of it', async () => {
    const tts = app.context.tts;
    const before = tts.stats();
    const sentences = Array.from({ length: 200 }, (_, i) => `This is sentence number ${i + 1} of a very long text.`).join(' ');
    const controller = new AbortController();
    const res = await post(app, '/v1/tts/stream/', { text: sentences, voice: 'en-us', format: 'mp3' }, { signal: controller.signal });
    assert.equal(res.status, 200);
    // Read up to the first audio delta, then hang up.
    let sawDelta = false;
    const parser = createParser({ onEvent: (e) => (sawDelta ||= (JSON.parse(e.data) as { type: string }).type === 'speech.audio.delta') });
    const reader = res.body!.getReader();
    const text = new TextDecoder();
    while (!sawDelta) {
      const { value, done } = await reader.read();
      assert.ok(!done, 'the stream ended before its first delta');
      parser.feed(text.decode(value, { stream: true }));
    }
    controller.abort();
    await reader.cancel().catch(() => {});
    // Wait on the event itself: the pool records the cancellation.
    const cancelled = (): number => tts.stats().cancelledWhileRunning + tts.stats().droppedWhileQueued;
    const deadline = Date.now() + 10_000;
    while (cancelled() === before.cancelledWhileRunning + before.droppedWhileQueued && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    // A piece on the other worker may still be finishing when the first cancellation is counted.
    const ended = (s: ReturnType<typeof tts.stats>): number => s.completed + s.failed + s.cancelledWhileRunning;
    while (tts.stats().dispatched !== ended(tts.stats()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const after = tts.stats();
    assert.ok(cancelled() > before.cancelledWhileRunning + before.droppedWhileQueued, 'a synthesis task was cancelled');
    assert.equal(tts.queueSize(), 0, 'nothing of it is left queued');
    const dispatched = after.dispatched - before.dispatched;
    assert.ok(dispatched < 15, `only the first pieces reached a worker (${dispatched} of ~40)`);
    // Every task handed to a worker has ended one way or another...
    assert.equal(after.dispatched, ended(after));
    // ...and the workers are free: a new request is served, and it is the only work dispatched since.
    const next = await post(app, '/v1/tts/stream/', { text: 'Next, please.', voice: 'en-us' });
    assert.equal(((await readSse(next)).at(-1) as { type: string }).type, 'speech.audio.done');
    assert.equal(tts.stats().dispatched, after.dispatched + 1, 'the aborted stream asked for no more pieces');
  });

  it('a client that disconnects mid-stream stops the synthesis', async () => {
    const runtime = app.context.tts;
    const engine = runtime.engine('espeak')!;
    let calls = 0;
    let finished = 0;
    const signals: AbortSignal[] = [];
    const original = engine.synthesize.bind(engine);
    const counting: TtsEngine['synthesize'] = (req, signal) => {
      calls++;
      signals.push(signal);
      const inner = original(req, signal);
      return (async function* () {
        yield* inner;
        finished++;
      })();
    };
    (engine as { synthesize: TtsEngine['synthesize'] }).synthesize = counting;
    try {
      const sentences = Array.from({ length: 200 }, (_, i) => `This is sentence number ${i + 1} of a very long text.`).join(' ');
      const controller = new AbortController();
      const res = await post(app, '/v1/tts/', { text: sentences, voice: 'en-us', format: 'pcm', stream: true }, { signal: controller.signal });
      const reader = res.body!.getReader();
      await reader.read();
      controller.abort();
      await reader.cancel().catch(() => {});
      // Wait on the event itself: the server's signal for this request aborts.
      const deadline = Date.now() + 5000;
      while (!signals.every((s) => s.aborted) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.ok(signals.every((s) => s.aborted), 'the engine was told to stop');
      const callsAtAbort = calls;
      // A request served after the disconnect is the only synthesis asked for since (no sleep).
      const next = await post(app, '/v1/tts/', { text: 'Next, please.', voice: 'en-us', format: 'pcm', stream: true });
      assert.ok((await next.arrayBuffer()).byteLength > 0);
      assert.equal(calls, callsAtAbort + 1, 'no new pieces were requested after the disconnect');
      assert.ok(calls < 15, `only the first pieces were synthesized (${calls} of ~40)`);
      assert.ok(finished < calls || calls <= 2, 'in-flight pieces were cut short');
    } finally {
      (engine as { synthesize: TtsEngine['synthesize'] }).synthesize = original;
    }
  });
});
