/**
 * OpenVoice's input features: the linear magnitude spectrogram of its `spectrogram_torch`
 * (openvoice/mel_processing.py) with the v2 converter's published settings, 22.05 kHz, n_fft 1024,
 * hop 256, win 1024: the waveform reflect-padded by (n_fft - hop) / 2 on each side, framed without
 * centring, a periodic Hann window, and sqrt(re² + im² + 1e-6) per bin. Computed here rather than
 * inside the exported graph because STFT export is fragile across opsets; the ONNX files take
 * this spectrogram as [1, 513, T].
 */
import { RadixTwoFft } from '../../audio/fft.js';

export const OPENVOICE_SAMPLE_RATE_HZ = 22_050;
export const OPENVOICE_N_FFT = 1024;
export const OPENVOICE_HOP = 256;
export const OPENVOICE_BINS = OPENVOICE_N_FFT / 2 + 1;

/** Frames of the spectrogram of `samples` samples: what `torch.stft(center=False)` gives after the padding. */
export function spectrogramFrames(samples: number): number {
  const padded = samples + OPENVOICE_N_FFT - OPENVOICE_HOP;
  return padded < OPENVOICE_N_FFT ? 0 : 1 + Math.floor((padded - OPENVOICE_N_FFT) / OPENVOICE_HOP);
}

/** The spectrogram of a waveform in [-1, 1], bin-major as [513, T] (row b holds bin b of every frame). */
export function linearSpectrogram(wave: Float32Array): { data: Float32Array; frames: number } {
  const pad = (OPENVOICE_N_FFT - OPENVOICE_HOP) / 2;
  const frames = spectrogramFrames(wave.length);
  // Reflect padding as torch's: index -1 maps to 1, n maps to n - 2 (the edge sample not repeated).
  const at = (i: number): number => {
    let j = i - pad;
    const n = wave.length;
    if (n === 1) return wave[0]!;
    while (j < 0 || j >= n) j = j < 0 ? -j : 2 * (n - 1) - j;
    return wave[j]!;
  };
  const window = Float64Array.from({ length: OPENVOICE_N_FFT }, (_, n) => 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / OPENVOICE_N_FFT));
  const fft = new RadixTwoFft(OPENVOICE_N_FFT);
  const re = new Float64Array(OPENVOICE_N_FFT);
  const im = new Float64Array(OPENVOICE_N_FFT);
  const data = new Float32Array(OPENVOICE_BINS * frames);
  for (let t = 0; t < frames; t++) {
    const start = t * OPENVOICE_HOP;
    for (let n = 0; n < OPENVOICE_N_FFT; n++) re[n] = at(start + n) * window[n]!;
    im.fill(0);
    fft.transform(re, im);
    for (let b = 0; b < OPENVOICE_BINS; b++) data[b * frames + t] = Math.sqrt(re[b]! ** 2 + im[b]! ** 2 + 1e-6);
  }
  return { data, frames };
}
