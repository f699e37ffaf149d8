/**
 * Text to speech as a service: the one object the rest of the server (HTTP handlers, the job
 * queue, live sessions, voice chat) talks to. It plans requests against the installed engines
 * with the server's limits, resolves voices with errors a user can act on, and synthesizes.
 * The worker pool is handed in by whoever started it (`app.ts`).
 */
import type { AudioChunk } from '../audio/pcm.js';
import { DEFAULTS } from '../config.js';
import { modelDataDir } from '../engines/model-files.js';
import { budgetBytesPerThread, type OnnxSettings } from '../engines/onnx/settings.js';
import { MODEL_CATALOGUE } from '../engines/tts/catalogue.js';
import type { TtsEngine, Voice } from '../engines/tts/types.js';
import { TtsPool, type TtsPoolStats } from '../workers/tts-pool.js';
import { effectiveDefaults } from './defaults.js';
import { planSpeech, type PlannedSpeech } from './plan.js';
import { resolveModelAndVoice, type Resolved } from './resolve.js';
import { TtsRuntime, type ModelState } from './runtime.js';
import type { SpeechSpec, TtsLimits } from './speech-spec.js';
import { synthesizeSpeech, type StreamStats } from './synthesize.js';

/** Deep enough for bursts of many streams' pieces; beyond it, a 503 beats ever-growing latency. */
export const DEFAULT_TTS_MAX_QUEUE = 256;

export interface TtsPoolOptions {
  /** Worker threads; each runs every built-in engine (~80 MB resident each on the compiled server: their data is shared, bench/worker-memory.ts). */
  workers: number;
  modelsDir: string;
  /** Most requests waiting for a worker before new ones get 503. */
  maxQueue?: number;
  /** How neural models' sessions are made; default: CPU, one thread each. */
  onnx?: OnnxSettings;
  /** Model weights all workers together may keep loaded, MiB; 0 (default): half of this machine's memory. */
  modelMemoryBudgetMb?: number;
  /** Warm the built-in engines up before listening (config `ttsWarmUp`); default true. */
  warmUp?: boolean;
}

/** Spawns the TTS workers (with Pico's lingware when it is installed) and waits until each has warmed up. */
export function startTtsPool(opts: TtsPoolOptions): Promise<TtsPool> {
  const pico = MODEL_CATALOGUE.find((m) => m.id === 'pico');
  return TtsPool.start({
    workers: opts.workers,
    maxQueue: opts.maxQueue ?? DEFAULT_TTS_MAX_QUEUE,
    picoLingwareDir: (pico && modelDataDir(pico, opts.modelsDir)) ?? null,
    ...(opts.onnx ? { onnx: opts.onnx } : {}),
    sessionBudgetBytes: budgetBytesPerThread(opts.modelMemoryBudgetMb ?? 0, opts.workers),
    ...(opts.warmUp === undefined ? {} : { warmUp: opts.warmUp }),
  });
}


/** One sentence of a live reply. */
export interface SentenceRequest {
  text: string;
  voice: string;
  speed: number;
  /** A later sentence of a reply already speaking: it does not jump the queue. */
  continuation: boolean;
}

export class TtsService {
  readonly runtime: TtsRuntime;

  constructor(
    private readonly pool: TtsPool,
    modelsDir: string,
    readonly limits: TtsLimits,
    private readonly ownsPool = false,
  ) {
    this.runtime = new TtsRuntime(pool, modelsDir);
  }

  /** A service with a pool of its own (closed with it): for tools, benchmarks and tests. */
  static async start(opts: TtsPoolOptions & { limits?: Partial<TtsLimits> }): Promise<TtsService> {
    const pool = await startTtsPool(opts);
    return new TtsService(pool, opts.modelsDir, { maxTextChars: DEFAULTS.maxTextChars, defaultModel: DEFAULTS.defaultModel, defaultVoice: DEFAULTS.defaultVoice, ...opts.limits }, true);
  }

  /** Resolves model and voice and prepares the text; throws the request's 400/424 before any audio. */
  plan(spec: SpeechSpec): PlannedSpeech {
    return planSpeech(spec, this.runtime, this.limits);
  }

  /** Model and voice for a request, defaults applied; throws 400 (unknown) or 424 (not installed). */
  resolve(opts: { model?: string; voice?: string; language?: string }): Resolved {
    return resolveModelAndVoice(this.runtime, { ...opts, defaultModel: this.limits.defaultModel, defaultVoice: this.limits.defaultVoice });
  }

  /** The default model and voice now (`auto` follows what is installed: Kokoro when it is). */
  defaults(): { model: string; voice: string } {
    return effectiveDefaults(this.runtime, { model: this.limits.defaultModel, voice: this.limits.defaultVoice });
  }

  /** Speaks one sentence of a live reply as 24 kHz PCM chunks; throws ApiError for an unusable voice. */
  speakSentence(req: SentenceRequest, signal: AbortSignal, stats?: StreamStats): AsyncIterable<AudioChunk> {
    const planned = this.plan({ text: req.text, model: '', voice: req.voice, format: 'pcm', speed: req.speed, pronunciations: [] });
    return synthesizeSpeech({ ...planned.plan, continuation: req.continuation }, signal, stats);
  }

  engine(modelId: string): TtsEngine | undefined {
    return this.runtime.engine(modelId);
  }

  models(): ModelState[] {
    return this.runtime.models();
  }

  voices(): Voice[] {
    return this.runtime.voices();
  }

  findVoice(id: string): Voice | undefined {
    return this.runtime.findVoice(id);
  }

  defaultVoiceFor(modelId: string, language: string): Voice | undefined {
    return this.runtime.defaultVoiceFor(modelId, language);
  }

  /** Requests waiting for a worker. */
  queueSize(): number {
    return this.pool.queueSize();
  }

  /** Counters for metrics and tests: dispatched, completed, cancelled, failed, workers replaced. */
  stats(): TtsPoolStats {
    return this.pool.stats();
  }

  /** Stops the pool when this service started it; otherwise its owner does. */
  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.close();
  }
}
