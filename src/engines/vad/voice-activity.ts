/**
 * Live voice activity for one audio source: PCM16 chunks of any length in, turn events out.
 * Resamples to the model's 16 kHz, cuts model frames, runs them through a `VadStream` and feeds the
 * probabilities to a `TurnDetector`. Times in events count from the first sample pushed.
 */
import { StreamResampler } from '../../audio/resample.js';
import { VAD_FRAME_MS, VAD_FRAME_SAMPLES, VAD_SAMPLE_RATE_HZ, type SileroVad, type VadStream } from './silero-vad.js';
import { TurnDetector, type TurnDetectorOptions, type TurnEvent } from './turn-detector.js';

/** Input rates accepted: the model's own, and the OpenAI Realtime PCM16 rate. */
export type VoiceActivityInputRateHz = 16_000 | 24_000;

export interface VoiceActivityOptions extends Omit<TurnDetectorOptions, 'frameMs'> {
  /** Sample rate of the pushed PCM16; default 24000 (OpenAI Realtime `pcm16`). */
  inputSampleRateHz?: VoiceActivityInputRateHz;
}

/** s16 full scale, to bring samples into the model's [-1, 1]. */
const S16_SCALE = 1 / 32768;

export class VoiceActivity {
  private readonly stream: VadStream;
  private readonly detector: TurnDetector;
  private readonly resampler: StreamResampler;
  private readonly frame = new Float32Array(VAD_FRAME_SAMPLES);
  private frameFill = 0;
  private framesDone = 0;

  constructor(vad: SileroVad, options: VoiceActivityOptions = {}) {
    const { inputSampleRateHz = 24_000, ...detectorOptions } = options;
    this.stream = vad.createStream();
    this.detector = new TurnDetector({ ...detectorOptions, frameMs: VAD_FRAME_MS });
    this.resampler = new StreamResampler(inputSampleRateHz, VAD_SAMPLE_RATE_HZ);
  }

  /** Whether a turn is in progress. */
  get inSpeech(): boolean {
    return this.detector.inSpeech;
  }

  /**
   * Feeds the next chunk; yields the events of every frame it completes. Consume the generator
   * fully before pushing the next chunk: frames run one at a time, in order.
   */
  async *push(pcm: Int16Array): AsyncGenerator<TurnEvent, void, undefined> {
    yield* this.frames(this.resampler.process(pcm));
  }

  /**
   * Ends the input: runs the resampler's tail and a last, zero-padded partial frame, then readies
   * the detector for a new stream. A turn still open stays unreported (no silence confirmed it).
   */
  async *end(): AsyncGenerator<TurnEvent, void, undefined> {
    yield* this.frames(this.resampler.flush());
    if (this.frameFill > 0) {
      this.frame.fill(0, this.frameFill);
      this.frameFill = VAD_FRAME_SAMPLES;
      const event = await this.runFrame();
      if (event) yield event;
    }
    this.reset();
  }

  /** Forgets all state, as at the start of a new stream. */
  reset(): void {
    this.stream.reset();
    this.detector.reset();
    this.resampler.flush(); // discards the tail; flush() also readies it for a new stream
    this.frameFill = 0;
    this.framesDone = 0;
  }

  private async *frames(pcm16k: Int16Array): AsyncGenerator<TurnEvent, void, undefined> {
    for (let offset = 0; offset < pcm16k.length; ) {
      const take = Math.min(VAD_FRAME_SAMPLES - this.frameFill, pcm16k.length - offset);
      for (let i = 0; i < take; i++) this.frame[this.frameFill + i] = pcm16k[offset + i] * S16_SCALE;
      this.frameFill += take;
      offset += take;
      if (this.frameFill < VAD_FRAME_SAMPLES) break;
      const event = await this.runFrame();
      if (event) yield event;
    }
  }

  private async runFrame(): Promise<TurnEvent | null> {
    const probability = await this.stream.process(this.frame);
    this.frameFill = 0;
    this.framesDone++;
    return this.detector.push(probability, this.framesDone * VAD_FRAME_MS);
  }
}
