/**
 * Word-level timestamps for the segments of one window, as OpenAI's `whisper/timing.py` derives
 * them: the alignment heads' cross-attention over the window's frames, normalised and
 * median-filtered, then dynamic time warping from tokens to frames. Exports without
 * cross-attention outputs cannot align, so there each segment's span is shared among its words
 * in proportion to their length in characters (an estimate bounded by the segment), as the
 * Whisper README documents.
 */
import type { TranscriptWord } from '../../../stt/transcript.js';
import type { EncodedAudio, WhisperModel } from './model.js';
import type { WhisperTokenizer } from './tokenizer.js';

/** Encoder frames per second (TOKENS_PER_SECOND of audio.py). */
const FRAMES_PER_SECOND = 50;
const MEDIAN_FILTER_WIDTH = 7;
const PREPEND_PUNCTUATIONS = '"\'“¿([{-';
const APPEND_PUNCTUATIONS = '"\'.。,，!！?？:：”)]}、';
const SENTENCE_END_MARKS = '.。!！?？';

/** A segment of one window, in seconds on the transcript's clock. */
export interface TimedSegment {
  start: number;
  end: number;
  /** Its sampled tokens, timestamps included. */
  tokens: number[];
  words?: TranscriptWord[];
}

interface Timing {
  word: string;
  tokens: number[];
  start: number;
  end: number;
}

/** `median_filter` along the last axis of a [rows, cols] matrix, reflect-padded. */
export function medianFilter(data: Float32Array, rows: number, cols: number, width: number): Float32Array {
  const pad = Math.floor(width / 2);
  if (cols <= pad) return data;
  const out = new Float32Array(data.length);
  const window = new Float32Array(width);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      for (let k = 0; k < width; k++) {
        let j = c + k - pad;
        if (j < 0) j = -j;
        if (j >= cols) j = 2 * (cols - 1) - j;
        window[k] = data[base + j];
      }
      window.sort();
      out[base + c] = window[pad];
    }
  }
  return out;
}

/** `dtw_cpu` + `backtrace`: the warping path through a [n, m] cost matrix, as index pairs. */
export function dtw(cost: Float64Array, n: number, m: number): { textIndices: number[]; timeIndices: number[] } {
  const acc = new Float64Array((n + 1) * (m + 1)).fill(Infinity);
  const trace = new Int8Array((n + 1) * (m + 1)).fill(-1);
  const w = m + 1;
  acc[0] = 0;
  for (let j = 1; j <= m; j++) {
    for (let i = 1; i <= n; i++) {
      const c0 = acc[(i - 1) * w + j - 1];
      const c1 = acc[(i - 1) * w + j];
      const c2 = acc[i * w + j - 1];
      let c: number;
      let t: number;
      if (c0 < c1 && c0 < c2) [c, t] = [c0, 0];
      else if (c1 < c0 && c1 < c2) [c, t] = [c1, 1];
      else [c, t] = [c2, 2];
      acc[i * w + j] = cost[(i - 1) * m + j - 1] + c;
      trace[i * w + j] = t;
    }
  }
  for (let j = 0; j <= m; j++) trace[j] = 2;
  for (let i = 0; i <= n; i++) trace[i * w] = 1;
  const path: [number, number][] = [];
  let i = n;
  let j = m;
  while (i > 0 || j > 0) {
    path.push([i - 1, j - 1]);
    const t = trace[i * w + j];
    if (t === 0) {
      i--;
      j--;
    } else if (t === 1) i--;
    else j--;
  }
  path.reverse();
  return { textIndices: path.map((p) => p[0]), timeIndices: path.map((p) => p[1]) };
}

