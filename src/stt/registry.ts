/**
 * The STT engine registry: the catalogue with what is installed, and the engines that run. The
 * built-in PocketSphinx runs on the worker pool; this is where a catalogue entry meets the pool
 * (`src/engines/` knows nothing of workers), as `src/tts/runtime.ts` does for TTS.
 */
import { STT_MODEL_CATALOGUE, type SttModelInfo } from '../engines/stt/catalogue.js';
import { isInstalled } from '../engines/model-files.js';
import type { LiveSttRequest, SttEngine, SttFileAudio, SttRequest } from '../engines/stt/types.js';
import type { WorkerPool } from '../workers/pool.js';
import type { SttModelStatus } from './resolve.js';
import type { Transcript } from './transcript.js';

/** A built-in engine whose recognition runs in the worker pool (ffmpeg decodes on this thread's side). */
class PooledSttEngine implements SttEngine {
  readonly id: string;
  readonly languages: readonly string[];
  readonly capabilities: SttModelInfo['capabilities'];

  constructor(
    info: SttModelInfo,
    private readonly pool: WorkerPool,
  ) {
    this.id = info.id;
    this.languages = info.languages;
    this.capabilities = info.capabilities;
  }

  transcribe(audio: SttFileAudio, req: SttRequest, signal: AbortSignal): Promise<Transcript> {
    return this.pool.transcribe(
      { kind: 'transcribe', path: audio.path, language: req.language, wordTimestamps: req.wordTimestamps, diarize: req.diarize },
      signal,
      { onSegment: req.onSegment },
    );
  }

  transcribeLive(pcm: AsyncIterable<Int16Array>, req: LiveSttRequest, signal: AbortSignal): Promise<Transcript> {
    return this.pool.transcribePcm(pcm, { kind: 'transcribe', language: req.language, wordTimestamps: false, diarize: false, live: true }, signal);
  }
}

/** Loaded engines and the catalogue; built once at start. */
export class SttRegistry {
  private readonly engines = new Map<string, SttEngine>();

  constructor(
    pool: WorkerPool,
    private readonly modelsDir: string,
    private readonly catalogue: readonly SttModelInfo[] = STT_MODEL_CATALOGUE,
  ) {
    // The pool's workers construct PocketSphinx (see workers/stt-task.ts); it is the only engine they run.
    const pocketsphinx = catalogue.find((m) => m.id === 'pocketsphinx');
    if (pocketsphinx) this.engines.set(pocketsphinx.id, new PooledSttEngine(pocketsphinx, pool));
  }

  /** A running engine; undefined for a model that is catalogued but has no engine here. */
  engine(id: string): SttEngine | undefined {
    return this.engines.get(id);
  }

  /**
   * The catalogue with each model's status. Installed means runnable: a model whose files are
   * present but which no engine here runs is not offered.
   */
  models(): SttModelStatus[] {
    return this.catalogue.map((m) => ({ ...m, installed: this.engines.has(m.id) && isInstalled(m, this.modelsDir) }));
  }
}
