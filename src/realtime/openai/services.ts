/** What a Realtime session needs from the server, and the limits it runs under. */
import type { AudioChunk } from '../../audio/pcm.js';
import type { SileroVad } from '../../engines/vad/silero-vad.js';
import type { Responder } from '../../llm/types.js';
import type { Logger } from '../../logger.js';
import type { LivePartial } from '../../stt/live-partial.js';
import type { Transcript } from '../../stt/transcript.js';

/** One turn's recognition as the session's `audio.input.transcription` asks for it. */
export interface LiveTurnRequest {
  /** ISO 639-1. */
  language: string;
  /** The session's transcription model; undefined: the server's default recognizer. */
  model?: string;
  /** Context for recognizers that take one (Whisper's initial prompt). */
  prompt?: string;
  /** The turn's running hypothesis, as it changes. */
  onPartial?: (partial: LivePartial) => void;
}

export interface RealtimeServices {
  responder: Responder;
  /** Recognizes 16 kHz PCM as it arrives (the worker pool). */
  transcribe(audio: AsyncIterable<Int16Array>, turn: LiveTurnRequest, signal: AbortSignal): Promise<Transcript>;
  /**
   * Speaks one sentence with `voice` at 24 kHz; throws ApiError for an unusable voice.
   * `continuation`: a later sentence of a reply already speaking (no queue jumping).
   */
  synthesize(text: string, voice: string, speed: number, continuation: boolean, signal: AbortSignal): AsyncIterable<AudioChunk>;
  /** Throws the ApiError that explains why `voice` cannot speak (unknown: 400; not installed: 424). */
  checkVoice(voice: string): void;
  vad(): Promise<SileroVad>;
  logger: Logger;
  /** Told the length of every piece of input audio the client appends (live sessions are billed by it). */
  heardSeconds?(seconds: number): void;
}

export interface RealtimeSessionOptions {
  model: string;
  /** `?intent=transcription` (beta): the session starts as a transcription session. */
  intent?: 'transcription';
  voice: string;
  maxSessionMs: number;
  /** With server VAD, a turn this long is committed though the speaker has not paused. */
  maxTurnMs: number;
  /** Appended audio bytes that may wait to be processed; beyond it appends are refused. */
  maxPendingInputBytes: number;
  /** Conversation history sent to the LLM, in characters (default: voice chat's budget). */
  maxHistoryChars?: number;
}
