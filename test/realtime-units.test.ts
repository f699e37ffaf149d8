import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../src/errors.js';
import type { AudioChunk } from '../src/audio/pcm.js';
import { EchoResponder } from '../src/llm/echo.js';
import { InputDecoder, OutputEncoder } from '../src/realtime/openai/audio-io.js';
import { ClientEventError, parseClientEvent } from '../src/realtime/openai/client-events.js';
import { Conversation } from '../src/realtime/openai/conversation.js';
import { parseClientItem } from '../src/realtime/openai/items.js';
import { InputBuffer } from '../src/realtime/openai/input-buffer.js';
import { StepQueue } from '../src/realtime/openai/step-queue.js';
import { canonicalClientType, dialectOf, outgoingName } from '../src/realtime/openai/protocol.js';
import { ResponseRun } from '../src/realtime/openai/response-run.js';
import { applySessionUpdate, defaultSessionConfig, sessionObject } from '../src/realtime/openai/session-config.js';

const known = (v: string): void => {
  if (v === 'nope') throw new ApiError('voice_not_found', `Unknown voice '${v}'.`, 'voice');
  if (v === 'af_bella') throw new ApiError('model_not_installed', 'Install it with `llais models pull kokoro`.', 'model');
};

describe('realtime session config', () => {
  const base = defaultSessionConfig('sess_1', 'gpt-realtime', 'flite-slt');

  it('takes the GA nested shape and the beta flat shape to the same settings', () => {
    const ga = applySessionUpdate(base, {
      type: 'realtime',
      audio: {
        input: { format: { type: 'audio/pcmu' }, turn_detection: { type: 'server_vad', threshold: 0.7, silence_duration_ms: 300 }, transcription: { model: 'whisper-1', language: 'en' } },
        output: { format: { type: 'audio/pcma' }, voice: 'alloy', speed: 1.2 },
      },
      output_modalities: ['text'],
    }, known, false);
    const beta = applySessionUpdate(base, {
      input_audio_format: 'g711_ulaw',
      output_audio_format: 'g711_alaw',
      turn_detection: { type: 'server_vad', threshold: 0.7, silence_duration_ms: 300 },
      input_audio_transcription: { model: 'whisper-1', language: 'en' },
      voice: 'alloy',
      speed: 1.2,
      modalities: ['text'],
    }, known, false);
    assert.deepEqual(ga, beta);
    assert.equal(ga.inputFormat, 'audio/pcmu');
    assert.equal(ga.turnDetection?.threshold, 0.7);
    assert.equal(ga.turnDetection?.prefixPaddingMs, 300, 'unspecified fields keep their defaults');
    const gaObj = sessionObject(ga, 'ga', 0) as { audio: { input: { format: object } } };
    assert.deepEqual(gaObj.audio.input.format, { type: 'audio/pcmu' });
    assert.equal((sessionObject(ga, 'beta', 0) as { input_audio_format: string }).input_audio_format, 'g711_ulaw');
  });

  it('rejects a bad update whole, naming the field, and locks the voice once it has spoken', () => {
    const cases: Array<[unknown, string]> = [
      [{ audio: { input: { format: { type: 'audio/pcm', rate: 16000 } } } }, 'session.audio.input.format.rate'],
      [{ audio: { output: { format: { type: 'audio/opus' } } } }, 'session.audio.output.format'],
      [{ turn_detection: { silence_duration_ms: -1 } }, 'session.turn_detection.silence_duration_ms'],
      [{ tools: [{ type: 'function', name: 'bad name!' }] }, 'session.tools[0].name'],
      [{ voice: 'nope' }, 'session.voice'],
      [{ instructions: 'fine', speed: 9 }, 'session.speed'],
    ];
    for (const [update, param] of cases) {
      assert.throws(() => applySessionUpdate(base, update, known, false), (e: ApiError) => e.status === 400 && e.param === param, JSON.stringify(update));
    }
    assert.throws(() => applySessionUpdate(base, { voice: 'alloy' }, known, true), (e: ApiError) => e.code === 'cannot_update_voice');
    assert.throws(() => applySessionUpdate(base, { voice: 'af_bella' }, known, false), (e: ApiError) => e.status === 424 && e.param === 'session.voice' && /models pull kokoro/.test(e.message));
    assert.equal(applySessionUpdate(base, { voice: 'flite-slt' }, known, true).voice, 'flite-slt', 'the same voice is not a change');
    assert.equal(applySessionUpdate(base, { turn_detection: { type: 'semantic_vad', eagerness: 'high' } }, known, false).turnDetection?.silenceDurationMs, 350);
  });
});

