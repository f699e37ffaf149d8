/**
 * `POST /v1/audio/separate/` with 2 stems (vocals, accompaniment) and no model: stereo input by
 * centre extraction (centre-mask.ts), mono by harmonic/percussive and repetition masks
 * (mono-mask.ts), both on the block STFT, so memory stays bounded for any length.
 */
import { stftStage, type BlockStage } from '../dsp/stage.js';
import { centreExtraction } from './centre-mask.js';
import { MONO_DELAY_FRAMES, monoSeparation } from './mono-mask.js';

export const SEPARATE_RATE_HZ = 44_100;
export const TWO_STEMS: readonly string[] = ['vocals', 'accompaniment'];
const FFT_SIZE = 2048;

/** Output channels: vocals' channels, then accompaniment's (as tool-run.ts expects). */
export function twoStemStage(channels: 1 | 2): BlockStage {
  if (channels === 2) return stftStage({ fftSize: FFT_SIZE, inChannels: 2, outChannels: 4 }, centreExtraction(FFT_SIZE, SEPARATE_RATE_HZ));
  return stftStage({ fftSize: FFT_SIZE, inChannels: 1, outChannels: 2, delayFrames: MONO_DELAY_FRAMES }, monoSeparation(FFT_SIZE, SEPARATE_RATE_HZ));
}
