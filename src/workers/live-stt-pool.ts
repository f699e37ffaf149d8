/**
 * Live recognition threads: PocketSphinx turns decoded as they arrive, many turns per thread, so
 * live speakers scale with decoders (memory) rather than with threads. A turn is pinned to the
 * thread with the fewest open turns when it starts and keeps its decoder there to the end.
 *
 * Feeding: the turn's audio is read here as it comes and sent in slices of at most
 * MAX_SLICE_SAMPLES, transferred, one unanswered slice per turn; audio that arrives while a slice
 * is being decoded waits here and goes out together with the next (coalesced, up to the bound).
 * The thread's event loop so serves its turns in turn, a slice each, and when a turn ends only
 * its last slice or two are left to decode (sent at once, with the end behind them).
 *
 * These threads are apart from the Piscina pool (files, Whisper) and run at normal priority while
 * the pool's workers are niced, so a file transcription neither takes a live turn's thread nor
 * wins the CPU over it.
 *
 * Cancellation: an aborted turn frees its decoder on its thread and rejects with `signal.reason`.
 * A thread that dies fails its own turns with 500 `worker_crashed` and is replaced.
 */
import { Worker } from 'node:worker_threads';

import { ApiError } from '../errors.js';
import type { Logger } from '../logger.js';
import { STT_SAMPLE_RATE_HZ } from '../stt/transcribe-pcm.js';
import type { LivePartial } from '../stt/live-partial.js';
import type { Transcript } from '../stt/transcript.js';
import type { LiveDecoderStats, LiveFromWorker, LiveToWorker } from './live-stt-messages.js';

/** 200 ms of audio, about 30 ms of a core: the longest a slice keeps the other turns of its thread waiting. */
const MAX_SLICE_SAMPLES = STT_SAMPLE_RATE_HZ / 5;

/** Config `sttLiveDecoders`: live turns on these threads (`pinned`) or each on a pool worker (`pool`). */
export type LiveDecoders = 'pinned' | 'pool';

/** Reads config `sttLiveDecoders`; anything else is refused at start. */
export function liveDecodersFrom(value: string): LiveDecoders {
  if (value === 'pinned' || value === 'pool') return value;
  throw new Error(`config: sttLiveDecoders: '${value}' is not 'pinned' or 'pool'`);
}

/** What a live turn may ask for beyond its transcript. */
export interface LiveTurnExtras {
  /** The running hypothesis, as it changes. */
  onPartial?: (partial: LivePartial) => void;
  /** Timed words in the transcript's segments. */
  wordTimestamps?: boolean;
  /** The turn's speaker vector in the transcript. */
  speakerVector?: boolean;
}

export interface LiveSttPoolOptions {
  threads: number;
  logger?: Logger;
}

/** One turn being fed to its thread. */
interface TurnState {
  thread: LiveThread;
  resolve: (transcript: Transcript) => void;
  reject: (error: unknown) => void;
  /** Called when the thread has taken the last slice. */
  onReady: () => void;
  onPartial: ((partial: LivePartial) => void) | undefined;
}

/** A live recognition thread and the turns pinned to it. */
interface LiveThread {
  worker: Worker;
  turns: Map<number, TurnState>;
  statsWaiters: Array<(stats: LiveDecoderStats) => void>;
}

export class LiveSttPool {
  private readonly threads: LiveThread[] = [];
  private nextTurn = 1;
  private closed = false;

  private constructor(private readonly logger: Logger | undefined) {}

  /** Starts `threads` live recognition threads (each loads decoders on its first turns). */
  static start(opts: LiveSttPoolOptions): LiveSttPool {
    const pool = new LiveSttPool(opts.logger);
    for (let i = 0; i < Math.max(1, Math.floor(opts.threads)); i++) pool.threads.push(pool.spawn());
    return pool;
  }

