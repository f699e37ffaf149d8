/**
 * Entry point of the worker threads of `pool.ts` (started by Piscina, never imported for its code
 * elsewhere), and the types of the tasks they run.
 *
 * A worker owns no OS resources: the pool runs ffmpeg on the main thread and sends the decoded PCM
 * over a MessagePort, transferred, a few chunks ahead of recognition. A worker can therefore be
 * terminated at any moment (abort, crash) without leaving a child process behind; a child spawned
 * from a worker thread is neither killed nor reaped when the thread is terminated.
 *
 * Results are tagged outcomes rather than thrown errors: an ApiError thrown here would reach the
 * pool as a plain Error (structured clone keeps no class), and a task that fails must stay
 * distinguishable from a worker that crashed.
 */
import { setPriority } from 'node:os';
import { parentPort, threadId, type MessagePort } from 'node:worker_threads';

import { PocketSphinxDecoder } from '../engines/stt/pocketsphinx/decoder.js';
import { ApiError, type ErrorCode } from '../errors.js';
import { transcribePcm, type Recognizer } from '../stt/transcribe-pcm.js';
import { MFCC_DIARIZER } from '../stt/diarize.js';
import { loadSpeakerModel, onnxSpeakerEmbedding } from '../engines/voice/speaker-embedder.js';
import { pocketsphinxLanguage } from './pocketsphinx-language.js';
import type { Transcript, TranscriptSegment } from '../stt/transcript.js';
import type { LivePartial } from '../stt/live-partial.js';
import { transcribeWithWhisper, type WhisperTaskSpec } from './whisper-run.js';
import { analyzePcm, type AnalyzeTaskInput, type AnalyzeTaskResult } from './analyze-task.js';
import { runVoiceTask, type VoiceTaskInput, type VoiceTaskResults } from './voice-task.js';
import { runAudioTool, type AudioToolTaskInput, type AudioToolTaskResult } from './audio-tool-task.js';
import { WORKER_LOADED } from './pool-shutdown.js';

/** One upload to transcribe. */
export interface SttTaskInput {
  kind: 'transcribe';
  /** A file on local disk (the upload); read by ffmpeg on the main thread. */
  path: string;
  /** ISO 639-1, or `auto`. */
  language: string;
  wordTimestamps: boolean;
  diarize: boolean;
  /** With `diarize`: an installed speaker-embedding model (its id, reported, and `.onnx` path) labels the segments. */
  speakerModel?: { id: string; path: string };
  /** A live turn arriving in real time: decode as it comes rather than per utterance. */
  live?: boolean;
  /** Live turns: send the running hypothesis back as it changes (`partial` messages). */
  partials?: boolean;
  /** Whisper's initial prompt (PocketSphinx has none). */
  prompt?: string;
  /** Live turns: the whole turn's speaker vector in the transcript. */
  speakerVector?: boolean;
  /** Run this Whisper model instead of PocketSphinx. */
  whisper?: WhisperTaskSpec;
  /** Set to 1 by the pool when the caller cancels (Whisper tasks; see pool.ts `cancellation`). */
  cancelFlag?: Int32Array;
}

export type SttTaskResult = Transcript;

/**
 * The pool's health probe: proves a worker thread takes a task and answers (a readiness check can
 * run it), and lets the pool's failure handling be exercised. `sleepMs` blocks the thread as
 * CPU-bound work does (only terminating the thread stops it); `crash` ends the worker the two
 * ways a broken engine does: an uncaught exception, or process.exit from native code.
 */
export interface SelftestInput {
  kind: 'selftest';
  sleepMs?: number;
  crash?: 'throw' | 'exit';
}

export interface SelftestResult {
  /** The worker thread that answered. */
  threadId: number;
}

/** What the pool hands Piscina: a transcription's or an analysis's file is replaced by the port its PCM arrives on. */
export type WorkerTask =
  | (Omit<SttTaskInput, 'path'> & { audio: MessagePort })
  | (AnalyzeTaskInput & { audio: MessagePort })
  | (VoiceTaskInput & { audio: MessagePort })
  | (AudioToolTaskInput & { audio: MessagePort })
  | SelftestInput;

