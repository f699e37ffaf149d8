/**
 * The engine registry: the built-in engines running on a TTS worker pool, and the model
 * catalogue with what is installed. The rest of the server only sees `TtsEngine`, the catalogue
 * and the voice lists.
 */
import type { AudioChunk } from '../audio/pcm.js';
import { isInstalled } from '../engines/model-files.js';
import { MODEL_CATALOGUE, type ModelInfo } from '../engines/tts/catalogue.js';
import type { SynthesisRequest, TtsEngine, Voice } from '../engines/tts/types.js';
import { espeakVoiceEntries, fliteVoiceEntries, picoVoiceEntries, pickVoice, type VoiceEntry } from '../engines/tts/voices.js';
import { invalidParam } from '../errors.js';
import type { BuiltinEngineId } from '../workers/tts-messages.js';
import type { TtsPool } from '../workers/tts-pool.js';

/** `SynthesisRequest.speed` bounds (the OpenAI range); engines clamp further to what they can do. */
const MIN_SPEED = 0.25;
const MAX_SPEED = 4;
/** A built-in engine whose synthesis runs in the pool. */
class PooledEngine implements TtsEngine {
  private readonly byId: Map<string, VoiceEntry>;

  constructor(
    readonly id: BuiltinEngineId,
    readonly entries: readonly VoiceEntry[],
    private readonly pool: TtsPool,
  ) {
    this.byId = new Map(entries.map((e) => [e.voice.id.toLowerCase(), e]));
  }

  voices(): Voice[] {
    return this.entries.map((e) => e.voice);
  }

  entry(voiceId: string): VoiceEntry | undefined {
    return this.byId.get(voiceId.toLowerCase());
  }

  async *synthesize(req: SynthesisRequest, signal: AbortSignal): AsyncGenerator<AudioChunk, void, undefined> {
    const entry = this.entry(req.voice);
    // The voice decides the language: a request for `cy` text with voice `en-us` speaks
    // it with the English voice, as asked.
    if (!entry) throw invalidParam('voice', `Unknown voice '${req.voice}' for model '${this.id}'`, 'voice_not_found');
    if (!Number.isFinite(req.speed)) throw invalidParam('speed', 'speed must be a number');
    if (req.text.trim() === '') return;
    const speed = Math.min(MAX_SPEED, Math.max(MIN_SPEED, req.speed));
    yield* this.pool.run(
      { engine: this.id, voice: entry.engineVoice, text: req.text, speed, priority: req.priority ?? 'rest', outputSampleRateHz: req.sampleRateHz },
      signal,
    );
  }
}

/** The loaded engines and the catalogue; built once from what the pool's workers loaded. */
export class TtsRuntime {
  private readonly engines = new Map<string, PooledEngine>();

  constructor(
    pool: TtsPool,
    private readonly modelsDir: string,
  ) {
    const { espeakVoices, fliteVoices, picoLanguages } = pool.inventory;
    this.engines.set('espeak', new PooledEngine('espeak', espeakVoiceEntries(espeakVoices), pool));
    this.engines.set('flite', new PooledEngine('flite', fliteVoiceEntries(fliteVoices), pool));
    if (picoLanguages.length > 0) this.engines.set('pico', new PooledEngine('pico', picoVoiceEntries(picoLanguages), pool));
  }

  /** A loaded built-in engine; undefined for neural models and engines without their data. */
  engine(modelId: string): TtsEngine | undefined {
    return this.engines.get(modelId);
  }

  models(): Array<ModelInfo & { installed: boolean; loaded: boolean }> {
    return MODEL_CATALOGUE.map((m) => ({
      ...m,
      installed: isInstalled(m, this.modelsDir),
      loaded: this.engines.has(m.id),
    }));
  }

  /** All voices of all loaded engines. */
  voices(): Voice[] {
    return [...this.engines.values()].flatMap((e) => e.voices());
  }

  /** Case-insensitive id match across every loaded engine. */
  findVoice(id: string): Voice | undefined {
    for (const engine of this.engines.values()) {
      const hit = engine.entry(id);
      if (hit) return hit.voice;
    }
    return undefined;
  }

  /** The best voice of `modelId` for `language` (`fr` -> eSpeak `fr`, `en` -> `en-us`). */
  defaultVoiceFor(modelId: string, language: string): Voice | undefined {
    const engine = this.engines.get(modelId);
    return engine && pickVoice(modelId, engine.entries, language)?.voice;
  }
}
