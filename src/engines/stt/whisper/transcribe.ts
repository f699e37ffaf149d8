/**
 * Whisper's long-form transcription, as `transcribe()` in OpenAI's `whisper/transcribe.py` does
 * it: one log-mel spectrogram over the whole file, 30 s windows advanced by where the last
 * complete segment ended (`seek`), temperature fallback on repetitive or improbable output,
 * silent windows skipped by the no-speech probability, previous text as the next window's
 * prompt, segments cut at timestamp-token pairs, and word timings per window.
 */
import type { Transcript, TranscriptSegment } from '../../../stt/transcript.js';
import { decodeWindow, detectLanguage, type WindowDecodeResult } from './decode-window.js';
import { HOP_LENGTH, logMelSpectrogram, N_FRAMES, N_SAMPLES, WHISPER_SAMPLE_RATE_HZ, type LogMel, type WhisperMelBins } from './mel.js';
import type { EncodedAudio, WhisperModel } from './model.js';
import type { WhisperTokenizer } from './tokenizer.js';
import { addWordTimestamps, type TimedSegment } from './word-timing.js';

/** An AbortSignal, or anything else that throws once the work is cancelled (a worker's shared flag). */
export type CancelCheck = Pick<AbortSignal, 'throwIfAborted'>;

export interface WhisperTranscribeOptions {
  /** ISO 639-1 code (or a language name Whisper knows), or `auto` to detect it from the first window. */
  language: string;
  task: 'transcribe' | 'translate';
  wordTimestamps: boolean;
  /** Beams at temperature 0 (and samples at higher temperatures, as the CLI's best_of); 1 = greedy. */
  beamSize?: number;
  temperatures?: readonly number[];
  initialPrompt?: string;
  signal?: CancelCheck;
  onSegment?: (segment: TranscriptSegment) => void;
}

/** transcribe.py's defaults. */
export const DEFAULT_TEMPERATURES: readonly number[] = [0, 0.2, 0.4, 0.6, 0.8, 1.0];
export const DEFAULT_BEAM_SIZE = 5;
const COMPRESSION_RATIO_THRESHOLD = 2.4;
const LOGPROB_THRESHOLD = -1.0;
const NO_SPEECH_THRESHOLD = 0.6;
/** Past this temperature the output is too random to prompt the next window with. */
const PROMPT_RESET_TEMPERATURE = 0.5;
/** Mel frames per decoder timestamp step (N_FRAMES / n_audio_ctx). */
const INPUT_STRIDE = 2;
const TIME_PRECISION_S = (INPUT_STRIDE * HOP_LENGTH) / WHISPER_SAMPLE_RATE_HZ;
const FRAMES_PER_SECOND = WHISPER_SAMPLE_RATE_HZ / HOP_LENGTH;
const SAMPLING_SEED = 0x5eed;

/** `mel[:, seek:seek+size]` zero-padded to a full window, flat [nMels, N_FRAMES]. */
function windowAt(mel: LogMel, seek: number, size: number): Float32Array {
  const data = new Float32Array(mel.nMels * N_FRAMES);
  for (let m = 0; m < mel.nMels; m++) {
    const from = m * mel.nFrames + seek;
    data.set(mel.data.subarray(from, from + size), m * N_FRAMES);
  }
  return data;
}

