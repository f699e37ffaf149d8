/**
 * Cuts plain text into the pieces the engines synthesize one at a time.
 *
 * The first chunk is a short phrase so the first audio can start early: engines render a piece
 * whole before any of it plays, and on a busy server the first chunks of every stream queue for
 * the same cores, so the first piece's length is what first audio waits for (a 43-character
 * first sentence is ~32 ms of Flite; its first 22 characters ~15 ms). It ends at the first
 * sentence's end when that comes soon enough, else at a clause boundary, else before a function
 * word that starts a phrase ("The morning train left | the station"), else at a word boundary.
 * Later chunks are whole sentences merged up to a limit that grows from chunk to chunk (2x the
 * first limit, then 4x, 8x…, up to `maxChars`), because engines phrase a full sentence better than
 * a fragment and each call has a fixed cost, while the listener must not run dry: a 24-character
 * first phrase lasts ~1.5 s, so the piece after it must be ready by then on a busy server, and
 * after a phrase that piece is only the rest of its sentence. Sentences longer than the limit are
 * cut at a clause boundary, else a word boundary.
 *
 * The batch function is the streaming splitter fed everything at once, and every cut is
 * decided only from text already seen (plus a fixed lookahead), so token-by-token input
 * yields exactly the chunks the whole text would. Text is whitespace-normalised as it
 * arrives; a blank line (paragraph break) always ends a chunk.
 */

/** Chunk size limits, in UTF-16 code units. */
export interface SplitOptions {
  /** Longest first chunk; default 24 (FIRST_PHRASE_MAX_CHARS). */
  firstChunkMaxChars?: number;
  /** Longest later chunk; default 250. */
  maxChars?: number;
}

/** About 1.5 s of speech: two to four words. */
export const FIRST_PHRASE_MAX_CHARS = 24;
export const DEFAULT_MAX_CHARS = 250;
/** Each later chunk's limit is this many times the one before (starting from the first's). */
const LATER_GROWTH = 2;
// A first chunk cut inside its sentence should still be a phrase worth speaking: at least a
// third of the limit (8 characters at the default), and never more than 20 for long limits.
const MIN_FIRST_CUT_SHARE = 0.35;
const MAX_MIN_FIRST_CUT_CHARS = 20;
// Words that open a phrase in English (articles, prepositions, conjunctions, relatives): a cut
// just before one falls where a speaker could pause. Other languages get the word boundary.
const PHRASE_OPENERS = new Set([
  'the', 'a', 'an', 'and', 'but', 'or', 'nor', 'so', 'yet', 'to', 'of', 'in', 'on', 'at', 'by', 'for',
  'from', 'with', 'into', 'onto', 'over', 'under', 'about', 'after', 'before', 'during', 'through',
  'between', 'without', 'as', 'that', 'which', 'who', 'whom', 'whose', 'when', 'where', 'while',
  'because', 'if', 'than', 'though', 'although', 'until', 'unless', 'since',
]);
// A long sentence is cut at its last clause boundary only if that keeps at least this share
// of the limit; otherwise the chunk would be needlessly short and a word boundary is used.
const MIN_LONG_CLAUSE_SHARE = 0.3;

