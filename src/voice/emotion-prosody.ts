/**
 * Speech-to-speech's `emotion` as prosody the converter can apply: a pitch offset and range
 * (F0 deviation scale), a rate and an energy change. Values follow the direction of the vocal
 * correlates of emotion reported by Scherer (2003) and Banse & Scherer (1996): happy and excited
 * speech is higher, wider and faster; sad speech lower, narrower, slower and softer; angry speech
 * louder with a moderately raised, wider pitch.
 */
import type { ConvertSpec } from './converter.js';

export const EMOTIONS = ['neutral', 'happy', 'sad', 'angry', 'excited'] as const;
export type Emotion = (typeof EMOTIONS)[number];

export interface Prosody {
  pitchShiftSemitones: number;
  pitchRange: number;
  rate: number;
  gainDb: number;
}

export const EMOTION_PROSODY: Record<Emotion, Prosody> = {
  neutral: { pitchShiftSemitones: 0, pitchRange: 1, rate: 1, gainDb: 0 },
  happy: { pitchShiftSemitones: 2, pitchRange: 1.3, rate: 1.08, gainDb: 2 },
  sad: { pitchShiftSemitones: -2, pitchRange: 0.6, rate: 0.88, gainDb: -4 },
  angry: { pitchShiftSemitones: 1, pitchRange: 1.25, rate: 1.05, gainDb: 5 },
  excited: { pitchShiftSemitones: 3, pitchRange: 1.5, rate: 1.12, gainDb: 4 },
};

/** The converter settings for `emotion` at `speed` (0.5-2), toward `target` when given. */
export function prosodySpec(emotion: Emotion, speed: number, target?: ConvertSpec['target']): ConvertSpec {
  const p = EMOTION_PROSODY[emotion];
  return { ...(target ? { target } : {}), pitchShiftSemitones: p.pitchShiftSemitones, pitchRange: p.pitchRange, speed: speed * p.rate, gainDb: p.gainDb };
}
