/**
 * Kokoro as a `TtsEngine`: the voices of the install in `<modelsDir>/kokoro/` (see
 * `KokoroRegistry`), mixes of them, synthesized on the TTS pool's workers at 24 kHz. A model
 * file a worker cannot load is marked failed, and every request for Kokoro gets 424 with the
 * reason and the reinstall command until the file changes.
 */
import { KOKORO_MODEL_ID, type KokoroRegistry } from '../engines/tts/kokoro/registry.js';
import type { VoiceFailure } from '../engines/tts/piper/voice-registry.js';
import { ApiError, invalidParam } from '../errors.js';
import type { KokoroVoiceRef } from '../engines/tts/kokoro/kokoro-core.js';
import { PooledModelEngine, type ModelJobTarget } from './pooled-model-engine.js';

/** Kokoro's voices and mixes (`entry` takes a mix such as `af_bella(2)+af_sky(1)`), synthesized on the TTS pool. */
export class KokoroEngine extends PooledModelEngine<KokoroVoiceRef, KokoroRegistry> {
  readonly id = KOKORO_MODEL_ID;

  protected job(ref: KokoroVoiceRef): ModelJobTarget {
    return { engine: 'kokoro', voice: ref };
  }

  protected failedError(failure: VoiceFailure): ApiError {
    return kokoroFailedError(failure);
  }

  protected unknownVoice(voiceId: string): ApiError {
    return invalidParam('voice', `Unknown voice '${voiceId}' for model '${KOKORO_MODEL_ID}'. GET /v1/voices/?model=kokoro lists its voices.`, 'voice_not_found');
  }

  /** The model file failed, not one voice: every Kokoro voice is marked. */
  protected markFailed(_voiceId: string, reason: string): VoiceFailure {
    return this.registry.markFailed(reason) ?? { voice: KOKORO_MODEL_ID, reason };
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
