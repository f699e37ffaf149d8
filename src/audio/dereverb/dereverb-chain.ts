/**
 * `POST /v1/audio/dereverb/` as block stages at DEREVERB_RATE_HZ: `echo` removes a detected discrete
 * echo (echo.ts), `reverb` suppresses the late reverberant tail (late-reverb.ts), `both` does the
 * echo first (the tail model assumes a smooth decay, which a discrete echo is not).
 */
import { chainStages, stftStage, type BlockStage } from '../dsp/stage.js';
import { echoStage, type EchoEstimate } from './echo.js';
import { lateReverbSuppression } from './late-reverb.js';

export const DEREVERB_RATE_HZ = 48_000;
const FFT_SIZE = 1024;

export type DereverbType = 'echo' | 'reverb' | 'both';
export const DEREVERB_TYPES: readonly DereverbType[] = ['echo', 'reverb', 'both'];

export interface DereverbOptions {
  type: DereverbType;
  intensity: 1 | 2 | 3 | 4 | 5;
}

export function dereverbStage(channels: number, opts: DereverbOptions, onEcho?: (e: EchoEstimate | undefined) => void): BlockStage {
  const stages: BlockStage[] = [];
  if (opts.type !== 'reverb') stages.push(echoStage(DEREVERB_RATE_HZ, channels, opts.intensity, onEcho));
  if (opts.type !== 'echo') {
    const hop = FFT_SIZE / 4;
    stages.push(stftStage({ fftSize: FFT_SIZE, inChannels: channels, outChannels: channels }, lateReverbSuppression(FFT_SIZE, hop, DEREVERB_RATE_HZ, channels, opts.intensity)));
  }
  return chainStages(stages);
}