/** `find_alignment`: word timings within the window for `textTokens`. */
async function findAlignment(
  model: WhisperModel,
  tokenizer: WhisperTokenizer,
  audio: EncodedAudio,
  sotSequence: readonly number[],
  textTokens: number[],
  numFrames: number,
  language: string,
): Promise<Timing[]> {
  if (textTokens.length === 0 || !model.crossAttention) return [];
  const s = tokenizer.special;
  const tokens = [...sotSequence, s.noTimestamps, ...textTokens, s.eot];
  const heads = await model.crossAttention(audio, tokens);
  const nCtx = model.dims.nAudioCtx;
  const frames = Math.max(1, Math.min(nCtx, Math.floor(numFrames / 2)));
  const t = tokens.length;
  const matrix = new Float32Array(t * frames);
  for (const head of heads) {
    const w = new Float32Array(t * frames);
    for (let r = 0; r < t; r++) {
      // softmax over the kept frames
      let max = -Infinity;
      for (let c = 0; c < frames; c++) max = Math.max(max, head[r * nCtx + c]);
      let sum = 0;
      for (let c = 0; c < frames; c++) sum += w[r * frames + c] = Math.exp(head[r * nCtx + c] - max);
      for (let c = 0; c < frames; c++) w[r * frames + c] /= sum;
    }
    // standardise each frame's column over the tokens
    for (let c = 0; c < frames; c++) {
      let mean = 0;
      for (let r = 0; r < t; r++) mean += w[r * frames + c];
      mean /= t;
      let v = 0;
      for (let r = 0; r < t; r++) v += (w[r * frames + c] - mean) ** 2;
      const std = Math.sqrt(v / t) || 1;
      for (let r = 0; r < t; r++) w[r * frames + c] = (w[r * frames + c] - mean) / std;
    }
    const filtered = medianFilter(w, t, frames, MEDIAN_FILTER_WIDTH);
    for (let k = 0; k < matrix.length; k++) matrix[k] += filtered[k] / heads.length;
  }
  // Rows of the text tokens and EOT, sot sequence and <|notimestamps|> dropped (`[len(sot):-1]` keeps EOT's row out too).
  const first = sotSequence.length;
  const n = t - first - 1;
  const cost = new Float64Array(n * frames);
  for (let r = 0; r < n; r++) for (let c = 0; c < frames; c++) cost[r * frames + c] = -matrix[(first + r) * frames + c];
  const { textIndices, timeIndices } = dtw(cost, n, frames);
  const { words, tokens: wordTokens } = tokenizer.splitToWords([...textTokens, s.eot], language);
  if (wordTokens.length <= 1) return [];
  const jumpTimes: number[] = [];
  textIndices.forEach((ti, k) => {
    if (k === 0 || ti !== textIndices[k - 1]) jumpTimes.push(timeIndices[k] / FRAMES_PER_SECOND);
  });
  const boundaries = [0];
  for (const group of wordTokens.slice(0, -1)) boundaries.push(boundaries[boundaries.length - 1] + group.length);
  const timings: Timing[] = [];
  for (let k = 0; k + 1 < boundaries.length; k++) {
    timings.push({ word: words[k], tokens: wordTokens[k], start: jumpTimes[boundaries[k]] ?? 0, end: jumpTimes[boundaries[k + 1]] ?? 0 });
  }
  return timings;
}

