/**
 * Piper as a `TtsEngine`: the voices in `<modelsDir>/piper/` (see `PiperVoiceRegistry`),
 * synthesized on the TTS pool's workers. `speed` becomes the voice's `length_scale / speed`.
 * A voice whose files a worker cannot load is marked failed and its requests get 424.
 */
import type { AudioChunk } from '../audio/pcm.js';
import { MODEL_CATALOGUE } from '../engines/tts/catalogue.js';
import { VoiceLoadError } from '../engines/tts/piper/voice-load-error.js';
import { PIPER_MODEL_ID, type PiperVoiceRegistry, type VoiceFailure } from '../engines/tts/piper/voice-registry.js';
import type { SynthesisRequest, TtsEngine, Voice } from '../engines/tts/types.js';
import type { VoiceEntry } from '../engines/tts/voices.js';
import { ApiError, invalidParam } from '../errors.js';
import type { TtsPool } from '../workers/tts-pool.js';
import { engineSpeed } from './engine-speed.js';

export class PiperEngine implements TtsEngine {
  readonly id = PIPER_MODEL_ID;

  constructor(
    readonly registry: PiperVoiceRegistry,
    private readonly pool: TtsPool,
  ) {}

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
      if (failure) throw voiceFailedError(failure);
      throw invalidParam('voice', `Unknown voice '${req.voice}' for model '${PIPER_MODEL_ID}'`, 'voice_not_found');
    }
    if (req.text.trim() === '') return;
    try {
      yield* this.pool.run(
        { engine: 'piper', voice: ref, text: req.text, speed, priority: req.priority ?? 'rest', outputSampleRateHz: req.sampleRateHz },
        signal,
      );
    } catch (err) {
      if (!(err instanceof VoiceLoadError)) throw err;
      this.registry.markFailed(req.voice, err.message);
      throw voiceFailedError(this.registry.failureOf(req.voice) ?? { voice: req.voice, reason: err.message });
    }
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
