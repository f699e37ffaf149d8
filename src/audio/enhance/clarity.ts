/**
 * Clarity for speech: a rumble high-pass, a little less low-mid "mud", a presence lift where
 * consonants carry intelligibility (2-5 kHz), and gentle stereo-linked compression that evens out
 * loud and soft syllables. Loudness normalisation comes after (enhance-chain.ts), on the measured
 * result. `strength` 1-3 scales the EQ and the compression ratio.
 */
import { Biquad, highPass, peaking } from '../dsp/biquad.js';
import type { BlockStage } from '../dsp/stage.js';

const PRESENCE_DB = [0, 2, 3.5, 5];
const MUD_DB = [0, -1, -2, -3];
const RATIO = [1, 1.5, 2, 3];
const THRESHOLD_DB = -26;
const KNEE_DB = 6;
const ATTACK_SEC = 0.01;
const RELEASE_SEC = 0.15;

export function clarityStage(rateHz: number, channels: number, strength: 1 | 2 | 3): BlockStage {
  const eq = Array.from({ length: channels }, () => [
    new Biquad(highPass(rateHz, 75)),
    new Biquad(peaking(rateHz, 300, MUD_DB[strength]!, 1)),
    new Biquad(peaking(rateHz, 3500, PRESENCE_DB[strength]!, 0.8)),
  ]);
  const ratio = RATIO[strength]!;
  const attack = Math.exp(-1 / (ATTACK_SEC * rateHz));
  const release = Math.exp(-1 / (RELEASE_SEC * rateHz));
  let envelopeDb = -120;
  const process = (x: readonly Float32Array[]): Float32Array[] => {
    const out = x.map((ch, c) => {
      const y = Float32Array.from(ch);
      for (const f of eq[c]!) f.process(y);
      return y;
    });
    const length = out[0]?.length ?? 0;
    for (let i = 0; i < length; i++) {
      let peak = 0;
      for (const ch of out) peak = Math.max(peak, Math.abs(ch[i]!));
      const levelDb = 20 * Math.log10(peak + 1e-9);
      const coeff = levelDb > envelopeDb ? attack : release;
      envelopeDb = coeff * envelopeDb + (1 - coeff) * levelDb;
      const gain = 10 ** (gainReductionDb(envelopeDb, ratio) / 20);
      for (const ch of out) ch[i] = ch[i]! * gain;
    }
    return out;
  };
  return { push: process, flush: () => process(Array.from({ length: channels }, () => new Float32Array(0))) };
}

/** A soft-knee downward compressor's gain (≤ 0 dB) for a level. */
function gainReductionDb(levelDb: number, ratio: number): number {
  const over = levelDb - THRESHOLD_DB;
  if (over <= -KNEE_DB / 2) return 0;
  if (over >= KNEE_DB / 2) return over / ratio - over;
  const k = over + KNEE_DB / 2;
  return ((1 / ratio - 1) * k * k) / (2 * KNEE_DB);
}
