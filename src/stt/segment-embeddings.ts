/**
 * Diarization from a neural speaker model: each segment's own audio goes through the model
 * (`embed`, the worker's ONNX speaker embedder) and its embedding replaces the MFCC statistics of
 * diarize.ts; the clustering is the same (speaker-clusters.ts). Fed like `SpeakerFeatures`, chunk
 * by chunk, so a transcription does not change shape: PCM is kept only from the open segment's
 * start, and each segment's embedding starts as soon as the segment is known, one at a time.
 */
import { DEFAULT_MAX_SPEAKERS, type DiarizeOptions, type TimeSpan } from './diarize.js';
import { speakerLabels, type SpeakerVector } from './speaker-clusters.js';

/** A speaker model: an embedding of 16 kHz mono PCM. */
export type SpeakerEmbedder = (pcm: Int16Array) => Promise<number[]>;

/**
 * Counted in the clustering's 10 ms frames: segments shorter than 0.2 s are not embedded (they
 * take a neighbour's label), as diarize.ts does with too little speech.
 */
const FRAMES_PER_SEC = 100;
const MIN_FRAMES_TO_EMBED = 20;

export class SegmentEmbeddings {
  /** Samples `first .. first + length - 1` of the stream. */
  private buffer = new Int16Array(0);
  private length = 0;
  private first = 0;
  private readonly pending: Array<Promise<SpeakerVector>> = [];
  /** Embeddings run one after another: the worker thread has one model session. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly embed: SpeakerEmbedder,
    private readonly sampleRateHz: number,
  ) {}

  push(pcm: Int16Array): void {
    if (this.length + pcm.length > this.buffer.length) {
      const grown = new Int16Array(Math.max(this.sampleRateHz * 30, (this.length + pcm.length) * 2));
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    this.buffer.set(pcm, this.length);
    this.length += pcm.length;
  }

  /** Adds the next segment (its audio already pushed); its embedding is started now. */
  addSegment(span: TimeSpan): void {
    const from = Math.max(0, Math.round(span.start * this.sampleRateHz) - this.first);
    const to = Math.min(this.length, Math.round(span.end * this.sampleRateHz) - this.first);
    const frames = Math.floor(((to - from) / this.sampleRateHz) * FRAMES_PER_SEC);
    if (frames < MIN_FRAMES_TO_EMBED) {
      this.pending.push(Promise.resolve(null));
      return;
    }
    const pcm = this.buffer.slice(from, to);
    const vector = this.chain.then(async () => ({ vector: Float64Array.from(await this.embed(pcm)), speechFrames: frames }));
    // A failure is reported by `labels`; the chain goes on so that it is reported once, in order.
    this.chain = vector.catch(() => undefined);
    this.pending.push(vector);
  }

  /** Forgets the audio before `sec`: no segment added later starts before it. */
  discardBefore(sec: number): void {
    const drop = Math.min(this.length, Math.floor(sec * this.sampleRateHz) - this.first);
    if (drop <= 0) return;
    this.buffer.copyWithin(0, drop, this.length);
    this.first += drop;
    this.length -= drop;
  }

  /** A label per segment added, as `SpeakerFeatures.labels`; rejects with the model's error, if any. */
  async labels(opts: DiarizeOptions = {}): Promise<string[]> {
    const maxSpeakers = Math.max(1, Math.floor(opts.maxSpeakers ?? DEFAULT_MAX_SPEAKERS));
    const results = await Promise.allSettled(this.pending);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    return speakerLabels(results.map((r) => (r as PromiseFulfilledResult<SpeakerVector>).value), maxSpeakers);
  }
}
