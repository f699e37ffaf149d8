/**
 * One-shot band-limited resampling of a whole float signal (Hann-windowed sinc, ±16 zero
 * crossings of the lower rate), for the neural voice converters whose rate is not the pool's
 * 16 kHz (OpenVoice's 22.05 kHz). Not src/audio/resample.ts: that one's SpeexDSP module is
 * instantiated by a top-level await, which a pool worker cannot load lazily under every loader.
 */
const HALF_ZEROS = 16;

/** `x` at `fromHz` as `ceil(x.length · toHz / fromHz)` samples at `toHz`, low-passed below the lower Nyquist. */
export function resampleSinc(x: Float32Array, fromHz: number, toHz: number): Float32Array {
  if (fromHz === toHz) return x.slice();
  const ratio = toHz / fromHz;
  // Cut-off relative to the input's Nyquist: downsampling must remove what the output cannot hold.
  const cutoff = Math.min(1, ratio);
  const half = HALF_ZEROS / cutoff;
  const out = new Float32Array(Math.ceil(x.length * ratio));
  for (let i = 0; i < out.length; i++) {
    const t = i / ratio;
    const lo = Math.max(0, Math.ceil(t - half));
    const hi = Math.min(x.length - 1, Math.floor(t + half));
    let acc = 0;
    for (let j = lo; j <= hi; j++) {
      const d = t - j;
      const arg = Math.PI * d * cutoff;
      const sinc = arg === 0 ? 1 : Math.sin(arg) / arg;
      acc += x[j]! * sinc * (0.5 + 0.5 * Math.cos((Math.PI * d) / half));
    }
    out[i] = acc * cutoff;
  }
  return out;
}
