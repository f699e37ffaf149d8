/** A finished transcription, as every STT endpoint shapes it. Times are seconds. */

export interface TranscriptWord {
  word: string;
  start: number;
  end: number;
}

export interface TranscriptSegment {
  start: number;
  end: number;
  text: string;
  speaker?: string;
  words?: TranscriptWord[];
}

export interface Transcript {
  text: string;
  language: string;
  durationSec: number;
  segments: TranscriptSegment[];
  /** With diarization: what labelled the speakers (a speaker model's id, or diarize.ts's MFCC_DIARIZER). */
  diarizer?: string;
  /** Live turns that asked for it: the whole turn's speaker vector (stt/diarize.ts), for labels across turns. */
  speakerVector?: { vector: Float64Array; speechFrames: number } | null;
}
