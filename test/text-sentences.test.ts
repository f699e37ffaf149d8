import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_MAX_CHARS, FIRST_PHRASE_MAX_CHARS, SentenceSplitter, splitPieces, splitSentences, type SplitOptions } from '../src/text/sentences.js';

const normalize = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** The invariants every split must keep, whatever the text. */
function assertWellFormed(text: string, chunks: string[], opts: SplitOptions = {}): void {
  // The chunks, in order, are the normalised text cut at spaces (or, inside unspaced text such
  // as CJK or an overlong token, between two characters): nothing lost, added or reordered.
  const normalized = normalize(text);
  let at = 0;
  for (const chunk of chunks) {
    assert.equal(normalized.slice(at, at + chunk.length), chunk, `chunk at ${at} does not continue the text`);
    at += chunk.length;
    if (normalized[at] === ' ') at++;
  }
  assert.equal(at, normalized.length, 'chunks cover the whole text');
  chunks.forEach((chunk, i) => {
    assert.ok(chunk.length > 0, 'no empty chunk');
    assert.equal(chunk, chunk.trim(), 'chunks are trimmed');
    const limit = i === 0 ? (opts.firstChunkMaxChars ?? FIRST_PHRASE_MAX_CHARS) : (opts.maxChars ?? DEFAULT_MAX_CHARS);
    // A first word longer than the first limit is kept whole (up to the later limit).
    const wholeFirstWord = i === 0 && !chunk.includes(' ') && chunk.length <= (opts.maxChars ?? DEFAULT_MAX_CHARS);
    assert.ok(chunk.length <= limit || wholeFirstWord, `chunk ${i} is over its limit: ${chunk}`);
  });
}

function split(text: string, opts?: SplitOptions): string[] {
  const chunks = splitSentences(text, opts);
  assertWellFormed(text, chunks, opts);
  return chunks;
}

/** Feeds `pieces` one by one, collecting everything the splitter emits. */
function stream(pieces: string[], opts?: SplitOptions): string[] {
  const splitter = new SentenceSplitter(opts);
  const out: string[] = [];
  for (const piece of pieces) out.push(...splitter.push(piece));
  out.push(...splitter.flush());
  return out;
}

const ARTICLE = [
  'Dr. Smith arrived at 3.30 p.m. on Jan. 5 with Mrs. Jones, e.g. the usual crowd, i.e. nobody new.',
  'The U.S. Army paid $3.14 for it; the rest (approx. 2.5 million) went elsewhere!',
  'Was it worth it? Nobody knows… Well... perhaps J. R. R. Tolkien did.',
  'Email bob@example.com or visit https://example.com/a.b?c=d. Thanks!',
  '"Stop!" he said. "Why?" she asked.',
  '',
  'Chapter 2',
  '',
  'This sentence is deliberately long, running on and on with clauses; it has commas, semicolons: and colons — and dashes - so that it must be cut somewhere inside because it is far longer than the two hundred and fifty characters allowed for one chunk of speech, which is the default limit.',
  '今天天气很好。我们去公园散步吧！你呢？',
  'No. 5 is the answer. The answer is no. Fig. 3 shows it.',
].join('\n');

describe('splitSentences: first chunk', () => {
  it('ends at the first sentence end when it is short', () => {
    assert.deepEqual(split('Hi there. This is the rest of it.'), ['Hi there.', 'This is the rest of it.']);
  });
  it('is a short phrase of a long first sentence, not the whole sentence', () => {
    const text = 'The morning train left the station on time. Passengers read.';
    assert.deepEqual(split(text), ['The morning train left', 'the station on time.', 'Passengers read.']);
    // The splitter says which pieces end inside their sentence: there the next one joins tightly.
    assert.deepEqual(splitPieces(text).midSentence, [true, false, false]);
    assert.deepEqual(splitPieces('Chapter 1\n\nIt was night.').midSentence, [false, false], 'a paragraph break is not inside a sentence');
    assert.deepEqual(splitPieces('In the beginning, God created the heavens.').midSentence, [true, false]);
  });
  it('ends at a clause boundary of at least a third of the limit', () => {
    assert.equal(split('Good morning, everyone in the room, and welcome to the annual meeting.')[0], 'Good morning,');
    const long = { firstChunkMaxChars: 60 };
    assert.equal(split('Good morning, everyone in the room, and welcome to the annual meeting of the society of people.', long)[0], 'Good morning, everyone in the room,');
  });
  it('ignores clause boundaries that would make the phrase too short', () => {
    // "Well," is under 8 characters; the cut falls before the phrase opener "that" instead.
    assert.equal(split('Well, I suppose that we could go there tomorrow if the weather holds.')[0], 'Well, I suppose');
    const long = { firstChunkMaxChars: 60 };
    assert.equal(split('Well, I suppose that we could go there tomorrow if the weather holds up for us, or not.', long)[0], 'Well, I suppose that we could go there tomorrow if');
  });
  it('cuts before the last phrase-opening word inside the limit', () => {
    assert.equal(split('I would like to book a table for two people at eight tonight.')[0], 'I would like to book');
    // An opener that would end past the limit does not count.
    assert.equal(split('The morning train left the station.')[0], 'The morning train left');
  });
  it('ends at a word boundary near the limit when there is no punctuation or opener', () => {
    const text = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen';
    assert.equal(split(text)[0], 'one two three four five');
    assert.equal(split(text, { firstChunkMaxChars: 60 })[0], 'one two three four five six seven eight nine ten eleven');
  });
  it('keeps a first word longer than the limit whole', () => {
    const text = 'Supercalifragilisticexpialidocious is a very long word.';
    assert.equal(split(text)[0], 'Supercalifragilisticexpialidocious');
    assert.deepEqual(stream(text.split(/(?<=c)/)), split(text));
    assert.deepEqual(split('Supercalifragilisticexpialidocious'), ['Supercalifragilisticexpialidocious']);
  });
  it('honours firstChunkMaxChars', () => {
    const chunks = split('alpha beta gamma delta epsilon zeta eta theta', { firstChunkMaxChars: 20 });
    assert.equal(chunks[0], 'alpha beta gamma');
  });
  it('cuts unspaced text (CJK without punctuation) hard at the limit', () => {
    const text = '天'.repeat(70);
    assert.deepEqual(split(text), ['天'.repeat(FIRST_PHRASE_MAX_CHARS), '天'.repeat(70 - FIRST_PHRASE_MAX_CHARS)]);
    assert.deepEqual(split(text, { firstChunkMaxChars: 60 }), ['天'.repeat(60), '天'.repeat(10)]);
  });
  it('never splits a surrogate pair', () => {
    const chunks = split('😀'.repeat(40), { firstChunkMaxChars: 61, maxChars: 70 });
    assert.equal(chunks[0], '😀'.repeat(30));
  });
});

