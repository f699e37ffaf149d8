/**
 * The typed messages between the TTS pool and its worker threads, and what a worker reports
 * about its engines when it starts.
 */
import type { WordTiming } from '../audio/pcm.js';
import type { OnnxSettings } from '../engines/onnx/settings.js';
import type { EspeakVoiceInfo } from '../engines/tts/espeak/espeak-core.js';
import type { FliteImage } from '../engines/tts/flite/flite-core.js';
import type { KokoroVoiceRef } from '../engines/tts/kokoro/kokoro-core.js';
import type { PiperVoiceRef } from '../engines/tts/piper/piper-core.js';

export type BuiltinEngineId = 'espeak' | 'flite' | 'pico';
export type TaskPriority = 'first' | 'rest';

/** One piece of text for one engine: a built-in engine's voice name, or a neural voice's files. */
export type TtsJob = JobCommon &
  (
    | {
        engine: BuiltinEngineId;
        /** The engine's own voice name (eSpeak identifier, flite voice, pico language tag). */
        voice: string;
      }
    | { engine: 'piper'; voice: PiperVoiceRef }
    /** The voice's style tables travel in shared memory: posting the job copies none of them. */
    | { engine: 'kokoro'; voice: KokoroVoiceRef }
  );

interface JobCommon {
  text: string;
  /** Already clamped to what the engine can do. */
  speed: number;
  priority: TaskPriority;
  /** Resample in the worker to this rate, keeping the main thread free of per-sample work. */
  outputSampleRateHz?: number;
}

/** What a worker found when it loaded its engines. */
export interface EngineInventory {
  espeakVoices: EspeakVoiceInfo[];
  fliteVoices: string[];
  /** Empty when no pico lingware was found. */
  picoLanguages: string[];
}

/**
 * What the built-in engines are made from, prepared once per pool and handed to every worker:
 * shared memory and compiled modules, so each worker adds only its own engine state.
 */
export interface SharedEngineData {
  /** espeak-ng.data; every worker's eSpeak files are read-only views on it. */
  espeakData: SharedArrayBuffer;
  flite: FliteImage;
  /** svoxpico.wasm compiled; null when there is no pico lingware directory. */
  picoModule: WebAssembly.Module | null;
}

export interface TtsWorkerData {
  /** Directory with pico lingware, or null to run without pico. */
  picoLingwareDir: string | null;
  /** A directory the worker may write temporary files into; the pool removes it on close. */
  scratchDir: string;
  /** An open /dev/null, for engine output nobody reads. */
  devNullFd: number;
  /** Int32Array[1]: the id of the task the pool wants stopped. */
  cancelFlag: SharedArrayBuffer;
  /** How neural models' sessions are made (providers, threads). */
  onnx: OnnxSettings;
  /** This worker's share of the model memory budget; 0: no limit. */
  sessionBudgetBytes: number;
  /** Synthesize a few sentences with every built-in engine before reporting ready. */
  warmUp: boolean;
  engineData: SharedEngineData;
}

export type PoolToWorker =
  | { type: 'run'; taskId: number; job: TtsJob }
  /** Stop at the next chunk, let any onnxruntime inference finish, then end the thread. */
  | { type: 'close' };

export type WorkerToPool =
  | { type: 'ready'; inventory: EngineInventory }
  | { type: 'chunk'; taskId: number; pcm: Int16Array; sampleRateHz: number; words?: WordTiming[] }
  | { type: 'done'; taskId: number; cancelled: boolean }
  /** The task's voice could not be loaded (its files are broken); the worker itself is fine. */
  | { type: 'voice-failed'; taskId: number; reason: string };
