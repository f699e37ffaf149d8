import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EchoResponder } from '../src/llm/echo.js';
import { sentencesFrom, type SentenceEvent } from '../src/llm/sentences-from-llm.js';
import type { LlmEvent } from '../src/llm/types.js';

/** Streams `tokens` as deltas, logging each one so the test sees what was sent when. */
async function* tokens(list: string[], log: string[], tail: LlmEvent[] = []): AsyncGenerator<LlmEvent> {
  for (const t of list) {
    log.push(`token ${JSON.stringify(t)}`);
    yield { type: 'text.delta', delta: t };
  }
  for (const ev of tail) yield ev;
  log.push('done');
  yield { type: 'done', finishReason: 'stop' };
}

async function collect(events: AsyncIterable<SentenceEvent>, log: string[]): Promise<SentenceEvent[]> {
  const out: SentenceEvent[] = [];
  for await (const ev of events) {
    if (ev.type === 'sentence') log.push(`sentence ${ev.text}`);
    out.push(ev);
  }
  return out;
}

describe('sentencesFrom', () => {
  it('releases each sentence as soon as the next word shows it has ended', async () => {
    const log: string[] = [];
    await collect(sentencesFrom(tokens(['Hello', ' there.', ' How', ' are you', '? I am', ' fine.'], log)), log);
    assert.deepEqual(log, [
      'token "Hello"',
      'token " there."',
      'token " How"',
      'sentence Hello there.',
      'token " are you"',
      'token "? I am"',
      'sentence How are you?',
      'token " fine."',
      'done',
      'sentence I am fine.',
    ]);
  });

  it('does not end a sentence at an abbreviation', async () => {
    const log: string[] = [];
    const out = await collect(sentencesFrom(tokens(['Ask Dr. ', 'Jones. ', 'She ', 'knows.'], log)), log);
    assert.deepEqual(
      out.filter((e) => e.type === 'sentence').map((e) => e.text),
      ['Ask Dr. Jones.', 'She knows.'],
    );
  });

  it('cuts a sentence longer than maxChars, and the first one at firstChunkMaxChars', async () => {
    const words = Array.from({ length: 40 }, (_, i) => `word${i}`);
    const out = await collect(
      sentencesFrom(tokens(words.map((w) => `${w} `), []), { firstChunkMaxChars: 30, maxChars: 80 }),
      [],
    );
    const sentences = out.flatMap((e) => (e.type === 'sentence' ? [e.text] : []));
    assert.ok(sentences[0]!.length <= 30);
    for (const s of sentences.slice(1)) assert.ok(s.length <= 80, s);
    assert.equal(sentences.join(' '), words.join(' '));
  });

  it('flushes text before a tool call and passes the call and done through in order', async () => {
    const call: LlmEvent = { type: 'tool_call', id: 'c1', name: 'lookup', arguments: '{}' };
    const out = await collect(sentencesFrom(tokens(['Let me check', ' that'], [], [call])), []);
    assert.deepEqual(
      out.map((e) => e.type),
      ['sentence', 'tool_call', 'done'],
    );
    assert.deepEqual(out[0], { type: 'sentence', text: 'Let me check that' });
  });
});

describe('EchoResponder', () => {
  const signal = new AbortController().signal;

  it('says back the last user message word by word', async () => {
    const events: LlmEvent[] = [];
    const echo = new EchoResponder();
    for await (const ev of echo.reply(
      [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'first' },
        { role: 'user', content: 'Hello there. How are you?' },
      ],
      { signal },
    )) {
      events.push(ev);
    }
    const deltas = events.flatMap((e) => (e.type === 'text.delta' ? [e.delta] : []));
    assert.deepEqual(deltas, ['Hello ', 'there. ', 'How ', 'are ', 'you?']);
    assert.deepEqual(events.at(-1), { type: 'done', finishReason: 'stop' });
  });

  it('stops at maxOutputTokens (a word each) with finish reason length', async () => {
    const events: LlmEvent[] = [];
    for await (const ev of new EchoResponder().reply([{ role: 'user', content: 'one two three four five' }], { signal, maxOutputTokens: 3 })) events.push(ev);
    assert.deepEqual(events, [
      { type: 'text.delta', delta: 'one ' },
      { type: 'text.delta', delta: 'two ' },
      { type: 'text.delta', delta: 'three ' },
      { type: 'done', finishReason: 'length' },
    ]);
  });

  it('says a fixed prompt when the user said nothing', async () => {
    const out = await collect(sentencesFrom(new EchoResponder().reply([{ role: 'user', content: '  ' }], { signal })), []);
    assert.deepEqual(out[0], { type: 'sentence', text: "I didn't catch that." });
  });

  it('stops with the abort reason when the turn is aborted', async () => {
    const ac = new AbortController();
    const seen: string[] = [];
    await assert.rejects(async () => {
      for await (const ev of new EchoResponder().reply([{ role: 'user', content: 'one two three' }], { signal: ac.signal })) {
        if (ev.type === 'text.delta') seen.push(ev.delta);
        ac.abort();
      }
    }, { name: 'AbortError' });
    assert.deepEqual(seen, ['one ']);
  });
});