describe('splitSentences: later chunks', () => {
  it('merges whole sentences up to maxChars', () => {
    const text = 'First. Second sentence here. Third sentence here. Fourth one.';
    assert.deepEqual(split(text, { firstChunkMaxChars: 60 }), ['First.', 'Second sentence here. Third sentence here. Fourth one.']);
    assert.deepEqual(split(text, { maxChars: 30 }), ['First.', 'Second sentence here.', 'Third sentence here.', 'Fourth one.']);
  });
  it('splits a sentence longer than maxChars at a clause boundary, else a word boundary', () => {
    const long = 'Start. Then ' + 'word '.repeat(30).trim() + ', then ' + 'more '.repeat(20).trim() + '.';
    const chunks = split(long, { firstChunkMaxChars: 200, maxChars: 200 });
    assert.deepEqual(chunks.slice(0, 2), ['Start.', `Then ${'word '.repeat(30).trim()},`]);
    const noClauses = 'Start. ' + 'word '.repeat(80).trim() + '.';
    for (const chunk of split(noClauses, { firstChunkMaxChars: 100, maxChars: 100 }).slice(1)) assert.match(chunk, /^word( word)*\.?$/);
  });
  it('does not split on abbreviations, decimals, initials, URLs or ellipses inside a sentence', () => {
    assert.deepEqual(split(ARTICLE, { firstChunkMaxChars: 100, maxChars: 100 }), [
      'Dr. Smith arrived at 3.30 p.m. on Jan. 5 with Mrs. Jones, e.g. the usual crowd, i.e. nobody new.',
      'The U.S. Army paid $3.14 for it; the rest (approx. 2.5 million) went elsewhere! Was it worth it?',
      'Nobody knows… Well... perhaps J. R. R. Tolkien did.',
      'Email bob@example.com or visit https://example.com/a.b?c=d. Thanks! "Stop!" he said.',
      '"Why?" she asked.',
      'Chapter 2',
      'This sentence is deliberately long, running on and on with clauses; it has commas, semicolons:',
      'and colons — and dashes - so that it must be cut somewhere inside because it is far longer than the',
      'two hundred and fifty characters allowed for one chunk of speech, which is the default limit.',
      '今天天气很好。我们去公园散步吧！你呢？ No. 5 is the answer. The answer is no. Fig. 3 shows it.',
    ]);
  });
  it('grows later chunks: twice the first limit, then four times, up to maxChars', () => {
    const sentence = 'This is a sentence of words.'; // 28 characters
    const chunks = split(Array.from({ length: 12 }, () => sentence).join(' '), { firstChunkMaxChars: 30, maxChars: 120 });
    assert.deepEqual(chunks.map((c) => c.length), [28, 57, 115, 115, 28]);
  });
  it('keeps a paragraph break as a chunk boundary', () => {
    assert.deepEqual(split('Chapter 1\n\nIt was a dark night.\nStill dark.'), ['Chapter 1', 'It was a dark night. Still dark.']);
  });
  it('handles CJK sentence ends without spaces', () => {
    assert.deepEqual(split('今天天气很好。我们去公园散步吧！你呢？', { maxChars: 10 }), ['今天天气很好。', '我们去公园散步吧！', '你呢？']);
  });
  it('keeps closing quotes with their sentence and does not end at a quote followed by lower case', () => {
    assert.deepEqual(split('"Stop!" he said. "Why?" She asked.', { firstChunkMaxChars: 60, maxChars: 12 }), [
      '"Stop!" he said.',
      '"Why?"',
      'She asked.',
    ]);
  });
  it('returns nothing for blank text', () => {
    assert.deepEqual(splitSentences(''), []);
    assert.deepEqual(splitSentences(' \n\t '), []);
  });
});

