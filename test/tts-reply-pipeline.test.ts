/**
 * The streaming-reply pipeline's parts without sockets or engines: look-ahead order, cancel of
 * work started ahead, and one signal stopping the LLM and the synthesis together.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AudioChunk } from '../src/audio/pcm.js';
import type { LlmEvent } from '../src/llm/types.js';
import { LookAheadQueue } from '../src/tts/look-ahead.js';
import { speakReply } from '../src/tts/reply-pipeline.js';

const chunk = (n = 240): AudioChunk => ({ pcm: new Int16Array(n).fill(1), sampleRateHz: 24000 });

/** A fake synthesis of `count` chunks that logs its start (with `continuation`), each chunk and its stop. */
function fakeSynth(log: string[], count = 2) {
  return (text: string, continuation: boolean): AsyncIterator<AudioChunk> => {
    log.push(`start ${text}${continuation ? ' (continuation)' : ''}`);
    return (async function* () {
      try {
        for (let i = 0; i < count; i++) yield chunk();
      } finally {
        log.push(`stop ${text}`);
      }
    })();
  };
}

describe('LookAheadQueue', () => {
  it('starts sentence N+1 when N produces its first audio, not before, and only the first jumps the queue', async () => {
    const log: string[] = [];
    const q = new LookAheadQueue<string>(fakeSynth(log));
    q.pushSentence('A');
    q.pushSentence('B');
    q.pushMark('m');
    q.pushSentence('C');
    q.end();
    for await (const entry of q.entries(new AbortController().signal)) {
      if (entry.type === 'mark') log.push(`mark ${entry.mark}`);
      else for await (const _ of entry.chunks) log.push(`chunk ${entry.text}`);
    }
    assert.deepEqual(log, [
      'start A',
      'start B (continuation)',
      'chunk A',
      'chunk A',
      'stop A',
      // B's first audio: nothing to start ahead (a mark is next).
      'chunk B',
      'chunk B',
      'stop B',
      'mark m',
      'start C (continuation)',
      'chunk C',
      'chunk C',
      'stop C',
    ]);
  });

  it('clear() drops what is queued and stops a synthesis started ahead', async () => {
    const log: string[] = [];
    const q = new LookAheadQueue<never>(fakeSynth(log, 3));
    q.pushSentence('A');
    q.pushSentence('B');
    q.pushSentence('C');
    const entries = q.entries(new AbortController().signal);
    const first = (await entries.next()).value;
    assert.equal(first?.type, 'sentence');
    const chunks = (first as { chunks: AsyncIterable<AudioChunk> }).chunks[Symbol.asyncIterator]();
    await chunks.next(); // A produces: B starts ahead
    assert.equal(q.queuedChars, 2);
    await q.clear();
    assert.equal(q.queuedChars, 0);
    await chunks.return?.();
    q.end();
    assert.equal((await entries.next()).done, true);
    assert.deepEqual(log, ['start A', 'start B (continuation)', 'stop B', 'stop A']);
  });
});

describe('speakReply', () => {
  it('one abort stops the LLM stream and the synthesis in progress', async () => {
    const log: string[] = [];
    const ac = new AbortController();
    const reply = async function* (signal: AbortSignal): AsyncGenerator<LlmEvent> {
      try {
        yield { type: 'text.delta', delta: 'First sentence here. Second ' };
        // The LLM goes on writing until told to stop.
        await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
      } finally {
        log.push('llm stopped');
      }
    };
    const frames = speakReply(reply, {
      signal: ac.signal,
      synthesize: (text, _continuation, signal) =>
        (async function* () {
          try {
            for (;;) {
              signal.throwIfAborted();
              yield chunk();
              await new Promise((r) => setImmediate(r));
            }
          } finally {
            log.push(`synthesis of "${text}" stopped`);
          }
        })(),
    });
    const seen: string[] = [];
    await assert.rejects(async () => {
      for await (const f of frames) {
        seen.push(f.type);
        if (f.type === 'audio' && seen.filter((t) => t === 'audio').length === 3) ac.abort(new Error('barge-in'));
      }
    }, /barge-in/);
    assert.deepEqual(seen.slice(0, 2), ['sentence.started', 'audio']);
    assert.ok(log.includes('llm stopped'), log.join('; '));
    assert.ok(log.includes('synthesis of "First sentence here." stopped'), log.join('; '));
  });

  it('passes tool calls and done through after the text before them', async () => {
    const reply = async function* (): AsyncGenerator<LlmEvent> {
      yield { type: 'text.delta', delta: 'Let me check' };
      yield { type: 'tool_call', id: 'c', name: 'f', arguments: '{}' };
      yield { type: 'done', finishReason: 'tool_calls' };
    };
    const types: string[] = [];
    for await (const f of speakReply(reply, { signal: new AbortController().signal, synthesize: () => (async function* () { yield chunk(); })() })) {
      types.push(f.type === 'sentence.started' ? `sentence ${f.text}` : f.type);
    }
    assert.deepEqual(types, ['sentence Let me check', 'audio', 'sentence.done', 'tool_call', 'done']);
  });
});