/** mulberry32: a small seeded generator, so a transcription at temperature > 0 repeats. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function resolveLanguage(tokenizer: WhisperTokenizer, language: string): string | 'auto' {
  if (!tokenizer.multilingual) return 'en';
  if (language === 'auto' || language === '') return 'auto';
  if (tokenizer.languageToken(language) === undefined) throw new RangeError(`unsupported language: ${language}`);
  return language;
}

export async function transcribeWhisper(
  model: WhisperModel,
  tokenizer: WhisperTokenizer,
  samples: Float32Array,
  opts: WhisperTranscribeOptions,
): Promise<Transcript> {
  const signal = opts.signal;
  const mel = logMelSpectrogram(samples, model.dims.nMels as WhisperMelBins, N_SAMPLES);
  const contentFrames = mel.nFrames - N_FRAMES;
  const durationSec = samples.length / WHISPER_SAMPLE_RATE_HZ;
  const beamSize = Math.max(1, opts.beamSize ?? DEFAULT_BEAM_SIZE);
  const temperatures = opts.temperatures ?? DEFAULT_TEMPERATURES;
  const random = seededRandom(SAMPLING_SEED);
  const s = tokenizer.special;

  let language = resolveLanguage(tokenizer, opts.language);
  const allTokens: number[] = [];
  const initialPromptTokens = opts.initialPrompt ? tokenizer.encode(' ' + opts.initialPrompt.trim()) : [];
  allTokens.push(...initialPromptTokens);
  let promptResetSince = 0;
  const segments: TranscriptSegment[] = [];
  let lastSpeechTimestamp = 0;
  let seek = 0;

  while (seek < contentFrames) {
    signal?.throwIfAborted();
    const timeOffset = (seek * HOP_LENGTH) / WHISPER_SAMPLE_RATE_HZ;
    const segmentSize = Math.min(N_FRAMES, contentFrames - seek);
    const segmentDuration = (segmentSize * HOP_LENGTH) / WHISPER_SAMPLE_RATE_HZ;
    const audio = await model.encode(windowAt(mel, seek, segmentSize));
    if (language === 'auto') language = await detectLanguage(model, tokenizer, audio);
    const sotSequence = tokenizer.sotSequence({ language, task: opts.task, timestamps: true });
    const prompt = allTokens.slice(promptResetSince);
    const initialTokens = prompt.length > 0 ? [s.sotPrev, ...prompt.slice(-(Math.floor(model.dims.nTextCtx / 2) - 1)), ...sotSequence] : sotSequence;

    const result = await decodeWithFallback(model, tokenizer, audio, initialTokens, temperatures, beamSize, random, signal);
    // A window judged silent is skipped whole, unless its text is probable enough to keep.
    if (result.noSpeechProb > NO_SPEECH_THRESHOLD && !(result.avgLogprob > LOGPROB_THRESHOLD)) {
      seek += segmentSize;
      continue;
    }
    const { current, nextSeek } = segmentsOfWindow(tokenizer, result.tokens, seek, segmentSize, segmentDuration, timeOffset);
    // A window must move the seek forward, whatever a model emits, or the loop would not end.
    seek = nextSeek > seek ? nextSeek : seek + segmentSize;
    if (opts.wordTimestamps) {
      lastSpeechTimestamp = await addWordTimestamps(current, model, tokenizer, audio, { sotSequence, numFrames: segmentSize, timeOffset, lastSpeechTimestamp, language });
      const lastWord = current.flatMap((c) => c.words ?? []).at(-1);
      const singleTimestampEnding = endsWithSingleTimestamp(result.tokens, s.timestampBegin);
      if (!singleTimestampEnding && lastWord && lastWord.end > timeOffset) seek = Math.round(lastWord.end * FRAMES_PER_SECOND);
    }
    for (const segment of current) {
      const textTokens = segment.tokens.filter((t) => t < s.eot);
      const text = tokenizer.decode(textTokens);
      // An instantaneous or empty segment is dropped, and its tokens do not prompt the next window.
      if (segment.start === segment.end || text.trim() === '') continue;
      const out: TranscriptSegment = { start: round3(segment.start), end: round3(segment.end), text: text.trim(), ...(opts.wordTimestamps ? { words: segment.words ?? [] } : {}) };
      segments.push(out);
      opts.onSegment?.(out);
      allTokens.push(...segment.tokens);
    }
    if (result.temperature > PROMPT_RESET_TEMPERATURE) promptResetSince = allTokens.length;
  }
  const text = segments.map((seg) => seg.text).join(' ');
  return { text, language: language === 'auto' ? 'en' : language, durationSec, segments };
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

function endsWithSingleTimestamp(tokens: readonly number[], timestampBegin: number): boolean {
  const n = tokens.length;
  return n >= 2 && tokens[n - 2] < timestampBegin && tokens[n - 1] >= timestampBegin;
}

/** `decode_with_fallback`: higher temperatures until the output is neither repetitive nor improbable. */
async function decodeWithFallback(
  model: WhisperModel,
  tokenizer: WhisperTokenizer,
  audio: EncodedAudio,
  initialTokens: number[],
  temperatures: readonly number[],
  beamSize: number,
  random: () => number,
  signal: CancelCheck | undefined,
): Promise<WindowDecodeResult> {
  let result: WindowDecodeResult | undefined;
  for (const temperature of temperatures.length > 0 ? temperatures : [0]) {
    result = await decodeWindow(model, tokenizer, audio, { initialTokens, temperature, beamSize, bestOf: beamSize, timestamps: true, random, signal });
    let fallback = result.compressionRatio > COMPRESSION_RATIO_THRESHOLD || result.avgLogprob < LOGPROB_THRESHOLD;
    if (result.noSpeechProb > NO_SPEECH_THRESHOLD && result.avgLogprob < LOGPROB_THRESHOLD) fallback = false;
    if (!fallback) break;
  }
  return result as WindowDecodeResult;
}

/** The segments of one window from its timestamp tokens, and where the next window starts. */
export function segmentsOfWindow(
  tokenizer: WhisperTokenizer,
  tokens: readonly number[],
  seek: number,
  segmentSize: number,
  segmentDuration: number,
  timeOffset: number,
): { current: TimedSegment[]; nextSeek: number } {
  const tb = tokenizer.special.timestampBegin;
  const isTs = tokens.map((t) => t >= tb);
  const singleTimestampEnding = endsWithSingleTimestamp(tokens, tb);
  const consecutive: number[] = [];
  for (let i = 1; i < tokens.length; i++) if (isTs[i - 1] && isTs[i]) consecutive.push(i);
  const current: TimedSegment[] = [];
  if (consecutive.length > 0) {
    const slices = singleTimestampEnding ? [...consecutive, tokens.length] : consecutive;
    let lastSlice = 0;
    for (const slice of slices) {
      const part = tokens.slice(lastSlice, slice);
      current.push({ start: timeOffset + (part[0] - tb) * TIME_PRECISION_S, end: timeOffset + (part[part.length - 1] - tb) * TIME_PRECISION_S, tokens: part });
      lastSlice = slice;
    }
    // Without a closing lone timestamp the window's last segment is unfinished: resume at its start.
    const nextSeek = singleTimestampEnding ? seek + segmentSize : seek + (tokens[lastSlice - 1] - tb) * INPUT_STRIDE;
    return { current, nextSeek };
  }
  let duration = segmentDuration;
  const timestamps = tokens.filter((t) => t >= tb);
  if (timestamps.length > 0 && timestamps[timestamps.length - 1] !== tb) duration = (timestamps[timestamps.length - 1] - tb) * TIME_PRECISION_S;
  current.push({ start: timeOffset, end: timeOffset + duration, tokens: [...tokens] });
  return { current, nextSeek: seek + segmentSize };
}