describe('splitSentences: sentence boundaries', () => {
  const cases: [string, string[]][] = [
    ['Mr. Smith met Dr. Jones. They talked.', ['Mr. Smith met Dr. Jones.', 'They talked.']],
    ['Pi is 3.14159 today. Yes.', ['Pi is 3.14159 today.', 'Yes.']],
    ['Apples, pears, etc. are fruit. Then more.', ['Apples, pears, etc. are fruit.', 'Then more.']],
    ['I bought apples, pears, etc. Then I left.', ['I bought apples, pears, etc.', 'Then I left.']],
    ['The U.S. Army is big. It is.', ['The U.S. Army is big.', 'It is.']],
    ['John F. Kennedy spoke. Crowds cheered.', ['John F. Kennedy spoke.', 'Crowds cheered.']],
    ['Well... I think so. Maybe.', ['Well... I think so.', 'Maybe.']],
    ['Wait… what? Really!', ['Wait… what?', 'Really!']],
    ['See example.com. It works.', ['See example.com.', 'It works.']],
    ['No. 5 is mine. The answer is no. Go.', ['No. 5 is mine.', 'The answer is no.', 'Go.']],
    ['Really?! Yes!!! OK.', ['Really?!', 'Yes!!!', 'OK.']],
    ['Am 21. Dezember kam er. Dann ging er.', ['Am 21. Dezember kam er.', 'Dann ging er.']],
    ['Ends with a quote." Next one.', ['Ends with a quote."', 'Next one.']],
  ];
  for (const [text, expected] of cases) {
    it(JSON.stringify(text), () => {
      // A limit that fits the longest sentence but no two, so each sentence is its own chunk.
      const limit = Math.max(...expected.map((s) => s.length));
      assert.deepEqual(split(text, { firstChunkMaxChars: limit, maxChars: limit }), expected);
    });
  }
});

describe('SentenceSplitter', () => {
  // A small deterministic PRNG so the random piece sizes are the same on every run.
  function rng(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
  }
  const texts = [
    ARTICLE,
    'Hi. ' + 'Short one. '.repeat(40),
    'x'.repeat(700) + ' tail',
    'No punctuation at all but many words '.repeat(20),
    '  Leading and trailing   whitespace.  \n\n\n  Second   paragraph!  ',
    'Hello!!',
  ];
  const optionSets: SplitOptions[] = [{}, { firstChunkMaxChars: 25, maxChars: 80 }, { firstChunkMaxChars: 5, maxChars: 12 }];

  it('gives the batch chunks when fed one character at a time', () => {
    for (const opts of optionSets) {
      for (const text of texts) assert.deepEqual(stream(Array.from(text), opts), splitSentences(text, opts));
    }
  });
  it('gives the batch chunks when fed word by word', () => {
    for (const opts of optionSets) {
      for (const text of texts) assert.deepEqual(stream(text.split(/(?<=\s)/), opts), splitSentences(text, opts));
    }
  });
  it('gives the batch chunks for random piece sizes', () => {
    const random = rng(42);
    for (const opts of optionSets) {
      for (const text of texts) {
        for (let round = 0; round < 5; round++) {
          const pieces: string[] = [];
          for (let at = 0; at < text.length;) {
            const size = 1 + Math.floor(random() * 12);
            pieces.push(text.slice(at, at + size));
            at += size;
          }
          assert.deepEqual(stream(pieces, opts), splitSentences(text, opts));
        }
      }
    }
  });
  it('emits the first sentence as soon as the next word starts', () => {
    const splitter = new SentenceSplitter();
    assert.deepEqual(splitter.push('Sure thing.'), []);
    assert.deepEqual(splitter.push(' '), []);
    assert.deepEqual(splitter.push('I'), ['Sure thing.']);
    assert.deepEqual(splitter.push(' can help.'), []);
    assert.deepEqual(splitter.flush(), ['I can help.']);
  });
  it('starts over after flush, with a short first chunk again', () => {
    const splitter = new SentenceSplitter({ firstChunkMaxChars: 60, maxChars: 250 });
    assert.deepEqual([...splitter.push('One. Two. Three.'), ...splitter.flush()], ['One.', 'Two. Three.']);
    assert.deepEqual([...splitter.push('Four. Five. Six.'), ...splitter.flush()], ['Four.', 'Five. Six.']);
    assert.deepEqual(splitter.flush(), []);
  });
  it('keeps the invariants on every test text', () => {
    for (const opts of optionSets) for (const text of texts) assertWellFormed(text, splitSentences(text, opts), opts);
  });
});