describe('realtime protocol names', () => {
  it('maps beta names both ways and picks the dialect from the handshake', () => {
    assert.equal(outgoingName('response.output_audio.delta', 'beta'), 'response.audio.delta');
    assert.equal(outgoingName('conversation.item.added', 'beta'), 'conversation.item.created');
    assert.equal(outgoingName('conversation.item.done', 'beta'), null);
    assert.equal(outgoingName('response.output_audio.delta', 'ga'), 'response.output_audio.delta');
    assert.equal(canonicalClientType('response.text.delta'), 'response.output_text.delta');
    assert.equal(dialectOf({ 'openai-beta': 'realtime=v1' }, []), 'beta');
    assert.equal(dialectOf({}, ['realtime', 'openai-beta.realtime-v1']), 'beta');
    assert.equal(dialectOf({}, []), 'ga');
    assert.throws(() => parseClientEvent('[1]'), (e: ApiError) => e.code === 'invalid_event');
  });

  it('parses client events into one typed union, naming the faulty field and echoing the event_id', () => {
    const append = parseClientEvent('{"type":"input_audio_buffer.append","audio":"AAAA","event_id":"e1"}');
    assert.equal(append.type, 'input_audio_buffer.append');
    if (append.type === 'input_audio_buffer.append') assert.equal(append.audio, 'AAAA');
    const cases: Array<[object, string, string | null]> = [
      [{ type: 'nonsense', event_id: 'e2' }, 'unknown_event', 'type'],
      [{ type: 'input_audio_buffer.append', event_id: 'e2' }, 'missing_required_parameter', 'audio'],
      [{ type: 'input_audio_buffer.append', audio: 5, event_id: 'e2' }, 'invalid_type', 'audio'],
      [{ type: 'conversation.item.truncate', item_id: 'i', audio_end_ms: -1, event_id: 'e2' }, 'invalid_value', 'audio_end_ms'],
      [{ type: 'conversation.item.delete', event_id: 'e2' }, 'missing_required_parameter', 'item_id'],
    ];
    for (const [event, code, param] of cases) {
      assert.throws(
        () => parseClientEvent(JSON.stringify(event)),
        (e: ApiError) => e.code === code && e.param === param && e instanceof ClientEventError && e.clientEventId === 'e2',
        JSON.stringify(event),
      );
    }
  });
});

describe('realtime input steps', () => {
  it('refuses a step that would pass the byte bound, runs the rest in order, and frees the bound as steps finish', async () => {
    const failures: unknown[] = [];
    const q = new StepQueue(100, (err) => failures.push(err));
    const ran: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    assert.equal(q.offer(async () => { await gate; ran.push('a'); }, { bytes: 60 }), true);
    assert.equal(q.offer(() => { ran.push('b'); }, { bytes: 40 }), true);
    assert.equal(q.offer(() => { ran.push('c'); }, { bytes: 1 }), false, 'over the bound: refused');
    assert.equal(q.offer(() => { ran.push('d'); }), true, 'steps without audio still queue');
    assert.equal(q.waitingBytes, 100);
    release();
    await new Promise<void>((r) => q.offer(r));
    assert.deepEqual(ran, ['a', 'b', 'd']);
    assert.equal(q.waitingBytes, 0);
    assert.equal(q.offer(() => { ran.push('e'); }, { bytes: 100 }), true);
    assert.deepEqual(failures, []);
  });
});

