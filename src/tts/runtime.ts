/**
 * The engine registry: the built-in engines, Piper and Kokoro running on a TTS worker pool, and the
 * model catalogue with what is installed, loaded or failed. The rest of the server only sees
 * `TtsEngine`, the catalogue and the voice lists.
 */
import { join } from 'node:path';
import type { AudioChunk } from '../audio/pcm.js';
import { isInstalled } from '../engines/model-files.js';
import { MODEL_CATALOGUE, type ModelInfo } from '../engines/tts/catalogue.js';
import { KOKORO_MODEL_ID, KokoroRegistry } from '../engines/tts/kokoro/registry.js';
import { PIPER_MODEL_ID, PiperVoiceRegistry, type VoiceFailure } from '../engines/tts/piper/voice-registry.js';
import type { SynthesisRequest, TtsEngine, Voice } from '../engines/tts/types.js';
import { espeakVoiceEntries, fliteVoiceEntries, picoVoiceEntries, pickVoice, type VoiceEntry } from '../engines/tts/voices.js';
import { invalidParam, type ApiError } from '../errors.js';
import type { BuiltinEngineId } from '../workers/tts-messages.js';
import type { TtsPool } from '../workers/tts-pool.js';
import { engineSpeed } from './engine-speed.js';
import { KokoroEngine, kokoroFailedError } from './kokoro-engine.js';
import { PiperEngine, voiceFailedError } from './piper-engine.js';

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
    if (req.text.trim() === '') return;
    const speed = engineSpeed(req.speed);
    yield* this.pool.run(
      { engine: this.id, voice: entry.engineVoice, text: req.text, speed, priority: req.priority ?? 'rest', outputSampleRateHz: req.sampleRateHz },
      signal,
      req.deadlineMs,
    );
  }
}

/** An engine and its public voices; an engine with no voices (Piper with none installed) is not loaded. */
type RegisteredEngine = TtsEngine & { readonly entries: readonly VoiceEntry[]; entry(voiceId: string): VoiceEntry | undefined };

/** A catalogue entry with what this server has of it. */
export type ModelState = ModelInfo & {
  installed: boolean;
  loaded: boolean;
  /** Installed files that failed their checks or to load (Piper voices, Kokoro files), with why. */
  failures: VoiceFailure[];
};

/** The loaded engines and the catalogue; built once from what the pool's workers loaded. */
export class TtsRuntime {
  private readonly engines = new Map<string, RegisteredEngine>();
  private readonly piper: PiperEngine;
  private readonly kokoro: KokoroEngine;

  constructor(
    pool: TtsPool,
    private readonly modelsDir: string,
  ) {
    const { espeakVoices, fliteVoices, picoLanguages } = pool.inventory;
    this.engines.set('espeak', new PooledEngine('espeak', espeakVoiceEntries(espeakVoices), pool));
    this.engines.set('flite', new PooledEngine('flite', fliteVoiceEntries(fliteVoices), pool));
    if (picoLanguages.length > 0) this.engines.set('pico', new PooledEngine('pico', picoVoiceEntries(picoLanguages), pool));
    this.piper = new PiperEngine(new PiperVoiceRegistry(join(modelsDir, PIPER_MODEL_ID), espeakVoices), pool);
    this.engines.set(PIPER_MODEL_ID, this.piper);
    this.kokoro = new KokoroEngine(new KokoroRegistry(join(modelsDir, KOKORO_MODEL_ID), espeakVoices), pool);
    this.engines.set(KOKORO_MODEL_ID, this.kokoro);
  }

  /** A loaded engine; undefined for models not installed, without an engine here, or with no usable voice. */
  engine(modelId: string): TtsEngine | undefined {
    const engine = this.engines.get(modelId);
    return engine && engine.entries.length > 0 ? engine : undefined;
  }

  models(): ModelState[] {
    return MODEL_CATALOGUE.map((m) => ({
      ...m,
      // Kokoro's onnx-community layout has other file names than the catalogue pins.
      installed: m.id === KOKORO_MODEL_ID ? this.kokoro.registry.installed() : isInstalled(m, this.modelsDir),
      loaded: this.engine(m.id) !== undefined,
      failures: this.failuresOf(m.id),
    }));
  }

  /** The 424 for an installed model none of whose voices can be used, naming the first broken file. */
  modelFailedError(modelId: string): ApiError | undefined {
    const failure = this.failuresOf(modelId)[0];
    if (!failure) return undefined;
    return modelId === KOKORO_MODEL_ID ? kokoroFailedError(failure) : voiceFailedError(failure);
  }

  /** The 424 for a voice id (or Kokoro mix) of an installed model whose files are broken; undefined when it can be used, or is unknown. */
  voiceFailedError(voiceId: string): ApiError | undefined {
    const piper = this.piper.registry.failureOf(voiceId);
    if (piper) return voiceFailedError(piper);
    const kokoro = this.kokoro.registry.failureOf(voiceId);
    return kokoro && kokoroFailedError(kokoro);
  }

  private failuresOf(modelId: string): VoiceFailure[] {
    if (modelId === PIPER_MODEL_ID) return this.piper.registry.failures();
    if (modelId === KOKORO_MODEL_ID) return this.kokoro.registry.failures();
    return [];
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
