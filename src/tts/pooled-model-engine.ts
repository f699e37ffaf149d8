/**
 * The shape every installable neural TTS model shares as a `TtsEngine`: voices from a registry
 * of what is installed in `<modelsDir>`, synthesis as jobs on the TTS pool's workers, and a 424
 * naming the reinstall command when a worker cannot load the files. Piper and Kokoro differ only
 * in their job, their messages and what a load failure marks broken.
 */
import type { AudioChunk } from '../audio/pcm.js';
import type { KokoroVoiceRef } from '../engines/tts/kokoro/kokoro-core.js';
import type { PiperVoiceRef } from '../engines/tts/piper/piper-core.js';
import { VoiceLoadError } from '../engines/tts/piper/voice-load-error.js';
import type { VoiceFailure } from '../engines/tts/piper/voice-registry.js';
import type { SynthesisRequest, TtsEngine, Voice } from '../engines/tts/types.js';
import type { VoiceEntry } from '../engines/tts/voices.js';
import type { ApiError } from '../errors.js';
import type { TtsPool } from '../workers/tts-pool.js';
import { engineSpeed } from './engine-speed.js';

/** Which engine a pool job runs and with what voice: the part of a job each model fills in. */
export type ModelJobTarget = { engine: 'piper'; voice: PiperVoiceRef } | { engine: 'kokoro'; voice: KokoroVoiceRef };

/** What a model's registry answers about its installed voices. */
export interface ModelVoiceRegistry<Ref> {
  entries(): readonly VoiceEntry[];
  entry(voiceId: string): VoiceEntry | undefined;
  /** What a worker needs to speak `voiceId` at `speed`; undefined for an unknown or failed voice. */
  workerRef(voiceId: string, speed: number): Ref | undefined;
  failureOf(voiceId: string): VoiceFailure | undefined;
}

export abstract class PooledModelEngine<Ref, Registry extends ModelVoiceRegistry<Ref>> implements TtsEngine {
  abstract readonly id: string;

  constructor(
    readonly registry: Registry,
    private readonly pool: TtsPool,
  ) {}

  /** The pool job that speaks `text` with `ref` (everything but the common fields). */
  protected abstract job(ref: Ref): ModelJobTarget;
  /** The 424 for a voice or model whose files failed to load. */
  protected abstract failedError(failure: VoiceFailure): ApiError;
  /** The 400 for a voice this model does not have. */
  protected abstract unknownVoice(voiceId: string): ApiError;
  /** Records that a worker could not load `voiceId`'s files; returns what failed. */
  protected abstract markFailed(voiceId: string, reason: string): VoiceFailure;

  get entries(): readonly VoiceEntry[] {
    return this.registry.entries();
  }

  voices(): Voice[] {
    return this.entries.map((e) => e.voice);
  }

  entry(voiceId: string): VoiceEntry | undefined {
    return this.registry.entry(voiceId);
  }

  async *synthesize(req: SynthesisRequest, signal: AbortSignal): AsyncGenerator<AudioChunk, void, undefined> {
    const speed = engineSpeed(req.speed);
    const ref = this.registry.workerRef(req.voice, speed);
    if (!ref) {
      const failure = this.registry.failureOf(req.voice);
      throw failure ? this.failedError(failure) : this.unknownVoice(req.voice);
    }
    if (req.text.trim() === '') return;
    try {
      yield* this.pool.run({ ...this.job(ref), text: req.text, speed, priority: req.priority ?? 'rest', outputSampleRateHz: req.sampleRateHz }, signal, req.deadlineMs);
    } catch (err) {
      if (!(err instanceof VoiceLoadError)) throw err;
      throw this.failedError(this.markFailed(req.voice, err.message));
    }
  }
}
