/**
 * Per-turn stage timings of live sessions, for benchmarks and metrics: listeners subscribe to
 * `turnTimings` in-process. Emitting costs nothing when nobody listens.
 */
import { EventEmitter } from 'node:events';

/** Milliseconds of each stage of one voice turn, from the append that ended the silence window. */
export interface TurnTiming {
  sessionId: string;
  /** Append received → speech_stopped sent (VAD inference on the last frames). */
  vadMs: number;
  /** speech_stopped → transcript ready (the recognizer's tail after live decoding). */
  sttMs: number;
  /** Transcript → first complete sentence from the LLM. */
  llmMs: number;
  /** First sentence → first audio delta sent. */
  ttsMs: number;
  /** Append received → first audio delta sent. */
  totalMs: number;
}

export const turnTimings = new EventEmitter<{ turn: [TurnTiming] }>();

/** Emits a voice turn's timings once its reply has spoken (nothing when nobody listens or nothing was said). */
export function reportTurnTiming(
  sessionId: string,
  turn: { receivedAt: number; stoppedAt: number },
  transcribedAt: number,
  run: { firstSentenceAt: number | null; firstAudioAt: number | null },
): void {
  if (run.firstSentenceAt === null || run.firstAudioAt === null || turnTimings.listenerCount('turn') === 0) return;
  turnTimings.emit('turn', {
    sessionId,
    vadMs: turn.stoppedAt - turn.receivedAt,
    sttMs: transcribedAt - turn.stoppedAt,
    llmMs: run.firstSentenceAt - transcribedAt,
    ttsMs: run.firstAudioAt - run.firstSentenceAt,
    totalMs: run.firstAudioAt - turn.receivedAt,
  });
}
