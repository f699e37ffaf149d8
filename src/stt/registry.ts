/**
 * The STT engine registry: the catalogue with what is installed, and the engines that run. The
 * built-in PocketSphinx and every installed Whisper model run on the worker pool; this is where a
 * catalogue entry meets the pool (`src/engines/` knows nothing of workers), as `src/tts/runtime.ts`
 * does for TTS. A Whisper folder is checked when the registry is built (configs, tokenizer, which
 * graphs); one that fails then, or later in a worker, is listed as failed with why, and requests
 * naming it get that 424 while every other model keeps serving.
 */
import { STT_MODEL_CATALOGUE, WHISPER_MODELS, type SttModelInfo } from '../engines/stt/catalogue.js';
import { isInstalled, modelDataDir, modelsNamedToLoad } from '../engines/model-files.js';
import { DEFAULT_ONNX_SETTINGS, type OnnxSettings } from '../engines/onnx/settings.js';
import type { WhisperVariantChoice } from '../engines/stt/whisper/export-files.js';
import { checkWhisperFolder, WhisperLoadError } from '../engines/stt/whisper/load-model.js';
import type { LiveSttRequest, SttEngine, SttFileAudio, SttRequest } from '../engines/stt/types.js';
import type { LiveSttPool } from '../workers/live-stt-pool.js';
import type { WorkerPool } from '../workers/pool.js';
import type { SttModelStatus } from './resolve.js';
import type { Transcript } from './transcript.js';
import { WhisperSttEngine } from './whisper-engine.js';
import { installedSpeakerModel } from '../voice/voice-models.js';
import { whisperFailedError } from './whisper-failure.js';

/** How Whisper models run: what the server's configuration says (see config.ts). */
export interface WhisperRuntimeOptions {
  onnx: OnnxSettings;
  /** Each worker thread's share of the model memory budget, bytes (0: no limit). */
  budgetBytesPerThread: number;
  /** Which precision of the graphs to load (`whisperVariant`). */
  variant: WhisperVariantChoice;
  /** The pool Whisper tasks run on when not the STT pool (one worker on an accelerator). */
  pool?: WorkerPool;
}

const DEFAULT_WHISPER_RUNTIME: WhisperRuntimeOptions = { onnx: DEFAULT_ONNX_SETTINGS, budgetBytesPerThread: 0, variant: 'auto' };

/** A built-in engine whose recognition runs in the worker pool (ffmpeg decodes on this thread's side). */
class PooledSttEngine implements SttEngine {
  readonly id: string;
  readonly languages: readonly string[];
  readonly capabilities: SttModelInfo['capabilities'];

  constructor(
    info: SttModelInfo,
    private readonly pool: WorkerPool,
    /** Live turns run here, many per thread, when given; otherwise each holds a pool worker. */
    private readonly live: LiveSttPool | undefined,
    /** Looked up per request: a speaker model installed while the server runs serves diarization at once. */
    private readonly modelsDir?: string,
  ) {
    this.id = info.id;
    this.languages = info.languages;
    this.capabilities = info.capabilities;
  }

  transcribe(audio: SttFileAudio, req: SttRequest, signal: AbortSignal): Promise<Transcript> {
    return this.pool.transcribe(
      {
        kind: 'transcribe',
        path: audio.path,
        language: req.language,
        wordTimestamps: req.wordTimestamps,
        diarize: req.diarize,
        speakerModel: req.diarize && this.modelsDir !== undefined ? installedSpeakerModel(this.modelsDir) : undefined,
      },
      signal,
      { onSegment: req.onSegment },
    );
  }

  transcribeLive(pcm: AsyncIterable<Int16Array>, req: LiveSttRequest, signal: AbortSignal): Promise<Transcript> {
    const wordTimestamps = req.wordTimestamps ?? false;
    const speakerVector = req.speakerVector ?? false;
    if (this.live) return this.live.transcribe(pcm, req.language, signal, { onPartial: req.onPartial, wordTimestamps, speakerVector });
    const partials = req.onPartial !== undefined;
    return this.pool.transcribePcm(pcm, { kind: 'transcribe', language: req.language, wordTimestamps, diarize: false, live: true, partials, speakerVector }, signal, { onPartial: req.onPartial });
  }
}

