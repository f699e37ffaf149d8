/**
 * `POST /v1/audio/enhance/` as a chain of block stages at 48 kHz: RNNoise denoising and a
 * statistical post-filter for the steady or babble noise it leaves (spectral-denoise.ts; at strength 3
 * omlsa-denoise.ts), optional band
 * extension, clarity EQ and compression; then loudness normalisation to ENHANCE_TARGET_LUFS
 * (EBU R128's gated integrated loudness, BS.1770 K-weighting). The loudness of the whole result
 * is known only at its end, so the chain measures it as it goes and says which gain to apply; the
 * gain is applied as the result is encoded (never a second copy of the audio in memory).
 */
import { chainStages, perChannel, stftStage, type BlockStage } from '../dsp/stage.js';
import type { RnnoiseModule } from '@jitsi/rnnoise-wasm/dist/rnnoise-sync.js';
import { bandwidthExtension } from './bandwidth.js';
import { clarityStage } from './clarity.js';
import { RNNOISE_RATE_HZ, RnnoiseChannel } from './rnnoise.js';
import { omlsaDenoise } from './omlsa-denoise.js';
import { spectralDenoise } from './spectral-denoise.js';

/** Spoken-word loudness (podcast and streaming practice; EBU R128 S1 allows -16 to -20 for speech). */
export const ENHANCE_TARGET_LUFS = -16;
export const ENHANCE_RATE_HZ = RNNOISE_RATE_HZ;
const BWE_FFT_SIZE = 1024;
const DENOISE_FFT_SIZE = 1024;
/** Strength 3's babble suppressor resolves voice harmonics (omlsa-denoise.ts). */
const STRONG_DENOISE_FFT_SIZE = 4096;

export interface EnhanceOptions {
  denoise: boolean;
  clarity: boolean;
  superResolution: boolean;
  strength: 1 | 2 | 3;
}

/** Denoising by strength: RNNoise passes and the share of its output (the rest is the input). */
const DENOISE = { 1: { passes: 1, wet: 0.75 }, 2: { passes: 1, wet: 1 }, 3: { passes: 2, wet: 1 } } as const;

export function enhanceStage(rnnoise: RnnoiseModule, channels: number, opts: EnhanceOptions): BlockStage {
  const stages: BlockStage[] = [];
  if (opts.denoise) {
    const { passes, wet } = DENOISE[opts.strength];
    stages.push(perChannel(() => new RnnoiseChannel(rnnoise, passes, wet), channels));
    // Strong: OM-LSA for babble (≥ 6 dB more SNR); light and medium keep the gentler Wiener stage,
    // which distorts clean speech less.
    const post = opts.strength === 3
      ? stftStage({ fftSize: STRONG_DENOISE_FFT_SIZE, inChannels: channels, outChannels: channels }, omlsaDenoise(STRONG_DENOISE_FFT_SIZE, channels))
      : stftStage({ fftSize: DENOISE_FFT_SIZE, inChannels: channels, outChannels: channels }, spectralDenoise(DENOISE_FFT_SIZE, channels, opts.strength));
    stages.push(post);
  }
  if (opts.superResolution) {
    stages.push(stftStage({ fftSize: BWE_FFT_SIZE, inChannels: channels, outChannels: channels }, bandwidthExtension(BWE_FFT_SIZE, channels, opts.strength)));
  }
  if (opts.clarity) stages.push(clarityStage(ENHANCE_RATE_HZ, channels, opts.strength));
  return chainStages(stages);
}
