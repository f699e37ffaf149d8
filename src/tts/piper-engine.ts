/**
 * Piper as a `TtsEngine`: the voices in `<modelsDir>/piper/` (see `PiperVoiceRegistry`),
 * synthesized on the TTS pool's workers. `speed` becomes the voice's `length_scale / speed`.
 * A voice whose files a worker cannot load is marked failed and its requests get 424.
 */
import { MODEL_CATALOGUE } from '../engines/tts/catalogue.js';
import { PIPER_MODEL_ID, type PiperVoiceRegistry, type VoiceFailure } from '../engines/tts/piper/voice-registry.js';
import { ApiError, invalidParam } from '../errors.js';
import type { PiperVoiceRef } from '../engines/tts/piper/piper-core.js';
import { PooledModelEngine, type ModelJobTarget } from './pooled-model-engine.js';

export class PiperEngine extends PooledModelEngine<PiperVoiceRef, PiperVoiceRegistry> {
  readonly id = PIPER_MODEL_ID;

  protected job(ref: PiperVoiceRef): ModelJobTarget {
    return { engine: 'piper', voice: ref };
  }

  protected failedError(failure: VoiceFailure): ApiError {
    return voiceFailedError(failure);
  }

  protected unknownVoice(voiceId: string): ApiError {
    return invalidParam('voice', `Unknown voice '${voiceId}' for model '${PIPER_MODEL_ID}'`, 'voice_not_found');
  }

  protected markFailed(voiceId: string, reason: string): VoiceFailure {
    this.registry.markFailed(voiceId, reason);
    return this.registry.failureOf(voiceId) ?? { voice: voiceId, reason };
  }
}

/** The 424 for a voice whose files are broken: which voice, why, and how to reinstall it. */
export function voiceFailedError(failure: VoiceFailure): ApiError {
  return new ApiError(
    'model_not_installed',
    `Piper voice '${failure.voice}' failed to load: ${failure.reason}. Reinstall it: ${reinstallHint(failure.voice)}, or use one of the voices listed at GET /v1/voices/?model=piper.`,
    'voice',
  );
}

function reinstallHint(name: string): string {
  const pulled = MODEL_CATALOGUE.find((m) => m.id === PIPER_MODEL_ID)?.downloads ?? [];
  if (pulled.some((d) => d.file === `${name}.onnx`)) return '`llais models pull piper`';
  // A speaker of a multi-speaker voice lives in its voice's files.
  return `\`llais models pull piper ${name.split(':')[0]}\``;
}
