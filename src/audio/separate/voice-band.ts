/**
 * Where a singing or speaking voice has its energy: a soft band from ~100 Hz to ~8 kHz (raised-cosine
 * edges over an octave), so masks that pick "the voice" leave bass, kick and cymbal air alone.
 */
const LOW_HZ = 100;
const HIGH_HZ = 8000;

export function voiceBandWeights(fftSize: number, rateHz: number): Float64Array {
  const bins = fftSize / 2 + 1;
  const w = new Float64Array(bins);
  for (let k = 0; k < bins; k++) {
    const f = (k * rateHz) / fftSize;
    const low = f <= LOW_HZ / 2 ? 0 : f >= LOW_HZ ? 1 : 0.5 - 0.5 * Math.cos((Math.PI * Math.log2(f / (LOW_HZ / 2)))) ;
    const high = f >= HIGH_HZ * 2 ? 0 : f <= HIGH_HZ ? 1 : 0.5 + 0.5 * Math.cos(Math.PI * Math.log2(f / HIGH_HZ));
    w[k] = low * high;
  }
  return w;
}
