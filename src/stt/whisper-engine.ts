/**
 * A Whisper model as an `SttEngine`: the main thread's side. Audio is decoded here (ffmpeg) and
 * sent to a pool worker as for PocketSphinx; the worker runs the model (src/workers/whisper-run.ts).
 * Whisper has no incremental decoding, so a live turn is transcribed when it ends. A worker that
 * cannot load the files reports a 424, and from then on the model is failed (see the registry).
 */
import type { SttModelInfo } from '../engines/stt/catalogue.js';
import type { LiveSttRequest, SttEngine, SttFileAudio, SttRequest } from '../engines/stt/types.js';
import { ApiError } from '../errors.js';
import type { WorkerPool } from '../workers/pool.js';
import type { WhisperTaskSpec } from '../workers/whisper-run.js';
import type { Transcript } from './transcript.js';

/** One second at 16 kHz: the shortest input that runs the encoder and a decoder step. */
const WARM_SILENCE_SAMPLES = 16_000;

/** `en-US` → `en`; `auto` stays (Whisper detects the language). */
function whisperLanguage(language: string): string {
  const lower = language.trim().toLowerCase();
  return lower === 'auto' || lower === '' ? 'auto' : lower.split(/[-_]/)[0]!;
}

export class WhisperSttEngine implements SttEngine {
  readonly id: string;
  readonly languages: readonly string[];
  readonly capabilities: SttModelInfo['capabilities'];
  /** A worker has loaded the model and transcribed with it (its LRU may have released it since). */
  loaded = false;

  constructor(
    info: SttModelInfo,
    private readonly pool: WorkerPool,
    private readonly spec: Omit<WhisperTaskSpec, 'task'>,
    /** Called with the reason when a worker finds the files unusable. */
    private readonly onFailed: (reason: string) => void,
  ) {
    this.id = info.id;
    this.languages = info.languages;
    this.capabilities = info.capabilities;
  }

  transcribe(audio: SttFileAudio, req: SttRequest, signal: AbortSignal): Promise<Transcript> {
    const task = { kind: 'transcribe' as const, path: audio.path, language: whisperLanguage(req.language), wordTimestamps: req.wordTimestamps, diarize: false, whisper: { ...this.spec, task: req.task } };
    return this.watch(this.pool.transcribe(task, signal, { onSegment: req.onSegment }));
  }

  transcribeLive(pcm: AsyncIterable<Int16Array>, req: LiveSttRequest, signal: AbortSignal): Promise<Transcript> {
    const partials = req.onPartial !== undefined;
    const task = { kind: 'transcribe' as const, language: whisperLanguage(req.language), wordTimestamps: req.wordTimestamps ?? false, diarize: false, live: true, partials, prompt: req.prompt, whisper: { ...this.spec, task: 'transcribe' as const } };
    return this.watch(this.pool.transcribePcm(pcm, task, signal, { onPartial: req.onPartial }));
  }

  /**
   * Loads the model into as many workers as `copies` by transcribing a second of silence with
   * each at once (a worker runs one task at a time, so idle workers take one each); a model that
   * cannot load is marked failed as on first use.
   */
  async warm(copies: number, signal: AbortSignal): Promise<void> {
    const silence = async function* (): AsyncGenerator<Int16Array> {
      yield new Int16Array(WARM_SILENCE_SAMPLES);
    };
    const task = { kind: 'transcribe' as const, language: 'en', wordTimestamps: false, diarize: false, whisper: { ...this.spec, task: 'transcribe' as const } };
    await Promise.all(Array.from({ length: copies }, () => this.watch(this.pool.transcribePcm(silence(), task, signal))));
  }

  private async watch(run: Promise<Transcript>): Promise<Transcript> {
    try {
      const transcript = await run;
      this.loaded = true;
      return transcript;
    } catch (error) {
      // The only 424 a Whisper task raises is its model failing to load (whisperFailedError).
      if (error instanceof ApiError && error.code === 'model_not_installed') this.onFailed(error.message);
      throw error;
    }
  }
}
