/**
 * The text-to-speech runtime: owns the TTS worker pool and the built-in engines; the rest of
 * the server only sees `TtsEngine`, the model catalogue and the voice lists.
 */
import type { AudioChunk } from '../../audio/pcm.js';
import { invalidParam } from '../../errors.js';
import { TtsPool, type BuiltinEngineId, type TtsPoolStats } from '../../workers/tts-pool.js';
import { MODEL_CATALOGUE, isInstalled, modelDataDir, type ModelInfo } from './catalogue.js';
import type { SynthesisRequest, TtsEngine, Voice } from './types.js';
import { espeakVoiceEntries, fliteVoiceEntries, picoVoiceEntries, pickVoice, type VoiceEntry } from './voices.js';

/** `SynthesisRequest.speed` bounds (the OpenAI range); engines clamp further to what they can do. */
const MIN_SPEED = 0.25;
const MAX_SPEED = 4;
/** Deep enough for bursts of many streams' pieces; beyond it, a 503 beats ever-growing latency. */
const DEFAULT_MAX_QUEUE = 256;

export interface TtsRuntimeOptions {
  /** Worker threads; each loads every built-in engine (~250 MB resident, most of it eSpeak). */
  workers: number;
  modelsDir: string;
  /** Most requests waiting for a worker before new ones get 503 (default 256). */
  maxQueue?: number;
}

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

/** Owns the TTS worker pool and the engines; the rest of the server only sees TtsEngine. */
export class TtsRuntime {
  private constructor(
    private readonly pool: TtsPool,
    private readonly modelsDir: string,
    private readonly engines: ReadonlyMap<string, PooledEngine>,
  ) {}

  /** Spawns the workers and waits until each has loaded and warmed every engine. */
  static async start(opts: TtsRuntimeOptions): Promise<TtsRuntime> {
    const pico = MODEL_CATALOGUE.find((m) => m.id === 'pico');
    const picoLingwareDir = (pico && modelDataDir(pico, opts.modelsDir)) ?? null;
    const pool = await TtsPool.start({
      workers: opts.workers,
      maxQueue: opts.maxQueue ?? DEFAULT_MAX_QUEUE,
      picoLingwareDir,
    });
    const { espeakVoices, fliteVoices, picoLanguages } = pool.inventory;
    const engines = new Map<string, PooledEngine>();
    engines.set('espeak', new PooledEngine('espeak', espeakVoiceEntries(espeakVoices), pool));
    engines.set('flite', new PooledEngine('flite', fliteVoiceEntries(fliteVoices), pool));
    if (picoLanguages.length > 0) engines.set('pico', new PooledEngine('pico', picoVoiceEntries(picoLanguages), pool));
    return new TtsRuntime(pool, opts.modelsDir, engines);
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

  /** Requests waiting for a worker. */
  queueSize(): number {
    return this.pool.queueSize();
  }

  /** Counters for metrics and tests: dispatched, completed, cancelled, failed, workers replaced. */
  stats(): TtsPoolStats {
    return this.pool.stats();
  }

  /** Fails queued and running syntheses with 503 and stops the workers. */
  close(): Promise<void> {
    return this.pool.close();
  }
}