describe('realtime conversation', () => {
  it('groups a reply\'s tool calls into one assistant message and keeps tool outputs paired', () => {
    const c = new Conversation();
    c.add(parseClientItem({ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'weather?' }] }));
    c.add(parseClientItem({ type: 'function_call', call_id: 'c1', name: 'a', arguments: '{}' }));
    c.add(parseClientItem({ type: 'function_call', call_id: 'c2', name: 'b', arguments: '{}' }));
    c.add(parseClientItem({ type: 'function_call_output', call_id: 'c1', output: 'x' }));
    c.add(parseClientItem({ type: 'function_call_output', call_id: 'c2', output: 'y' }));
    const m = c.toChatMessages('sys');
    assert.deepEqual(m.map((x) => x.role), ['system', 'user', 'assistant', 'tool', 'tool']);
    assert.equal((m[2] as { tool_calls: unknown[] }).tool_calls.length, 2);
  });

  it('inserts after previous_item_id, at the start for null, and refuses duplicates', () => {
    const c = new Conversation();
    const a = parseClientItem({ id: 'a', type: 'message', role: 'user', content: [{ type: 'input_text', text: 'A' }] });
    const b = parseClientItem({ id: 'b', type: 'message', role: 'user', content: [{ type: 'input_text', text: 'B' }] });
    const z = parseClientItem({ id: 'z', type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Z' }] });
    assert.equal(c.add(a), null);
    assert.equal(c.add(b), 'a');
    assert.equal(c.add(z, null), null);
    assert.deepEqual(c.toChatMessages('').map((x) => x.content), ['Z', 'A', 'B']);
    assert.throws(() => c.add(a), (e: ApiError) => e.code === 'duplicate_item_id');
  });

  it('sends the LLM only the recent whole turns within the history budget, after the instructions', () => {
    const c = new Conversation();
    for (let i = 1; i <= 5; i++) {
      c.add(parseClientItem({ type: 'message', role: 'user', content: [{ type: 'input_text', text: `u${i}`.padEnd(100, '.') }] }));
      c.add(parseClientItem({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: `a${i}`.padEnd(100, '.') }] }));
    }
    assert.equal(c.toChatMessages('sys').length, 11, 'within the default budget: everything');
    const cut = c.toChatMessages('sys', 450);
    assert.deepEqual(cut.map((m) => (m.content ?? '').slice(0, 3)), ['sys', 'u4.', 'a4.', 'u5.', 'a5.']);
  });

  it('is the only writer of its items: what get() returns is a copy of what was added', () => {
    const c = new Conversation();
    const item = parseClientItem({ id: 'x', type: 'message', role: 'user', content: [{ type: 'input_audio', transcript: null }] });
    c.add(item);
    (item as { status: string }).status = 'incomplete';
    assert.equal(c.get('x')!.status, 'completed');
    c.setInputTranscript('x', 0, 'hello');
    assert.deepEqual(c.toChatMessages(''), [{ role: 'user', content: 'hello' }]);
  });
});

describe('realtime audio edges', () => {
  it('joins a PCM sample split across two appends', async () => {
    const d = await InputDecoder.create('audio/pcm');
    const bytes = Buffer.from(Int16Array.of(1000, -2000, 3000).buffer);
    const a = d.decode(bytes.subarray(0, 3));
    const b = d.decode(bytes.subarray(3));
    assert.deepEqual([...a, ...b], [1000, -2000, 3000]);
  });

  it('keeps only the padding while no turn is open, on a clock that never resets', () => {
    const buf = new InputBuffer();
    for (let i = 0; i < 50; i++) buf.append(new Int16Array(320).fill(i)); // 50 x 20 ms at 16 kHz
    buf.trimTo(300);
    assert.ok(buf.bufferedMs >= 300 && buf.bufferedMs <= 320, `${buf.bufferedMs}`);
    assert.equal(buf.endMs, 1000);
    const tail = buf.from(960);
    assert.equal(tail.length, 640);
    assert.equal(tail[0], 48);
    buf.clear();
    assert.equal(buf.endMs, 1000);
  });

  it('encodes session audio to 8 kHz G.711 at a third of the samples', () => {
    const enc = new OutputEncoder('audio/pcmu');
    const out = enc.encode(new Int16Array(2400));
    const tail = enc.flush();
    assert.ok(Math.abs(out.length + tail.length - 800) <= 2);
  });
});

describe('realtime response truncation', () => {
  it('cuts the transcript at the words heard, by word timings, else by share of characters', async () => {
    const sentences = ['One two three four.', 'Five six seven eight.'];
    const events: Array<{ type: string }> = [];
    const { Conversation: C } = await import('../src/realtime/openai/conversation.js');
    const make = (withWords: boolean): ResponseRun =>
      new ResponseRun(
        {
          responder: new EchoResponder(),
          // 1 s of audio per sentence; words evenly spread when given.
          async *synthesize(text: string): AsyncGenerator<AudioChunk> {
            const words = text.split(' ').map((w, i, all) => ({ word: w, start: i / all.length, end: (i + 1) / all.length }));
            yield { pcm: new Int16Array(24000).fill(100), sampleRateHz: 24000, ...(withWords ? { words } : {}) };
          },
          send: (e) => events.push(e),
          drained: async () => {},
          conversation: new C(),
          dialect: 'ga',
          onInternalError: (err) => assert.fail(String(err)),
        },
        {
          messages: [{ role: 'user', content: sentences.join(' ') }],
          tools: [],
          modalities: ['audio'],
          encoder: new OutputEncoder('audio/pcm'),
          voice: 'v',
          inConversation: true,
          metadata: null,
        },
        new AbortController().signal,
      );
    const timed = make(true);
    await timed.done;
    assert.equal(timed.truncatedTranscript(1500), 'One two three four. Five six');
    assert.equal(timed.truncatedTranscript(2500), sentences.join(' '));
    assert.equal(timed.truncatedTranscript(0), '');
    const untimed = make(false);
    await untimed.done;
    assert.equal(untimed.truncatedTranscript(1500), 'One two three four. Five six');
    const done = events.filter((e) => e.type === 'response.done');
    assert.equal(done.length, 2);
  });
});