/** Loaded engines and the catalogue; built once at start. */
export class SttRegistry {
  private readonly engines = new Map<string, SttEngine>();
  /** Installed models that cannot be used, with the 424 message that says why. */
  private readonly failed = new Map<string, string>();

  constructor(
    pool: WorkerPool,
    private readonly modelsDir: string,
    private readonly catalogue: readonly SttModelInfo[] = STT_MODEL_CATALOGUE,
    whisper: WhisperRuntimeOptions = DEFAULT_WHISPER_RUNTIME,
    live?: LiveSttPool,
  ) {
    // The pool's workers construct PocketSphinx (see workers/stt-task.ts) and Whisper models.
    const pocketsphinx = catalogue.find((m) => m.id === 'pocketsphinx');
    if (pocketsphinx) this.engines.set(pocketsphinx.id, new PooledSttEngine(pocketsphinx, pool, live, modelsDir));
    const whisperIds = new Set(WHISPER_MODELS.map((m) => m.id));
    for (const m of catalogue.filter((x) => whisperIds.has(x.id) && isInstalled(x, modelsDir))) this.addWhisper(m, pool, whisper);
  }

  private addWhisper(m: SttModelInfo, pool: WorkerPool, opts: WhisperRuntimeOptions): void {
    const dir = modelDataDir(m, this.modelsDir)!;
    let version: string;
    try {
      version = checkWhisperFolder(dir, opts.variant).version;
    } catch (error) {
      if (!(error instanceof WhisperLoadError)) throw error;
      this.failed.set(m.id, whisperFailedError(m.id, error.message).message);
      return;
    }
    const spec = { modelId: m.id, dir, variant: opts.variant, version, onnx: opts.onnx, budgetBytes: opts.budgetBytesPerThread };
    this.engines.set(m.id, new WhisperSttEngine(m, opts.pool ?? pool, spec, (message) => this.fail(m.id, message)));
  }

  /** Marks a model failed (a worker could not load it): it stays so until the server restarts. */
  private fail(id: string, message: string): void {
    this.failed.set(id, message);
    this.engines.delete(id);
  }

  /**
   * Loads the Whisper models `list` names (comma-separated ids, or `all`: every installed one)
   * into `copies` workers each, one model after another. Resolves when done; failures mark the
   * model failed (and are not thrown: the server serves on without it).
   */
  async loadAtStart(list: string, copies: number, signal: AbortSignal): Promise<string[]> {
    const wanted = modelsNamedToLoad(list);
    const loaded: string[] = [];
    for (const [id, engine] of this.engines) {
      if (!(engine instanceof WhisperSttEngine) || (wanted !== null && !wanted.has(id))) continue;
      try {
        await engine.warm(copies, signal);
        loaded.push(id);
      } catch {
        if (signal.aborted) break;
      }
    }
    return loaded;
  }

  /** A running engine; undefined for a model that is catalogued but has no engine here. */
  engine(id: string): SttEngine | undefined {
    return this.engines.get(id);
  }

  /**
   * The catalogue with each model's status. Installed means its files are present and an engine
   * here runs it; `failed` says why an installed one cannot be used.
   */
  models(): SttModelStatus[] {
    return this.catalogue.map((m) => {
      const failed = this.failed.get(m.id);
      if (failed !== undefined) return { ...m, installed: true, loaded: false, failed };
      const engine = this.engines.get(m.id);
      const installed = engine !== undefined && isInstalled(m, this.modelsDir);
      return { ...m, installed, loaded: installed && (engine instanceof WhisperSttEngine ? engine.loaded : m.builtin) };
    });
  }
}
