/** What the STT endpoints call: one upload in, one transcript out. */
import type { UploadedFile } from '../http/body.js';
import type { Transcript } from './transcript.js';

export interface TranscribeOptions {
  /** ISO 639-1, or 'auto'. */
  language: string;
  wordTimestamps: boolean;
  diarize: boolean;
  /** Called with each segment as it is recognized, for streaming responses. */
  onSegment?: (text: string) => void;
}

export interface SttService {
  /** Languages the installed recognizers speak. */
  readonly languages: readonly string[];
  transcribe(file: UploadedFile, opts: TranscribeOptions, signal: AbortSignal): Promise<Transcript>;
}
