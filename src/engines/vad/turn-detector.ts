/**
 * Turn detection from per-frame speech probabilities, with the OpenAI Realtime `server_vad`
 * semantics: speech starts on the first frame at or above `threshold`, reported `prefixPaddingMs`
 * early so the audio kept for the turn includes its onset; speech stops once `silenceDurationMs`
 * of continuous non-speech has passed, reported at the end of the last speech frame.
 *
 * Pure logic over numbers, so it can be tested without the model.
 */

/** Hysteresis: once speaking, a frame only counts as silence below `threshold - RELEASE_MARGIN`. */
const RELEASE_MARGIN = 0.15;

export type TurnEvent =
  /** `audioStartMs`: stream time of the onset minus the prefix padding, never below 0. */
  | { type: 'speech_started'; audioStartMs: number }
  /** `audioEndMs`: stream time where the last speech frame ended (the silence that confirmed it follows). */
  | { type: 'speech_stopped'; audioEndMs: number };

export interface TurnDetectorOptions {
  /** Speech probability (0..1) a frame needs to start a turn; default 0.5. */
  threshold?: number;
  /** Audio before the detected onset to include in the turn, in ms; default 300. */
  prefixPaddingMs?: number;
  /** Continuous non-speech that ends a turn, in ms; default 500. */
  silenceDurationMs?: number;
  /** Duration of one frame, in ms. */
  frameMs: number;
}

export class TurnDetector {
  readonly threshold: number;
  readonly releaseThreshold: number;
  readonly prefixPaddingMs: number;
  readonly silenceDurationMs: number;
  readonly frameMs: number;
  private speaking = false;
  /** Stream time where the current run of non-speech frames began; null while speech continues. */
  private silenceStartMs: number | null = null;

  constructor({ threshold = 0.5, prefixPaddingMs = 300, silenceDurationMs = 500, frameMs }: TurnDetectorOptions) {
    if (!(threshold >= 0 && threshold <= 1)) throw new RangeError(`threshold must be within 0..1, got ${threshold}`);
    if (!(prefixPaddingMs >= 0)) throw new RangeError(`prefixPaddingMs must be >= 0, got ${prefixPaddingMs}`);
    if (!(silenceDurationMs >= 0)) throw new RangeError(`silenceDurationMs must be >= 0, got ${silenceDurationMs}`);
    if (!(frameMs > 0)) throw new RangeError(`frameMs must be > 0, got ${frameMs}`);
    this.threshold = threshold;
    this.releaseThreshold = Math.max(0, threshold - RELEASE_MARGIN);
    this.prefixPaddingMs = prefixPaddingMs;
    this.silenceDurationMs = silenceDurationMs;
    this.frameMs = frameMs;
  }

  /** Whether a turn is in progress (started and not yet stopped). */
  get inSpeech(): boolean {
    return this.speaking;
  }

  /**
   * Takes the next frame's speech probability and the stream time (ms) at which that frame ends;
   * returns the event it triggers, if any.
   */
  push(probability: number, frameEndMs: number): TurnEvent | null {
    const frameStartMs = frameEndMs - this.frameMs;
    if (!this.speaking) {
      if (probability < this.threshold) return null;
      this.speaking = true;
      this.silenceStartMs = null;
      return { type: 'speech_started', audioStartMs: Math.max(0, frameStartMs - this.prefixPaddingMs) };
    }
    if (probability >= this.releaseThreshold) {
      this.silenceStartMs = null;
      return null;
    }
    this.silenceStartMs ??= frameStartMs;
    if (frameEndMs - this.silenceStartMs < this.silenceDurationMs) return null;
    const audioEndMs = this.silenceStartMs;
    this.speaking = false;
    this.silenceStartMs = null;
    return { type: 'speech_stopped', audioEndMs };
  }

  /** Drops any turn in progress without reporting it. */
  reset(): void {
    this.speaking = false;
    this.silenceStartMs = null;
  }
}