  /**
   * Transcribes one live turn (16 kHz mono PCM as it arrives). Throws the recognizer's ApiErrors
   * (400 `unsupported_language`, 424 `engine_not_available`), 500 `worker_crashed`, 503
   * `shutting_down`, or `signal.reason` once aborted.
   */
  async transcribe(audio: AsyncIterable<Int16Array>, language: string, signal: AbortSignal, extra: LiveTurnExtras = {}): Promise<Transcript> {
    const { onPartial, wordTimestamps = false, speakerVector = false } = extra;
    signal.throwIfAborted();
    if (this.closed) throw shuttingDown();
    const thread = this.threads.reduce((a, b) => (b.turns.size < a.turns.size ? b : a));
    const id = this.nextTurn++;
    const send = (message: LiveToWorker, transfer: ArrayBuffer[] = []): void => thread.worker.postMessage(message, transfer);
    const pending = new SliceQueue();
    let inFlight = false;
    let ended = false;
    let endSent = false;
    const pump = (): void => {
      if (endSent) return;
      if (ended) {
        // The turn is over: its tail goes out at once, with the end behind it, rather than a
        // slice per round trip through this (busy) thread while the speaker waits.
        for (let pcm = pending.take(MAX_SLICE_SAMPLES); pcm !== null; pcm = pending.take(MAX_SLICE_SAMPLES)) {
          send({ type: 'slice', turn: id, pcm }, [pcm.buffer as ArrayBuffer]);
        }
        send({ type: 'end', turn: id });
        endSent = true;
        return;
      }
      if (inFlight) return;
      const pcm = pending.take(MAX_SLICE_SAMPLES);
      if (pcm === null) return;
      inFlight = true;
      send({ type: 'slice', turn: id, pcm }, [pcm.buffer as ArrayBuffer]);
    };
    let rejectTurn: (error: unknown) => void = () => {};
    const result = new Promise<Transcript>((resolve, reject) => {
      rejectTurn = reject;
      thread.turns.set(id, { thread, resolve, reject, onReady: () => ((inFlight = false), pump()), onPartial });
    });
    result.catch(() => {}); // awaited below, or superseded by the audio's own failure
    send({ type: 'open', turn: id, language, wordTimestamps, speakerVector, partials: onPartial !== undefined });
    const onAbort = (): void => {
      if (thread.turns.delete(id)) send({ type: 'abort', turn: id });
      rejectTurn(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      // Read until the audio ends, or the turn fails or is aborted before it does.
      const settled = result.then(() => undefined, () => undefined);
      for await (const chunk of untilStopped(audio, settled)) {
        pending.push(chunk);
        pump();
      }
      signal.throwIfAborted();
      ended = true;
      pump();
      return await result;
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (thread.turns.delete(id)) send({ type: 'abort', turn: id });
      throw error;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Decoders held by turns and kept idle, over all threads. */
  async stats(): Promise<LiveDecoderStats> {
    const each = await Promise.all(
      this.threads.map((t) => new Promise<LiveDecoderStats>((resolve) => {
        t.statsWaiters.push(resolve);
        t.worker.postMessage({ type: 'stats' } satisfies LiveToWorker);
      })),
    );
    return each.reduce((a, b) => ({ active: a.active + b.active, idle: a.idle + b.idle }), { active: 0, idle: 0 });
  }

  /** Fails open turns with 503 `shutting_down` and stops the threads. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.threads) for (const turn of t.turns.values()) turn.reject(shuttingDown());
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }

  private spawn(): LiveThread {
    // Under tsx (tests, dev) this module is .ts, and so is the entry.
    const entry = new URL(`./live-stt-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
    const worker = entry.pathname.endsWith('.ts')
      ? // Workers do not inherit tsx's loader hooks from `--import tsx`; register them first (as tts-worker-spawn.ts).
        new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`, { eval: true })
      : new Worker(entry);
    const thread: LiveThread = { worker, turns: new Map(), statsWaiters: [] };
    thread.worker.on('message', (message: LiveFromWorker) => this.receive(thread, message));
    thread.worker.on('error', (error) => this.logger?.error({ err: error }, 'live recognition thread failed'));
    thread.worker.on('exit', () => {
      if (this.closed) return;
      for (const turn of thread.turns.values()) turn.reject(new ApiError('worker_crashed', 'The server failed while processing this request; it may succeed if retried.'));
      thread.turns.clear();
      this.threads[this.threads.indexOf(thread)] = this.spawn();
    });
    return thread;
  }

  private receive(thread: LiveThread, message: LiveFromWorker): void {
    switch (message.type) {
      case 'ready':
        thread.turns.get(message.turn)?.onReady();
        return;
      case 'partial':
        thread.turns.get(message.turn)?.onPartial?.(message.partial);
        return;
      case 'done':
        thread.turns.get(message.turn)?.resolve(message.transcript);
        thread.turns.delete(message.turn);
        return;
      case 'failed': {
        const { error } = message;
        thread.turns.get(message.turn)?.reject(new ApiError(error.code, error.message, error.param, error.detail === undefined ? undefined : { cause: new Error(error.detail) }));
        thread.turns.delete(message.turn);
        return;
      }
      case 'stats':
        thread.statsWaiters.shift()?.({ active: message.active, idle: message.idle });
        return;
      default: {
        const never: never = message;
        throw new Error(`unexpected live message ${JSON.stringify(never)}`);
      }
    }
  }
}

/** Audio waiting to be sent, taken in slices of fresh (transferable) buffers. */
class SliceQueue {
  private readonly chunks: Int16Array[] = [];
  private samples = 0;

  push(chunk: Int16Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.samples += chunk.length;
  }

  /** Up to `max` samples, copied (the caller's buffers are never transferred); null when empty. */
  take(max: number): Int16Array | null {
    if (this.samples === 0) return null;
    const out = new Int16Array(Math.min(max, this.samples));
    let filled = 0;
    while (filled < out.length) {
      const head = this.chunks[0]!;
      const n = Math.min(head.length, out.length - filled);
      out.set(head.subarray(0, n), filled);
      filled += n;
      if (n === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(n);
    }
    this.samples -= out.length;
    return out;
  }
}

/** `audio`, ended early once the turn has settled (failed, or rejected by its abort). */
async function* untilStopped(audio: AsyncIterable<Int16Array>, settled: Promise<void>): AsyncGenerator<Int16Array> {
  const iterator = audio[Symbol.asyncIterator]();
  const halt = settled.then(() => null);
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), halt]);
      if (next === null || next.done) return;
      yield next.value;
    }
  } finally {
    void iterator.return?.();
  }
}

function shuttingDown(): ApiError {
  return new ApiError('shutting_down', 'The server is shutting down');
}
