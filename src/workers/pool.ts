/**
 * The worker pool for CPU-heavy work (transcription, music analysis, audio tools): the one module
 * that owns the Piscina pool, with a typed method per task so that no caller sees untyped payloads.
 *
 * Capacity: `threads` workers, one task each; at most `maxQueue` tasks wait for one, and a task
 * beyond that is refused at once with 503 `overloaded` and a Retry-After.
 *
 * Cancellation: every task takes an AbortSignal. A queued task is dropped; a running one has its
 * worker terminated (Piscina replaces it), since a thread deep in synchronous recognition cannot
 * read a message. The caller gets `signal.reason`.
 *
 * Failures: a worker that crashes (uncaught exception, process.exit, a fatal error) fails its own
 * task only, with 500 `worker_crashed`; Piscina starts a replacement and other tasks run on.
 *
 * Audio: ffmpeg decodes on this thread's side (a child process; only its pipe is read here) and
 * the PCM goes to the worker over a MessagePort, transferred, a chunk or two ahead of recognition
 * (see `stt-task.ts` for why the worker does not run ffmpeg itself).
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { WorkerSlots, type Lane } from './priority-queue.js';
import { PoolShutdown, poolWorkerExecArgv } from './pool-shutdown.js';

import { decodePcmStream } from '../audio/decode-stream.js';
import { ApiError } from '../errors.js';
import type { Logger } from '../logger.js';
import { STT_SAMPLE_RATE_HZ } from '../stt/transcribe-pcm.js';
import { AudioFeed, type TranscribeHooks } from './audio-feed.js';
import { ANALYSIS_SAMPLE_RATE_HZ, type AnalyzeTaskResult } from './analyze-task.js';
import { VOICE_SAMPLE_RATE_HZ, type VoiceTaskInput, type VoiceTaskResults } from './voice-task.js';
import type { AudioToolTaskInput, AudioToolTaskResult } from './audio-tool-task.js';
import type {
  SelftestInput,
  SelftestResult,
  SttTaskInput,
  SttTaskResult,
  TaskError,
  WorkerOutcome,
  WorkerTask,
} from './stt-task.js';

export type { TranscribeHooks } from './audio-feed.js';

/** A refused client may retry after this long (seconds): long enough for a queued task or two to finish. */
const RETRY_AFTER_SEC = 5;

export interface WorkerPoolOptions {
  /** Worker threads; default one per CPU. */
  threads?: number;
  /** Most tasks waiting for a worker; beyond it, 503 `overloaded`. */
  maxQueue: number;
  /** Where crashes are reported (they reach the client only as a generic 500). */
  logger?: Logger;
}

export class WorkerPool {
  private closed = false;
  private readonly shutdown: PoolShutdown;

  private constructor(
    private readonly piscina: Piscina<WorkerTask, WorkerOutcome<unknown>>,
    private readonly slots: WorkerSlots,
    private readonly maxQueue: number,
    private readonly logger: Logger | undefined,
  ) {
    // Piscina emits 'error' for a worker that fails with no task to blame; unhandled, it would end the process.
    piscina.on('error', (error: unknown) => logger?.error({ err: error }, 'pool worker failed outside a task'));
    this.shutdown = new PoolShutdown(piscina);
  }

