/**
 * The messages between the live recognition threads (live-stt-pool.ts, live-stt-worker.ts): each
 * names the turn it is about, since one thread decodes many turns, interleaved slice by slice.
 */
import type { LivePartial } from '../stt/live-partial.js';
import type { Transcript } from '../stt/transcript.js';
import type { TaskError } from './stt-task.js';

/** Main thread to a live thread. */
export type LiveToWorker =
  /** A turn starts: take a decoder for it; `partials`: send its running hypothesis as it changes. */
  | { type: 'open'; turn: number; language: string; wordTimestamps: boolean; speakerVector: boolean; partials: boolean }
  /** The turn's next audio (16 kHz mono), transferred; at most one is unanswered per turn. */
  | { type: 'slice'; turn: number; pcm: Int16Array }
  /** The turn's audio is complete: decode the tail and answer `done`. */
  | { type: 'end'; turn: number }
  /** The turn was cancelled: free its decoder, answer nothing. */
  | { type: 'abort'; turn: number }
  /** Answer with `stats`. */
  | { type: 'stats' };

/** A live thread's decoders, for tests and the bench. */
export interface LiveDecoderStats {
  /** Decoders held by open turns. */
  active: number;
  /** Loaded decoders waiting for the next turn. */
  idle: number;
}

/** A live thread to the main thread. */
export type LiveFromWorker =
  /** The turn's last slice is decoded: send the next. */
  | { type: 'ready'; turn: number }
  /** The turn's running hypothesis changed (throttled here, see stt/live-partial.ts). */
  | { type: 'partial'; turn: number; partial: LivePartial }
  | { type: 'done'; turn: number; transcript: Transcript }
  | { type: 'failed'; turn: number; error: TaskError }
  | ({ type: 'stats' } & LiveDecoderStats);
