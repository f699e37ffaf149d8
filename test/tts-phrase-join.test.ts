import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { joinKind, LeadingSilence, TrailingSilence } from '../src/tts/phrase-join.js';

const RATE = 24_000;
const ms = (n: number): number => Math.round((n / 1000) * RATE);

/** `silenceMs` of low-level noise (like an engine's lead-in) around `soundMs` of a tone. */
function utterance(leadMs: number, soundMs: number, tailMs: number): Int16Array {
  const out = new Int16Array(ms(leadMs) + ms(soundMs) + ms(tailMs));
  for (let i = 0; i < out.length; i++) out[i] = i % 7 === 0 ? 3 : -2;
  for (let i = 0; i < ms(soundMs); i++) out[ms(leadMs) + i] = Math.round(8000 * Math.sin((2 * Math.PI * 220 * i) / RATE)) || 500;
  return out;
}

function inChunks(pcm: Int16Array, size: number): Int16Array[] {
  const chunks: Int16Array[] = [];
  for (let at = 0; at < pcm.length; at += size) chunks.push(pcm.subarray(at, at + size));
  return chunks;
}

function run(pcm: Int16Array, size: number, stage: { push(p: Int16Array): Int16Array; end(): Int16Array }): Int16Array {
  const parts = [...inChunks(pcm, size).map((c) => stage.push(c)), stage.end()];
  return Int16Array.from(parts.flatMap((p) => [...p]));
}

describe('joinKind', () => {
  it('a cut after a comma, semicolon or dash pauses like a clause; anywhere else like a phrase', () => {
    assert.equal(joinKind('The morning train left'), 'phrase');
    assert.equal(joinKind('In the beginning,'), 'clause');
    assert.equal(joinKind('Well — '), 'clause');
    assert.equal(joinKind('said (quietly);'), 'clause');
  });
});

describe('TrailingSilence', () => {
  for (const size of [240, 2400, 100_000]) {
    it(`keeps the sound and 40 ms of the trailing silence after a phrase (chunks of ${size})`, () => {
      const input = utterance(200, 500, 230);
      const out = run(input, size, new TrailingSilence('phrase'));
      assert.equal(out.length, ms(200) + ms(500) + ms(40));
      assert.deepEqual(out, input.subarray(0, out.length));
    });
  }
  it('passes pauses inside the piece whole', () => {
    const input = Int16Array.from([...utterance(0, 300, 300), ...utterance(0, 300, 200)]);
    const out = run(input, 480, new TrailingSilence('clause'));
    assert.equal(out.length, ms(300) + ms(300) + ms(300) + ms(100));
  });
});

describe('LeadingSilence', () => {
  for (const size of [240, 2400, 100_000]) {
    it(`drops the lead-in but 20 ms before a phrase's continuation (chunks of ${size})`, () => {
      const input = utterance(220, 500, 100);
      const stage = new LeadingSilence('phrase');
      const out = run(input, size, stage);
      assert.equal(stage.dropped, ms(200));
      assert.equal(out.length, input.length - ms(200));
      assert.deepEqual(out, input.subarray(ms(200)));
    });
  }
  it('a piece that is all silence leaves only the pause', () => {
    const stage = new LeadingSilence('clause');
    const out = run(utterance(300, 0, 0), 480, stage);
    assert.equal(out.length, ms(50));
  });
});

it('the join of two halves is as long as the pause, with no jump at the seam', () => {
  const first = run(utterance(220, 600, 150), 960, new TrailingSilence('phrase'));
  const second = run(utterance(210, 700, 230), 960, new LeadingSilence('phrase'));
  const joined = Int16Array.from([...first, ...second]);
  let gap = 0;
  let longest = 0;
  for (let i = ms(220); i < joined.length - ms(230); i++) {
    gap = Math.abs(joined[i]!) <= 100 ? gap + 1 : 0;
    longest = Math.max(longest, gap);
  }
  assert.ok(longest <= ms(60) + 1, `longest silence inside the sentence ${longest} samples`);
  const seam = first.length;
  assert.ok(Math.abs(joined[seam]! - joined[seam - 1]!) <= 400, 'no step at the seam');
});