  /** Starts the workers (they load engines lazily, on their first task). */
  static start(opts: WorkerPoolOptions): WorkerPool {
    const threads = Math.max(1, Math.floor(opts.threads ?? availableParallelism()));
    const maxQueue = Math.max(0, Math.floor(opts.maxQueue));
    // Under tsx (tests, dev) this module is .ts, and so is the entry; workers inherit `--import tsx`
    // through process.execArgv, which Piscina passes on.
    const entry = new URL(`./stt-task${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
    const piscina = new Piscina<WorkerTask, WorkerOutcome<unknown>>({
      filename: entry.href,
      minThreads: threads,
      maxThreads: threads,
      // Admission is ours (WorkerSlots): at most one task per thread reaches Piscina, which only
      // holds one while a crashed or aborted worker's replacement starts.
      maxQueue: threads,
      // Warm workers keep their loaded models: never retire an idle one.
      idleTimeout: Number.POSITIVE_INFINITY,
      // Tasks are seconds long, so Atomics' fast hand-off buys nothing, and it would block an idle
      // worker's event loop.
      atomics: 'disabled',
      execArgv: poolWorkerExecArgv(),
    });
    return new WorkerPool(piscina, new WorkerSlots(threads), maxQueue, opts.logger);
  }

  /** Tasks waiting for a worker. */
  get queueSize(): number {
    return this.slots.queued + this.piscina.queueSize;
  }

  /** Worker threads, a crashed one's replacement counted from the moment it starts. */
  get threads(): number {
    return this.piscina.threads.length;
  }

  /**
   * Transcribes the audio file at `input.path`. Throws ApiError 415/422 for an upload that is not
   * decodable audio, 503 when the queue is full or the pool is closing, 500 `worker_crashed`, the
   * recognizer's own ApiErrors, or `signal.reason` once aborted (ffmpeg and the task stopped).
   */
  async transcribe(input: SttTaskInput, signal: AbortSignal, hooks: TranscribeHooks = {}): Promise<SttTaskResult> {
    const { path, ...options } = input;
    return this.transcribeAudio((feedSignal) => decodePcmStream(path, { sampleRateHz: STT_SAMPLE_RATE_HZ, signal: feedSignal }), options, signal, hooks);
  }

  /**
   * Transcribes 16 kHz mono PCM as it arrives (a live turn): recognition runs while `audio` is
   * still being produced, so when it ends only its tail is left to decode. Starts before queued
   * file transcriptions (a user is waiting). Same errors as `transcribe`, less the upload ones.
   */
  transcribePcm(audio: AsyncIterable<Int16Array>, options: Omit<SttTaskInput, 'path'>, signal: AbortSignal, hooks: TranscribeHooks = {}): Promise<SttTaskResult> {
    return this.transcribeAudio(() => audio, options, signal, hooks, 'live');
  }

  /**
   * Key, tempo and time signature of the audio file at `path` (`analyze-task.ts`), decoded as it
   * is analysed. Same errors as `transcribe`, less the recognizer's.
   */
  analyze(path: string, signal: AbortSignal): Promise<AnalyzeTaskResult> {
    const source = (feedSignal: AbortSignal): AsyncIterable<Int16Array> => decodePcmStream(path, { sampleRateHz: ANALYSIS_SAMPLE_RATE_HZ, signal: feedSignal });
    return this.runWithAudio<AnalyzeTaskResult>(source, (audio) => ({ kind: 'analyze', audio }), signal, {}, 'batch');
  }

  /** A voice task (`voice-task.ts`) over the 16 kHz PCM of the file at `audio`, or of PCM given (handed over). */
  voice<I extends VoiceTaskInput>(audio: string | Int16Array, input: I, signal: AbortSignal): Promise<VoiceTaskResults[I['op']]> {
    const source = typeof audio === 'string' ? (s: AbortSignal) => decodePcmStream(audio, { sampleRateHz: VOICE_SAMPLE_RATE_HZ, signal: s }) : async function* () { yield audio; };
    return this.runWithAudio<VoiceTaskResults[I['op']]>(source, (port) => ({ ...input, audio: port }), signal, {}, 'batch');
  }

  /** An audio tool (`audio-tool-task.ts`) over the file at `path`, decoded at `rateHz`. Same errors as `analyze`. */
  audioTool(path: string, task: AudioToolTaskInput, rateHz: number, signal: AbortSignal): Promise<AudioToolTaskResult> {
    // 1 s chunks: a worker's garbage per chunk stays small enough for the young generation.
    const source = (s: AbortSignal) => decodePcmStream(path, { sampleRateHz: rateHz, channels: task.channels, chunkSamples: rateHz * task.channels, signal: s });
    return this.runWithAudio<AudioToolTaskResult>(source, (audio) => ({ ...task, audio }), signal, {}, 'batch');
  }

  private transcribeAudio(
    source: (signal: AbortSignal) => AsyncIterable<Int16Array>,
    options: Omit<SttTaskInput, 'path'>,
    signal: AbortSignal,
    hooks: TranscribeHooks,
    lane: Lane = 'batch',
  ): Promise<SttTaskResult> {
    return this.runWithAudio<SttTaskResult>(source, (audio) => ({ ...options, audio }), signal, hooks, lane);
  }

  /** Runs the task `taskOf(port)` with `source`'s PCM fed down that port as the worker pulls it. */
  private async runWithAudio<T>(
    source: (signal: AbortSignal) => AsyncIterable<Int16Array>,
    taskOf: (audio: MessagePort) => WorkerTask,
    signal: AbortSignal,
    hooks: TranscribeHooks,
    lane: Lane,
  ): Promise<T> {
    signal.throwIfAborted();
    const { port1, port2 } = new MessageChannel();
    const stopFeed = new AbortController();
    const feed = new AudioFeed(source, port1, AbortSignal.any([signal, stopFeed.signal]), hooks);
    try {
      return await this.run<T>(taskOf(port2), signal, [port2], lane);
    } catch (error) {
      // A worker that failed because its audio did is explained by the decoding error.
      throw feed.error ?? error;
    } finally {
      stopFeed.abort();
      port1.close();
      await feed.done;
    }
  }

  /**
   * Throws what a task of `lane` submitted now would be refused with at once: 503 `shutting_down`,
   * or 503 `overloaded` when no worker is free and the queue is full. Lets an upload be refused
   * before its body is received, rather than after.
   */
  checkAdmission(lane: Lane): void {
    if (this.closed) throw shuttingDown();
    if (!this.slots.canStart(lane) && this.slots.queued >= this.maxQueue) throw overloaded();
  }

  /**
   * A batch slot with no task on a worker, for CPU work that runs in a child process (ffmpeg
   * conversions): it counts against the same capacity, so conversions and transcriptions share
   * the cores and the 503 rule. Resolves with the slot's release once one is free.
   */
  async reserveSlot(signal: AbortSignal): Promise<() => void> {
    signal.throwIfAborted();
    this.checkAdmission('batch');
    return this.slots.acquire('batch', signal);
  }

  /** The health probe (see `SelftestInput`): resolves with the answering thread's id. */
  selftest(input: Omit<SelftestInput, 'kind'>, signal: AbortSignal): Promise<SelftestResult> {
    return this.run<SelftestResult>({ kind: 'selftest', ...input }, signal);
  }

  /** Fails queued and running tasks with 503 `shutting_down` and stops the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.slots.releaseAll();
    await this.shutdown.settle();
    await this.piscina.destroy();
  }

  private async run<T>(task: WorkerTask, signal: AbortSignal, transferList: MessagePort[] = [], lane: Lane = 'batch'): Promise<T> {
    signal.throwIfAborted();
    this.checkAdmission(lane);
    const release = await this.slots.acquire(lane, signal);
    let outcome: WorkerOutcome<unknown>;
    const stop = cancellation(task, signal);
    try {
      if (this.closed) throw shuttingDown();
      const running = this.piscina.run(task, { signal: stop.signal, transferList });
      outcome = await (stop.terminable ? running : this.shutdown.uninterruptible(running, stop.flag));
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (this.closed) throw shuttingDown();
      if (error instanceof ApiError) throw error;
      if (error instanceof Error && /queue is at limit|No task queue available/.test(error.message)) throw overloaded();
      this.logger?.error({ err: error, task: task.kind }, 'pool worker crashed');
      throw new ApiError('worker_crashed', 'The server failed while processing this request; it may succeed if retried.', null, { cause: error });
    } finally {
      stop.dispose();
      release();
    }
    if (signal.aborted) throw signal.reason;
    if (!outcome.ok) throw fromTaskError(outcome.error);
    return outcome.result as T;
  }
}

/**
 * How long a cancelled Whisper task may take to reach its next decoding step (a Demucs separation
 * its next segment) before its worker is terminated anyway (a worker waiting for audio, not
 * inside an inference).
 */
const WHISPER_CANCEL_GRACE_MS = 30_000;

/**
 * The signal Piscina gets for a task. A thread inside an onnxruntime inference must not be
 * terminated (onnxruntime-node runs it on the thread, and ending the thread there aborts the whole
 * process), so a Whisper task or a Demucs separation is told through a shared flag, which the
 * decoding loop reads at every step (the separation before every segment), and terminated only if
 * it has not returned within the grace.
 */
function cancellation(task: WorkerTask, signal: AbortSignal): { signal: AbortSignal; terminable: boolean; flag?: Int32Array; dispose(): void } {
  // ONNX voice tasks (seconds of inference) finish rather than being terminated inside an inference.
  if (task.kind === 'voice' && (task.op === 'embed' ? task.onnx : task.op === 'convert' && (task.knn ?? task.openvoice))) return { signal: new AbortController().signal, terminable: false, dispose: () => {} };
  // A separation network reads the flag between segments, F5-TTS between flow-matching steps, as Whisper does between decoding steps.
  const flagged = task.kind === 'transcribe' ? task.whisper !== undefined : task.kind === 'voice' ? task.op === 'clone' : task.kind === 'audio-tool' && task.spec.tool === 'separate' && task.spec.stems !== 2;
  if (!flagged) return { signal, terminable: true, dispose: () => {} };
  const flag = new Int32Array(new SharedArrayBuffer(4));
  (task as { cancelFlag?: Int32Array }).cancelFlag = flag;
  const terminate = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    Atomics.store(flag, 0, 1);
    timer = setTimeout(() => terminate.abort(signal.reason), WHISPER_CANCEL_GRACE_MS);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  return {
    signal: terminate.signal,
    terminable: false,
    flag,
    dispose: () => {
      signal.removeEventListener('abort', onAbort);
      clearTimeout(timer);
    },
  };
}

function overloaded(): ApiError {
  return new ApiError('overloaded', 'The server is busy; retry shortly', null, { headers: { 'Retry-After': String(RETRY_AFTER_SEC) } });
}

function shuttingDown(): ApiError {
  return new ApiError('shutting_down', 'The server is shutting down');
}

function fromTaskError(error: TaskError): ApiError {
  return new ApiError(error.code, error.message, error.param, error.detail === undefined ? undefined : { cause: new Error(error.detail) });
}