/** `merge_punctuations`: leading quotes join the next word, trailing punctuation the previous. */
function mergePunctuations(alignment: Timing[]): void {
  let i = alignment.length - 2;
  let j = alignment.length - 1;
  while (i >= 0) {
    const previous = alignment[i];
    const following = alignment[j];
    if (previous.word.startsWith(' ') && PREPEND_PUNCTUATIONS.includes(previous.word.trim())) {
      following.word = previous.word + following.word;
      following.tokens = [...previous.tokens, ...following.tokens];
      previous.word = '';
      previous.tokens = [];
    } else j = i;
    i--;
  }
  i = 0;
  j = 1;
  while (j < alignment.length) {
    const previous = alignment[i];
    const following = alignment[j];
    if (!previous.word.endsWith(' ') && APPEND_PUNCTUATIONS.includes(following.word)) {
      previous.word += following.word;
      previous.tokens = [...previous.tokens, ...following.tokens];
      following.word = '';
      following.tokens = [];
    } else i = j;
    j++;
  }
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * `add_word_timestamps`: fills `words` of each segment of one window (and moves segment bounds
 * to the words, as the reference does). Returns the last speech time for the next window.
 */
export async function addWordTimestamps(
  segments: TimedSegment[],
  model: WhisperModel,
  tokenizer: WhisperTokenizer,
  audio: EncodedAudio,
  opts: { sotSequence: readonly number[]; numFrames: number; timeOffset: number; lastSpeechTimestamp: number; language: string },
): Promise<number> {
  if (segments.length === 0) return opts.lastSpeechTimestamp;
  const eot = tokenizer.special.eot;
  const perSegment = segments.map((seg) => seg.tokens.filter((t) => t < eot));
  if (!model.hasCrossAttention || !model.crossAttention) {
    segments.forEach((seg, k) => (seg.words = proportionalWords(tokenizer, perSegment[k], seg.start, seg.end, opts.language)));
    return segments[segments.length - 1].end;
  }
  const alignment = await findAlignment(model, tokenizer, audio, opts.sotSequence, perSegment.flat(), opts.numFrames, opts.language);
  const durations = alignment.map((a) => a.end - a.start).filter((d) => d !== 0);
  const medianDuration = Math.min(0.7, median(durations));
  const maxDuration = medianDuration * 2;
  if (durations.length > 0) {
    for (let k = 1; k < alignment.length; k++) {
      if (alignment[k].end - alignment[k].start <= maxDuration) continue;
      if (SENTENCE_END_MARKS.includes(alignment[k].word)) alignment[k].end = alignment[k].start + maxDuration;
      else if (SENTENCE_END_MARKS.includes(alignment[k - 1].word)) alignment[k].start = alignment[k].end - maxDuration;
    }
  }
  mergePunctuations(alignment);
  let last = opts.lastSpeechTimestamp;
  let index = 0;
  segments.forEach((segment, k) => {
    let saved = 0;
    const words: TranscriptWord[] = [];
    while (index < alignment.length && saved < perSegment[k].length) {
      const timing = alignment[index];
      if (timing.word) words.push({ word: timing.word, start: round2(opts.timeOffset + timing.start), end: round2(opts.timeOffset + timing.end) });
      saved += timing.tokens.length;
      index++;
    }
    if (words.length > 0) {
      const w0 = words[0];
      if (w0.end - last > medianDuration * 4 && (w0.end - w0.start > maxDuration || (words.length > 1 && words[1].end - w0.start > maxDuration * 2))) {
        if (words.length > 1 && words[1].end - words[1].start > maxDuration) {
          const boundary = Math.max(words[1].end / 2, words[1].end - maxDuration);
          w0.end = words[1].start = boundary;
        }
        w0.start = Math.max(0, w0.end - maxDuration);
      }
      if (segment.start < w0.end && segment.start - 0.5 > w0.start) w0.start = Math.max(0, Math.min(w0.end - medianDuration, segment.start));
      else segment.start = w0.start;
      const wl = words[words.length - 1];
      if (segment.end > wl.start && segment.end + 0.5 < wl.end) wl.end = Math.max(wl.start + medianDuration, segment.end);
      else segment.end = wl.end;
      last = segment.end;
    }
    segment.words = words.map((w) => ({ word: w.word.trim(), start: w.start, end: w.end })).filter((w) => w.word !== '');
  });
  return last;
}

/** Without cross-attention: the segment's span shared by character count. */
export function proportionalWords(tokenizer: WhisperTokenizer, textTokens: number[], start: number, end: number, language: string): TranscriptWord[] {
  // Punctuation joins its word, as merge_punctuations does on the aligned path.
  const words: string[] = [];
  let leading = '';
  for (const raw of tokenizer.splitToWords(textTokens, language).words) {
    const word = raw.trim();
    if (word === '') continue;
    if ([...word].every((c) => APPEND_PUNCTUATIONS.includes(c)) && words.length > 0) words[words.length - 1] += word;
    else if ([...word].every((c) => PREPEND_PUNCTUATIONS.includes(c))) leading += word;
    else {
      words.push(leading + word);
      leading = '';
    }
  }
  if (leading !== '') words.push(leading);
  const total = words.reduce((sum, w) => sum + [...w].length, 0);
  if (total === 0) return [];
  const out: TranscriptWord[] = [];
  let t = start;
  for (const word of words) {
    const next = t + ((end - start) * [...word].length) / total;
    out.push({ word, start: round2(t), end: round2(next) });
    t = next;
  }
  return out;
}
