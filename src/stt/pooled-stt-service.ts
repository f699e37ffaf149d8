/**
 * The STT service over the engine registry: resolves which model serves a request (resolve.ts),
 * probes an upload so that what is not usable audio is a 415/422 before any work is queued, then
 * hands the audio to that model's engine (the built-in one runs on the worker pool).
 */
import { probeUpload } from '../audio/decode-stream.js';
import { STT_MODEL_ALIASES } from '../engines/stt/catalogue.js';
import type { SttEngine } from '../engines/stt/types.js';
import { ApiError } from '../errors.js';
import type { LiveSttPool } from '../workers/live-stt-pool.js';
import type { WorkerPool } from '../workers/pool.js';
import { SttRegistry, type WhisperRuntimeOptions } from './registry.js';
import { resolveSttModel, type ResolvedSttModel, type SttModelQuery, type SttModelStatus } from './resolve.js';
import type { LiveTranscribeOptions, SttFileAudio, SttService, TranscribeOptions } from './service.js';
import type { Transcript } from './transcript.js';

/** As OpenAI: shorter audio is almost always a truncated or broken upload. */
const MIN_AUDIO_SEC = 0.1;

export class PooledSttService implements SttService {
  private readonly registry: SttRegistry;
  /** Config `sttDefaultModel`: the model used when a request names none. */
  private readonly defaultModel: string;
  /** Workers that run Whisper, each loading its own copy. */
  private readonly whisperThreads: number;
  private live = 0;

  constructor(
    private readonly pool: WorkerPool,
    modelsDir: string,
    opts: { whisper?: WhisperRuntimeOptions; defaultModel?: string; live?: LiveSttPool } = {},
  ) {
    this.registry = new SttRegistry(pool, modelsDir, undefined, opts.whisper, opts.live);
    this.defaultModel = opts.defaultModel?.trim() || 'auto';
    // A misspelt default would turn every request into a 400: refuse it at start instead.
    const known = this.registry.models().some((m) => m.id === this.defaultModel) || this.defaultModel in STT_MODEL_ALIASES;
    if (this.defaultModel !== 'auto' && !known) throw new Error(`config: sttDefaultModel: '${this.defaultModel}' is not a speech-to-text model (see llais models list), nor 'auto'`);
    this.whisperThreads = (opts.whisper?.pool ?? pool).threads;
  }

  models(): SttModelStatus[] {
    return this.registry.models();
  }

  /** See SttRegistry.loadAtStart (config `modelsLoadAtStart`); resolves with the ids loaded. */
  loadAtStart(list: string, signal: AbortSignal): Promise<string[]> {
    return this.registry.loadAtStart(list, this.whisperThreads, signal);
  }

  checkCapacity(): void {
    this.pool.checkAdmission('batch');
  }

  resolve(query: SttModelQuery): ResolvedSttModel {
    return resolveSttModel(this.models(), query, this.defaultModel);
  }

  async transcribe(audio: SttFileAudio, opts: TranscribeOptions, signal: AbortSignal): Promise<Transcript> {
    const engine = this.engineFor({ ...opts, live: false });
    const info = await probeUpload(audio.path);
    if (info.durationSec < MIN_AUDIO_SEC) {
      throw new ApiError('audio_too_short', `The audio is ${info.durationSec.toFixed(3)} s long; the minimum is ${MIN_AUDIO_SEC} s (a truncated upload?)`, 'file');
    }
    signal.throwIfAborted();
    return engine.transcribe(audio, opts, signal);
  }

  async transcribeLive(pcm: AsyncIterable<Int16Array>, opts: LiveTranscribeOptions, signal: AbortSignal): Promise<Transcript> {
    // Not `live: true`: a model without incremental decoding (Whisper) transcribes the turn when it ends.
    const engine = this.engineFor({ model: opts.model, language: opts.language, task: 'transcribe', wordTimestamps: false, diarize: false, live: false });
    if (!engine.transcribeLive) throw new Error(`engine ${engine.id} has no transcribeLive`);
    this.live++;
    try {
      return await engine.transcribeLive(pcm, { language: opts.language, onPartial: opts.onPartial, wordTimestamps: opts.wordTimestamps, prompt: opts.prompt, speakerVector: opts.speakerVector }, signal);
    } finally {
      this.live--;
    }
  }

  get liveTurns(): number {
    return this.live;
  }

  private engineFor(query: SttModelQuery): SttEngine {
    const { model } = this.resolve(query);
    const engine = this.registry.engine(model);
    // The registry calls a model installed only when it has its engine.
    if (!engine) throw new Error(`no engine for installed STT model ${model}`);
    return engine;
  }
}
