/**
 * A PCM stream to a transcript: feeds a recognizer chunk by chunk, groups its words into segments
 * as they come, and, when asked, labels speakers from MFCC statistics computed as the same chunks
 * pass (or from an installed speaker model's embedding of each segment, segment-embeddings.ts).
 * No PCM is kept here beyond the chunk in hand and the open segment's audio.
 */
import { SpeakerFeatures } from './diarize.js';
import { SegmentEmbeddings, type SpeakerEmbedder } from './segment-embeddings.js';
import { PartialHypothesis, type LivePartial } from './live-partial.js';
import { SegmentBuilder } from './segments.js';
import type { Transcript, TranscriptSegment, TranscriptWord } from './transcript.js';

/** Every recognizer here takes 16 kHz mono PCM (PocketSphinx's and Whisper's rate). */
export const STT_SAMPLE_RATE_HZ = 16_000;

/** A loaded speech recognizer: what `transcribePcm` needs of one. */
export interface Recognizer {
  /** ISO 639-1 code of the language it recognizes, reported in the transcript. */
  readonly language: string;
  /** Starts recognizing a new stream of audio; its times count from the stream's first sample. */
  openStream(): RecognizerStream;
  /** A stream for one live turn, decoded as it arrives; recognizers without one use `openStream`. */
  openLiveStream?(): RecognizerStream;
}

/**
 * One stream through a recognizer. It must bound its own memory on long audio (PocketSphinx's
 * decodes utterance by utterance); words come out as they become final.
 */
export interface RecognizerStream {
  /**
   * Takes the next 16 kHz mono PCM (used at once, not kept) and returns the words that became
   * final, often none: in order, timed in seconds from the stream's start, without silence,
   * noise or filler tokens.
   */
  push(pcm: Int16Array): readonly TranscriptWord[];
  /** Ends the stream and returns the remaining words. */
  end(): readonly TranscriptWord[];
  /** Live streams: the words of the running hypothesis not yet returned by `push` (they may still change). */
  partial?(): readonly TranscriptWord[];
}

export interface TranscribePcmOptions {
  /** Each segment carries its words. */
  wordTimestamps: boolean;
  /** Each segment carries a `speaker` label. */
  diarize: boolean;
  /** With `diarize`: label speakers by this model's embedding of each segment instead of MFCC statistics. */
  speakerEmbedder?: SpeakerEmbedder;
  /** Called with each segment as soon as it is final (before speakers are known: no `speaker`). */
  onSegment?: (segment: TranscriptSegment) => void;
  /** Live turns: the whole stream's speaker vector in the transcript, so turns can be labelled across a session. */
  speakerVector?: boolean;
  /** Live turns: called with the running hypothesis as it changes (see live-partial.ts), when the stream has one. */
  onPartial?: (partial: LivePartial) => void;
}

/**
 * Transcribes `audio` (16 kHz mono chunks, in order) with `recognizer`, chunk by chunk. The
 * transcript's duration is the audio's; its text is the segments' text joined.
 */
export async function transcribePcm(
  audio: AsyncIterable<Int16Array>,
  recognizer: Recognizer,
  opts: TranscribePcmOptions,
): Promise<Transcript> {
  const stream = recognizer.openStream();
  const speakers = !opts.diarize
    ? null
    : opts.speakerEmbedder
      ? new SegmentEmbeddings(opts.speakerEmbedder, STT_SAMPLE_RATE_HZ)
      : new SpeakerFeatures(STT_SAMPLE_RATE_HZ);
  const voice = opts.speakerVector ? new SpeakerFeatures(STT_SAMPLE_RATE_HZ) : null;
  const builder = new SegmentBuilder(opts.wordTimestamps);
  const segments: TranscriptSegment[] = [];
  let samples = 0;
  const partials = opts.onPartial && stream.partial ? new PartialHypothesis() : null;
  /** The turn's final words so far, the start of every partial. */
  const heard: TranscriptWord[] = [];

  const emit = (segment: TranscriptSegment | null): void => {
    if (segment === null) return;
    segments.push(segment);
    speakers?.addSegment(segment);
    opts.onSegment?.(segment);
  };
  const take = (words: readonly TranscriptWord[]): void => {
    // Copied field by field: recognizers add their own (PocketSphinx's `prob`), not for clients.
    for (const w of words) emit(builder.push({ word: w.word, start: w.start, end: w.end }));
    if (partials) for (const w of words) heard.push(w);
    // Words come in time order, so no later segment starts before the open one.
    if (words.length > 0) speakers?.discardBefore(builder.openStart ?? 0);
  };

  // Trailing edge: a hypothesis the throttle held back, or one that may settle its words when
  // offered again, is offered once the interval has passed, even if no more audio comes (a client
  // that pauses, or a decoder catching up in a burst, must not leave the caption behind).
  let trailing: NodeJS.Timeout | undefined;
  const offerPartial = (): void => {
    clearTimeout(trailing);
    trailing = undefined;
    const now = performance.now();
    if (!partials!.due(now)) {
      trailing = setTimeout(offerPartial, partials!.waitMs(now));
      return;
    }
    const partial = partials!.offer([...heard, ...stream.partial!()], now);
    if (partial === null) return;
    opts.onPartial!(partial);
    trailing = setTimeout(offerPartial, partials!.waitMs(performance.now()));
  };
  try {
    for await (const chunk of audio) {
      // Features first: the segments the recognizer closes now may end in this chunk.
      speakers?.push(chunk);
      voice?.push(chunk);
      samples += chunk.length;
      take(stream.push(chunk));
      if (partials) offerPartial();
    }
  } finally {
    // Before the stream ends or its decoder is freed (an aborted turn): nothing reads it later.
    clearTimeout(trailing);
  }
  take(stream.end());
  emit(builder.flush());

  if (speakers !== null) {
    const labels = await speakers.labels();
    segments.forEach((segment, i) => (segment.speaker = labels[i]));
  }
  voice?.addSegment({ start: 0, end: samples / STT_SAMPLE_RATE_HZ });
  return {
    text: segments.map((s) => s.text).join(' '),
    language: recognizer.language,
    durationSec: samples / STT_SAMPLE_RATE_HZ,
    segments,
    ...(voice ? { speakerVector: voice.vectors.at(-1) ?? null } : {}),
  };
}
