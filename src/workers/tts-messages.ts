/**
 * The typed messages between the TTS pool and its worker threads, and what a worker reports
 * about its engines when it starts.
 */
import type { WordTiming } from '../audio/pcm.js';
import type { EspeakVoiceInfo } from '../engines/tts/espeak/espeak-core.js';
import type { PiperVoiceRef } from '../engines/tts/piper/piper-core.js';

export type BuiltinEngineId = 'espeak' | 'flite' | 'pico';
export type TaskPriority = 'first' | 'rest';

/** One piece of text for one engine: a built-in engine's voice name, or a Piper voice's files. */
export type TtsJob = JobCommon &
  (
    | {
        engine: BuiltinEngineId;
        /** The engine's own voice name (eSpeak identifier, flite voice, pico language tag). */
        voice: string;
      }
    | { engine: 'piper'; voice: PiperVoiceRef }
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

export interface TtsWorkerData {
  /** Directory with pico lingware, or null to run without pico. */
  picoLingwareDir: string | null;
  /** A directory the worker may write temporary files into; the pool removes it on close. */
  scratchDir: string;
  /** An open /dev/null, for engine output nobody reads. */
  devNullFd: number;
  /** Int32Array[1]: the id of the task the pool wants stopped. */
  cancelFlag: SharedArrayBuffer;
}

export type PoolToWorker = { type: 'run'; taskId: number; job: TtsJob };

export type WorkerToPool =
  | { type: 'ready'; inventory: EngineInventory }
  | { type: 'chunk'; taskId: number; pcm: Int16Array; sampleRateHz: number; words?: WordTiming[] }
  | { type: 'done'; taskId: number; cancelled: boolean }
  /** The task's voice could not be loaded (its files are broken); the worker itself is fine. */
  | { type: 'voice-failed'; taskId: number; reason: string };
