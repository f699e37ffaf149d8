/** What the STT endpoints and live sessions call: decoded audio in, a transcript out; no HTTP types. */
import type { SttFileAudio } from '../engines/stt/types.js';
import type { ResolvedSttModel, SttModelQuery, SttModelStatus } from './resolve.js';
import type { LivePartial } from './live-partial.js';
import type { Transcript, TranscriptSegment } from './transcript.js';

export type { SttFileAudio } from '../engines/stt/types.js';

export interface TranscribeOptions {
  /** As the client sent it (an OpenAI name, an alias, or a catalogue id); undefined: any that serves. */
  model?: string;
  /** ISO 639-1, or 'auto'. */
  language: string;
  /** `translate`: English text out (OpenAI's `/v1/audio/translations`). */
  task: 'transcribe' | 'translate';
  wordTimestamps: boolean;
  diarize: boolean;
  /** Called with each segment as it is recognized, for streaming responses. */
  onSegment?: (segment: TranscriptSegment) => void;
}

export interface LiveTranscribeOptions {
  model?: string;
  /** ISO 639-1, or 'auto'. */
  language: string;
  /** Live captions: the running hypothesis as it changes (throttled, stable prefix; see live-partial.ts). */
  onPartial?: (partial: LivePartial) => void;
  /** The transcript's segments carry their timed words (live captions). */
  wordTimestamps?: boolean;
  /** Context for recognizers that take one (Whisper's initial prompt); others ignore it. */
  prompt?: string;
  /** The turn's speaker vector in the transcript, for speaker labels across turns (PocketSphinx turns). */
  speakerVector?: boolean;
}

export interface SttService {
  /** Live recognitions running now (each holds a decoder); for metrics, and tests that check one is freed. */
  readonly liveTurns: number;
  /** The STT catalogue with what is installed (for listings such as `GET /v1/models/`). */
  models(): SttModelStatus[];
  /**
   * Throws now what a transcription started now would be refused with at once (503 `overloaded`
   * or `shutting_down`), so that an upload can be refused before its body is received.
   */
  checkCapacity(): void;
  /** The model that would serve `query`, or the 400/424 that says why none can (see resolve.ts). */
  resolve(query: SttModelQuery): ResolvedSttModel;
  /** Transcribes an audio file on local disk (an upload already received). */
  transcribe(audio: SttFileAudio, opts: TranscribeOptions, signal: AbortSignal): Promise<Transcript>;
  /**
   * Transcribes a live turn: 16 kHz mono PCM, decoded as it arrives and ahead of queued file
   * transcriptions. Resolved like the endpoints (a language no installed model speaks is a 424).
   */
  transcribeLive(pcm: AsyncIterable<Int16Array>, opts: LiveTranscribeOptions, signal: AbortSignal): Promise<Transcript>;
}
