/**
 * The contract every speech-to-text engine implements. Engines take decoded audio (an upload
 * already on local disk, or live 16 kHz PCM) and know nothing of HTTP; which engine serves a
 * request is decided once, by `src/stt/resolve.ts`, from what each one declares here.
 */
import type { LivePartial } from '../../stt/live-partial.js';
import type { Transcript, TranscriptSegment } from '../../stt/transcript.js';

/** What an engine can do beyond plain transcription; the resolver matches requests against it. */
export interface SttCapabilities {
  /** Per-word start and end times. */
  wordTimestamps: boolean;
  /** Speech in another language transcribed straight into English (OpenAI's `translations`). */
  translation: boolean;
  /** Incremental decoding of audio that arrives in real time (`transcribeLive`). */
  live: boolean;
  /** Segments labelled by speaker. */
  diarization: boolean;
}

/** Audio for a whole-file transcription: a file on local disk, in any container ffmpeg reads. */
export interface SttFileAudio {
  kind: 'file';
  path: string;
}

export interface SttRequest {
  /** ISO 639-1 code of the speech, or `auto`. */
  language: string;
  /** `translate`: the text comes out in English whatever the speech's language. */
  task: 'transcribe' | 'translate';
  wordTimestamps: boolean;
  diarize: boolean;
  /** Each segment as soon as it is final (before speakers are known: no `speaker`). */
  onSegment?: (segment: TranscriptSegment) => void;
}

export interface LiveSttRequest {
  /** ISO 639-1 code of the speech, or `auto`. */
  language: string;
  /** Called with the running hypothesis as it changes, by engines that have one (live captions). */
  onPartial?: (partial: LivePartial) => void;
  /** The transcript's segments carry their timed words. */
  wordTimestamps?: boolean;
  /** Text the speech is likely to continue or use (names, terms); engines without prompting ignore it. */
  prompt?: string;
  /** The turn's speaker vector in the transcript (PocketSphinx turns), for labels across turns. */
  speakerVector?: boolean;
}

export interface SttEngine {
  /** The model id clients name (`pocketsphinx`, `whisper-base`). */
  readonly id: string;
  /** Primary language codes it recognizes. */
  readonly languages: readonly string[];
  readonly capabilities: SttCapabilities;
  /**
   * Transcribes a whole file. Throws ApiError 415/422 for a file that is not decodable audio,
   * 503 when the engine is at capacity, or `signal.reason` once aborted.
   */
  transcribe(audio: SttFileAudio, req: SttRequest, signal: AbortSignal): Promise<Transcript>;
  /**
   * Transcribes 16 kHz mono PCM as it arrives (a live turn): decoding runs while `pcm` is still
   * being produced, so when it ends only its tail is left. Only when `capabilities.live`.
   */
  transcribeLive?(pcm: AsyncIterable<Int16Array>, req: LiveSttRequest, signal: AbortSignal): Promise<Transcript>;
}
