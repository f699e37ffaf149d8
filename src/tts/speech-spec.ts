/**
 * What a caller asks the TTS service to speak, in the form every entry point (HTTP, the job
 * queue, live sessions, voice chat) shares. A spec is plain JSON so a queued job can be replayed
 * after a restart.
 */
import type { AudioFormat } from '../audio/formats.js';
import type { PronunciationRule } from '../text/pronunciations.js';

export interface SpeechSpec {
  text: string;
  /** Empty: the server's default model (or the voice's own). */
  model: string;
  voice: string;
  format: AudioFormat;
  speed: number;
  language?: string;
  instructions?: string;
  pronunciations: PronunciationRule[];
}

/** The server's TTS settings that every request is checked against. */
export interface TtsLimits {
  maxTextChars: number;
  defaultModel: string;
  defaultVoice: string;
  /** Longest first piece (config `ttsFirstChunkChars`); the splitter's default when absent. */
  firstChunkChars?: number;
}