/** Pool to worker, on a transcription's audio port. */
export type AudioFeedMessage =
  | { type: 'pcm'; pcm: Int16Array }
  | { type: 'end' }
  /** Decoding failed; the pool has the reason. */
  | { type: 'failed' };

/** Worker to pool, on a transcription's audio port. */
export type AudioPortMessage =
  /** Send one more chunk. */
  | { type: 'pull' }
  | { type: 'segment'; segment: TranscriptSegment }
  /** A live turn's running hypothesis changed (throttled here, see stt/live-partial.ts). */
  | { type: 'partial'; partial: LivePartial };

/** An ApiError as data. */
export interface TaskError {
  /** The catalogue code, which fixes the status on the other side. */
  code: ErrorCode;
  message: string;
  param: string | null;
  /** For the log only: the stack of an unexpected error, or of an ApiError's cause. */
  detail?: string;
}

export type WorkerOutcome<T> = { ok: true; result: T } | { ok: false; error: TaskError };

/** Chunks the pool may decode ahead of recognition: one being recognized, one waiting. */
const AUDIO_CHUNKS_AHEAD = 2;

/**
 * Linux nice is per thread: this lowers only this worker, so that the main thread (sockets,
 * streaming) still runs at once when transcriptions saturate the cores. Same reasoning and value
 * as the TTS workers.
 */
const WORKER_NICE = 10;
try {
  setPriority(WORKER_NICE);
} catch {
  // Not permitted (some containers): run at normal priority.
}

/** Piscina's handler: one task at a time per thread. */
export default async function runTask(
  task: WorkerTask,
): Promise<
  | WorkerOutcome<SttTaskResult>
  | WorkerOutcome<AnalyzeTaskResult>
  | WorkerOutcome<VoiceTaskResults[keyof VoiceTaskResults]>
  | WorkerOutcome<AudioToolTaskResult>
  | WorkerOutcome<SelftestResult>
> {
  switch (task.kind) {
    case 'transcribe':
      return settle(() => transcribe(task));
    case 'analyze':
      return settle(async () => {
        try {
          return await analyzePcm(receiveAudio(task.audio));
        } finally {
          task.audio.close();
        }
      });
    case 'voice':
      return settle(async () => {
        try {
          return await runVoiceTask(task, receiveAudio(task.audio));
        } finally {
          task.audio.close();
        }
      });
    case 'audio-tool':
      return settle(async () => {
        try {
          return await runAudioTool(task, receiveAudio(task.audio));
        } finally {
          task.audio.close();
        }
      });
    case 'selftest':
      return settle(() => selftest(task));
    default: {
      const never: never = task;
      throw new Error(`unknown task ${JSON.stringify(never)}`);
    }
  }
}

