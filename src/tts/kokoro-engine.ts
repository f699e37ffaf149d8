/**
 * Kokoro as a `TtsEngine`: the voices of the install in `<modelsDir>/kokoro/` (see
 * `KokoroRegistry`), mixes of them, synthesized on the TTS pool's workers at 24 kHz. A model
 * file a worker cannot load is marked failed, and every request for Kokoro gets 424 with the
 * reason and the reinstall command until the file changes.
 */
import type { AudioChunk } from '../audio/pcm.js';
import { KOKORO_MODEL_ID, type KokoroRegistry } from '../engines/tts/kokoro/registry.js';
import { VoiceLoadError } from '../engines/tts/piper/voice-load-error.js';
import type { VoiceFailure } from '../engines/tts/piper/voice-registry.js';
import type { SynthesisRequest, TtsEngine, Voice } from '../engines/tts/types.js';
import type { VoiceEntry } from '../engines/tts/voices.js';
import { ApiError, invalidParam } from '../errors.js';
import type { TtsPool } from '../workers/tts-pool.js';
import { engineSpeed } from './engine-speed.js';

/** Kokoro's voices and mixes, synthesized on the TTS pool. */
export class KokoroEngine implements TtsEngine {
  readonly id = KOKORO_MODEL_ID;

  constructor(
    readonly registry: KokoroRegistry,
    private readonly pool: TtsPool,
  ) {}

  get entries(): readonly VoiceEntry[] {
    return this.registry.entries();
  }

  voices(): Voice[] {
    return this.entries.map((e) => e.voice);
  }

  /** A voice, or a mix such as `af_bella(2)+af_sky(1)`. */
  entry(voiceId: string): VoiceEntry | undefined {
    return this.registry.entry(voiceId);
  }

  async *synthesize(req: SynthesisRequest, signal: AbortSignal): AsyncGenerator<AudioChunk, void, undefined> {
    const speed = engineSpeed(req.speed);
    const ref = this.registry.workerRef(req.voice, speed);
    if (!ref) {
      const failure = this.registry.failureOf(req.voice);
      if (failure) throw kokoroFailedError(failure);
      throw invalidParam('voice', `Unknown voice '${req.voice}' for model '${KOKORO_MODEL_ID}'. GET /v1/voices/?model=kokoro lists its voices.`, 'voice_not_found');
    }
    if (req.text.trim() === '') return;
    try {
      yield* this.pool.run(
        { engine: 'kokoro', voice: ref, text: req.text, speed, priority: req.priority ?? 'rest', outputSampleRateHz: req.sampleRateHz },
        signal,
      );
    } catch (err) {
      if (!(err instanceof VoiceLoadError)) throw err;
      throw kokoroFailedError(this.registry.markFailed(err.message) ?? { voice: KOKORO_MODEL_ID, reason: err.message });
    }
  }
}

/** The 424 for a Kokoro install whose files are broken: which file, why, and how to reinstall. */
export function kokoroFailedError(failure: VoiceFailure): ApiError {
  return new ApiError(
    'model_not_installed',
    `Model '${KOKORO_MODEL_ID}' failed to load: ${failure.reason}. Reinstall it with \`llais models pull ${KOKORO_MODEL_ID}\`, or use one of the models listed at GET /v1/models/ with "loaded": true.`,
    'model',
  );
}