const TERMINATOR = /[.!?…。！？｡‼⁇⁈⁉]/u;
// These end a sentence without a following space.
const CJK_TERMINATOR = /[。！？｡]/u;
const CLOSER = /["'”’»›)\]}」』）〉》】]/u;
const OPENERS = /^["'“‘«‹(\[{¿¡]+/u;
const LOWERCASE = /\p{Ll}/u;
// A chunk that ends its sentence: a terminator, then closing quotes or brackets.
const SENTENCE_CLOSED = /[.!?…。！？｡‼⁇⁈⁉]["'”’»›)\]}」』）〉》】]*$/u;
const UNSPACED_SCRIPT = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;

// Never end a sentence: titles and Latin abbreviations that are always followed by more.
const ABBREVIATIONS = new Set([
  'mr', 'mrs', 'ms', 'mx', 'dr', 'prof', 'rev', 'fr', 'st', 'mt', 'ft', 'gen', 'col', 'capt', 'lt',
  'sgt', 'cmdr', 'gov', 'sen', 'rep', 'pres', 'hon', 'messrs', 'mme', 'mlle', 'vs', 'cf', 'approx',
  'dept', 'feb', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov',
]);
// Abbreviations only when a number follows ("No. 5", "Fig. 2", "Jan. 3"); elsewhere they are
// ordinary words that can end a sentence ("The answer is no.").
const NUMBER_ABBREVIATIONS = new Set([
  'no', 'nos', 'nr', 'p', 'pp', 'fig', 'figs', 'vol', 'vols', 'ch', 'sec', 'art', 'eq', 'est',
  'jan', 'mar', 'dec',
]);
// Dotted initialisms: U.S., e.g., i.e., a.m., Ph.D. (segments of one or two letters, so that
// "example.com." still ends its sentence).
const INITIALISM = /^(?:\p{L}{1,2}\.)+\p{L}{1,2}$/u;

type Status = boolean | 'undecided';

interface Candidate {
  /** Offset just after the sentence (after any closing quotes). */
  end: number;
  status: Status;
  /** A paragraph break: ends the chunk even when more would fit. */
  hard: boolean;
}

function isSpace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\n';
}

function wordBefore(buf: string, i: number): string {
  let start = i;
  while (start > 0 && !isSpace(buf[start - 1])) start--;
  return buf.slice(start, i).replace(OPENERS, '');
}

/** Whether a lone "." at `i`, followed by a space and `next`, ends a sentence. */
function periodEndsSentence(buf: string, i: number, next: string): boolean {
  const word = wordBefore(buf, i);
  const lower = word.toLowerCase();
  if (ABBREVIATIONS.has(lower)) return false;
  if (NUMBER_ABBREVIATIONS.has(lower) && /\d/.test(next)) return false;
  if (/^\p{Lu}$/u.test(word)) return false; // an initial: "John F. Kennedy"
  if (INITIALISM.test(word)) return false;
  // "21. Dezember", "1. Item": a short number with a period is usually an ordinal.
  if (/^\d{1,2}$/.test(word)) return false;
  return true;
}

/**
 * Sentence ends in `buf`, in order. A candidate is 'undecided' while the text that settles it
 * (closing quotes, the next word) has not arrived yet.
 */
function* sentenceCandidates(buf: string, final: boolean, limit: number): Generator<Candidate> {
  // A sentence starting past the limit ends past it too; callers stop there anyway.
  for (let i = 0; i < Math.min(buf.length, limit + 1); i++) {
    const ch = buf[i]!;
    if (ch === '\n') {
      yield { end: i, status: true, hard: true };
      continue;
    }
    if (!TERMINATOR.test(ch)) continue;
    let j = i;
    while (j < buf.length && TERMINATOR.test(buf[j]!)) j++;
    const cluster = buf.slice(i, j);
    while (j < buf.length && CLOSER.test(buf[j]!)) j++;
    let status: Status;
    if (j === buf.length) {
      status = final ? true : 'undecided';
    } else if (!isSpace(buf[j])) {
      // "3.14", "example.com", "?x=1": not an end, unless the script needs no spaces.
      status = CJK_TERMINATOR.test(cluster);
    } else {
      // The buffer never ends in whitespace, so the next word's first character is here.
      const next = buf[j + 1]!;
      if (LOWERCASE.test(next)) status = false;
      else if (/[!?。！？｡‼⁇⁈⁉]/u.test(cluster)) status = true;
      // An ellipsis trails off mid-thought more often than it ends one; it is a clause break.
      else if (cluster.length > 1 || cluster === '…') status = false;
      else status = periodEndsSentence(buf, i, next);
    }
    yield { end: j, status, hard: false };
    i = j - 1;
  }
}

/** Offsets (chunk lengths) of clause boundaries no later than `limit`, in order. */
function clauseBoundaries(buf: string, limit: number): number[] {
  const cuts: number[] = [];
  for (let i = 0; i < Math.min(buf.length - 1, limit); i++) {
    const ch = buf[i]!;
    const next = buf[i + 1];
    if (/[,;:]/.test(ch) && next === ' ') cuts.push(i + 1);
    else if (/[，、；：]/u.test(ch)) cuts.push(i + 1);
    else if (/[-–—]/.test(ch) && buf[i - 1] === ' ' && next === ' ') cuts.push(i + 1);
    else if (/[–—]/.test(ch) && i > 0 && !isSpace(buf[i - 1]) && !isSpace(next)) cuts.push(i + 1);
    else if ((ch === '…' || (ch === '.' && buf[i - 1] === '.')) && next === ' ') cuts.push(i + 1);
  }
  return cuts;
}

/** Last space at or before `limit`, else a cut at `limit` that splits no character. */
function wordOrHardCut(buf: string, limit: number): number {
  const space = buf.lastIndexOf(' ', limit);
  if (space > 0) return space;
  let cut = limit;
  if (/[\ud800-\udbff]/.test(buf[cut - 1]!)) cut--;
  while (cut > 1 && /\p{M}/u.test(buf[cut]!)) cut--;
  return Math.max(cut, 1);
}

/**
 * Offsets of the spaces before phrase-opening words that end no later than `limit`. Decided from
 * `buf[0..limit]` alone (callers have more text than that), so streamed and whole input agree.
 */
function phraseBoundaries(buf: string, limit: number): number[] {
  const cuts: number[] = [];
  for (const m of buf.slice(0, limit + 1).matchAll(/ (\p{L}+)(?=[^\p{L}'’])/gu)) {
    if (m.index + 1 + m[1]!.length <= limit && PHRASE_OPENERS.has(m[1]!.toLowerCase())) cuts.push(m.index);
  }
  return cuts;
}

function firstCut(buf: string, final: boolean, limit: number, laterLimit: number): number | null {
  for (const c of sentenceCandidates(buf, final, limit)) {
    if (c.end > limit) break;
    if (c.status === 'undecided') return null;
    if (c.status) return c.end;
  }
  if (buf.length <= limit) return final ? buf.length : null;
  const min = Math.min(MAX_MIN_FIRST_CUT_CHARS, Math.ceil(limit * MIN_FIRST_CUT_SHARE));
  const clause = clauseBoundaries(buf, limit).find((p) => p >= min);
  const phrase = phraseBoundaries(buf, limit).filter((p) => p >= min).pop();
  return clause ?? phrase ?? firstWordCut(buf, final, limit, laterLimit);
}

/**
 * The last word boundary within `limit`; a first word longer than the limit (a long name, a URL)
 * is kept whole when it ends within `laterLimit`, rather than cut inside it. Text in scripts
 * written without spaces is cut at the limit, as any overlong token is.
 */
function firstWordCut(buf: string, final: boolean, limit: number, laterLimit: number): number | null {
  const space = buf.lastIndexOf(' ', limit);
  if (space > 0 || UNSPACED_SCRIPT.test(buf.slice(0, limit))) return wordOrHardCut(buf, limit);
  const next = buf.indexOf(' ', limit);
  const wordEnd = next > 0 ? next : final ? buf.length : -1;
  if (wordEnd > 0 && wordEnd <= laterLimit) return wordEnd;
  // The word has not ended yet and may still end within the later limit.
  if (wordEnd < 0 && buf.length <= laterLimit) return null;
  return wordOrHardCut(buf, limit);
}

/** `restOfSentence`: the previous chunk ended inside this sentence, so the chunk ends with it. */
function laterCut(buf: string, final: boolean, limit: number, restOfSentence = false): number | null {
  let best = 0;
  for (const c of sentenceCandidates(buf, final, limit)) {
    if (c.end > limit) break;
    if (c.status === 'undecided') return null;
    if (c.status) best = c.end;
    if (c.status && (c.hard || restOfSentence)) return best;
  }
  // Until the text passes the limit, the next sentence might still fit in this chunk.
  if (buf.length <= limit) return final ? buf.length : null;
  if (best > 0) return best;
  const clauses = clauseBoundaries(buf, limit);
  const clause = clauses[clauses.length - 1];
  if (clause !== undefined && clause >= limit * MIN_LONG_CLAUSE_SHARE) return clause;
  return wordOrHardCut(buf, limit);
}

/**
 * Incremental splitter for text that arrives in pieces (LLM tokens, input-streaming TTS).
 * `push` returns the chunks that are complete; `flush` returns the rest and starts over, so
 * the next text again gets a short first chunk.
 */
export class SentenceSplitter {
  readonly #firstChunkMaxChars: number;
  readonly #maxChars: number;
  /** Normalised text not yet emitted; never starts or ends with whitespace. */
  #buf = '';
  /** Newlines in whitespace seen after `#buf`, or -1 when there is none. */
  #pendingNewlines = -1;
  #first = true;
  /** Later chunks emitted since the first: each one's limit grows. */
  #later = 0;
  /** The first chunk ended inside its sentence. */
  #firstWasPhrase = false;
  /** For each chunk emitted so far: it ends inside a sentence (not at its end or a paragraph break). */
  readonly midSentence: boolean[] = [];

  constructor(opts: SplitOptions = {}) {
    this.#firstChunkMaxChars = Math.max(1, Math.floor(opts.firstChunkMaxChars ?? FIRST_PHRASE_MAX_CHARS));
    this.#maxChars = Math.max(1, Math.floor(opts.maxChars ?? DEFAULT_MAX_CHARS));
  }

  /** Adds a piece of text; returns the chunks it completed (often none). */
  push(piece: string): string[] {
    for (const [run] of piece.matchAll(/\s+|\S+/g)) {
      if (/^\s/.test(run)) {
        if (this.#pendingNewlines < 0) this.#pendingNewlines = 0;
        this.#pendingNewlines += run.split('\n').length - 1;
        continue;
      }
      // Whitespace is only written once a word follows it, so the buffer never ends in it.
      if (this.#buf && this.#pendingNewlines >= 0) this.#buf += this.#pendingNewlines >= 2 ? '\n' : ' ';
      this.#pendingNewlines = -1;
      this.#buf += run;
    }
    return this.#drain(false);
  }

  /** Returns every remaining chunk and resets the splitter. */
  flush(): string[] {
    const chunks = this.#drain(true);
    this.#buf = '';
    this.#pendingNewlines = -1;
    this.#first = true;
    this.#later = 0;
    this.#firstWasPhrase = false;
    return chunks;
  }

  #laterLimit(): number {
    return Math.min(this.#maxChars, this.#firstChunkMaxChars * LATER_GROWTH ** (this.#later + 1));
  }

  #drain(final: boolean): string[] {
    const chunks: string[] = [];
    while (this.#buf) {
      const cut = this.#first
        ? firstCut(this.#buf, final, this.#firstChunkMaxChars, this.#maxChars)
        : laterCut(this.#buf, final, this.#laterLimit(), this.#later === 0 && this.#firstWasPhrase);
      if (cut === null) break;
      const chunk = this.#buf.slice(0, cut).trim();
      const inside = !SENTENCE_CLOSED.test(chunk) && this.#buf[cut] !== '\n' && cut < this.#buf.length;
      if (chunk) {
        chunks.push(chunk);
        this.midSentence.push(inside);
      }
      this.#buf = this.#buf.slice(cut).replace(/^\s+/, '');
      if (this.#first) this.#firstWasPhrase = inside;
      else this.#later++;
      this.#first = false;
    }
    return chunks;
  }
}

/**
 * Splits plain text into speakable chunks: a short first chunk, then whole sentences merged
 * up to `maxChars`. Joining the chunks with single spaces gives the whitespace-normalised
 * input, except where a cut had to fall inside unspaced text (CJK, an overlong token): those
 * pieces join without a space. No chunk is empty.
 */
export function splitSentences(text: string, opts: SplitOptions = {}): string[] {
  return splitPieces(text, opts).chunks;
}

/** `splitSentences`, with whether each chunk ends inside its sentence (where pieces join tightly). */
export function splitPieces(text: string, opts: SplitOptions = {}): { chunks: string[]; midSentence: boolean[] } {
  const splitter = new SentenceSplitter(opts);
  const chunks = [...splitter.push(text), ...splitter.flush()];
  return { chunks, midSentence: splitter.midSentence };
}