async function settle<T>(run: () => Promise<T>): Promise<WorkerOutcome<T>> {
  try {
    return { ok: true, result: await run() };
  } catch (error) {
    if (error instanceof ApiError) {
      const taskError: TaskError = { code: error.code, message: error.message, param: error.param };
      if (error.cause !== undefined) taskError.detail = describe(error.cause);
      return { ok: false, error: taskError };
    }
    return { ok: false, error: { code: 'internal_error', message: 'Internal server error', param: null, detail: describe(error) } };
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** Recognizers are loaded once per thread and language, then reused task after task. */
const recognizers = new Map<string, Recognizer>();

/**
 * The one place where recognizers are constructed: PocketSphinx (US English models) for English
 * or `auto`. A new engine (Whisper) goes here, chosen by language or by a model field.
 */
function recognizerFor(language: string): Recognizer {
  const primary = pocketsphinxLanguage(language);
  let recognizer = recognizers.get(primary);
  if (recognizer !== undefined) return recognizer;
  let decoder: PocketSphinxDecoder;
  try {
    decoder = new PocketSphinxDecoder();
  } catch (error) {
    throw new ApiError('engine_not_available', 'Speech recognition is not available on this server.', null, { cause: error });
  }
  recognizer = { language: primary, openStream: () => decoder.openStream(), openLiveStream: () => decoder.openLiveStream() };
  recognizers.set(primary, recognizer);
  return recognizer;
}

async function transcribe(task: Extract<WorkerTask, { kind: 'transcribe' }>): Promise<SttTaskResult> {
  const { audio } = task;
  const onSegment = (segment: TranscriptSegment): void => audio.postMessage({ type: 'segment', segment } satisfies AudioPortMessage);
  try {
    const onPartial = task.partials ? (partial: LivePartial): void => audio.postMessage({ type: 'partial', partial } satisfies AudioPortMessage) : undefined;
    if (task.whisper) return await transcribeWithWhisper(task.whisper, receiveAudio(audio), { language: task.language, wordTimestamps: task.wordTimestamps, onSegment, cancelFlag: task.cancelFlag, onPartial, prompt: task.prompt });
    const recognizer = recognizerFor(task.language);
    const chosen = task.live && recognizer.openLiveStream ? { language: recognizer.language, openStream: recognizer.openLiveStream } : recognizer;
    const model = task.diarize ? task.speakerModel : undefined;
    if (model) await loadSpeakerModel(model.path);
    const transcript = await transcribePcm(receiveAudio(audio), chosen, {
      wordTimestamps: task.wordTimestamps,
      diarize: task.diarize,
      speakerEmbedder: model ? (pcm) => onnxSpeakerEmbedding(model.path, pcm) : undefined,
      onSegment,
      onPartial,
      speakerVector: task.speakerVector,
    });
    return task.diarize ? { ...transcript, diarizer: model?.id ?? MFCC_DIARIZER } : transcript;
  } finally {
    audio.close();
  }
}

/** Raised into the transcription when the pool's decoding failed; the pool reports the real reason. */
class AudioFeedFailed extends Error {
  constructor() {
    super('the audio feed failed');
  }
}

/** The PCM the pool sends on `port`, asking for each chunk so that the pool never runs far ahead. */
async function* receiveAudio(port: MessagePort): AsyncGenerator<Int16Array, void, undefined> {
  const inbox: AudioFeedMessage[] = [];
  let wake: (() => void) | null = null;
  const deliver = (message: AudioFeedMessage): void => {
    inbox.push(message);
    wake?.();
    wake = null;
  };
  port.on('message', deliver);
  // The pool closes its end only when it has given up on the task.
  port.on('close', () => deliver({ type: 'failed' }));
  const pull = (): void => port.postMessage({ type: 'pull' } satisfies AudioPortMessage);
  for (let i = 0; i < AUDIO_CHUNKS_AHEAD; i++) pull();
  for (;;) {
    while (inbox.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    const message = inbox.shift()!;
    switch (message.type) {
      case 'pcm':
        yield message.pcm;
        pull();
        break;
      case 'end':
        return;
      case 'failed':
        throw new AudioFeedFailed();
      default: {
        const never: never = message;
        throw new Error(`unexpected audio message ${JSON.stringify(never)}`);
      }
    }
  }
}

async function selftest(task: SelftestInput): Promise<SelftestResult> {
  if (task.sleepMs !== undefined && task.sleepMs > 0) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, task.sleepMs);
  }
  if (task.crash === 'exit') process.exit(70);
  if (task.crash === 'throw') {
    // Thrown outside the task's promise chain: an uncaught exception, which ends the thread.
    setImmediate(() => {
      throw new Error('selftest: uncaught exception requested');
    });
    return new Promise<never>(() => {});
  }
  return { threadId };
}

// Tells the pool this worker has finished loading and may be terminated safely (pool-shutdown.ts).
parentPort?.postMessage({ type: WORKER_LOADED, threadId });
