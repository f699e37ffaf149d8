/**
 * Everything the voice tools measure about a recording, computed as its 16 kHz PCM streams past:
 * per 10 ms frame the MFCCs (src/stt/mfcc.ts), the F0 and the band spectrum (frame-spectrum.ts).
 * `finish` reduces them to a VoiceProfile (voice-profile.ts). Frames are kept (80 floats each,
 * 2.5 MB for 30 s) because the speech gate needs the loudest frame of the whole clip first.
 */
import { MFCC_COEFFS, MfccExtractor } from '../stt/mfcc.js';
import { ENVELOPE_BANDS, FRAME_SAMPLES, FrameSpectrum, HOP_SAMPLES, VOICE_SAMPLE_RATE_HZ } from './frame-spectrum.js';

/** Per frame: 13 MFCCs, log energy, F0, then the bands. */
export const FRAME_STRIDE = MFCC_COEFFS + 2 + ENVELOPE_BANDS;
export const F0_AT = MFCC_COEFFS + 1;
export const BANDS_AT = MFCC_COEFFS + 2;

export interface AnalyzedFrames {
  /** FRAME_STRIDE floats per frame. */
  data: Float32Array;
  count: number;
  /** Samples analysed. */
  samples: number;
}

export class VoiceAnalyzer {
  private readonly mfcc = new MfccExtractor(VOICE_SAMPLE_RATE_HZ);
  private readonly spectrum = new FrameSpectrum();
  private data = new Float32Array(FRAME_STRIDE * 1024);
  private mfccCount = 0;
  private specCount = 0;
  private pending = new Float32Array(0);
  private samples = 0;

  push(pcm: Int16Array): void {
    this.samples += pcm.length;
    this.mfcc.push(pcm, (coeffs, logEnergy) => {
      const at = this.slot(this.mfccCount++);
      this.data.set(coeffs, at);
      this.data[at + MFCC_COEFFS] = logEnergy;
    });
    const work = new Float32Array(this.pending.length + pcm.length);
    work.set(this.pending);
    work.set(pcm, this.pending.length);
    let start = 0;
    for (; start + FRAME_SAMPLES <= work.length; start += HOP_SAMPLES) {
      const frame = this.spectrum.analyze(work, start);
      const at = this.slot(this.specCount++);
      this.data[at + F0_AT] = frame.f0;
      this.data.set(frame.bands, at + BANDS_AT);
    }
    this.pending = work.slice(start);
  }

  /** The frames both analyses completed. */
  finish(): AnalyzedFrames {
    const count = Math.min(this.mfccCount, this.specCount);
    return { data: this.data.subarray(0, count * FRAME_STRIDE), count, samples: this.samples };
  }

  private slot(index: number): number {
    const need = (index + 1) * FRAME_STRIDE;
    if (need > this.data.length) {
      const grown = new Float32Array(Math.max(need, this.data.length * 2));
      grown.set(this.data);
      this.data = grown;
    }
    return index * FRAME_STRIDE;
  }
}

/** Analyses a whole buffer (tests, the converter's own measurements). */
export function analyzePcm(pcm: Int16Array): AnalyzedFrames {
  const a = new VoiceAnalyzer();
  a.push(pcm);
  return a.finish();
}
