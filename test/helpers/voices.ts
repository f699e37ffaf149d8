/**
 * Speech from several built-in voices (flite's slt, rms, awb, kal16 and eSpeak's en-us: five
 * distinct synthetic speakers) fetched from a running server, for the voice-identity tests:
 * WAV at 24 kHz from /v1/audio/speech, plus the same audio at 16 kHz for the voice analysis.
 */
import { StreamResampler } from '../../src/audio/resample.js';
import { concatPcm } from '../../src/audio/pcm.js';
import { wavHeader } from '../../src/audio/wav.js';

export const TEST_VOICES = ['flite-slt', 'flite-rms', 'flite-awb', 'flite-kal16', 'en-us'] as const;
export const CLIP_TEXTS = [
  'The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background.',
  'It is easy to tell the depth of a well. These days a chicken leg is a rare dish.',
] as const;

export interface Clip {
  voice: string;
  text: string;
  wav: Uint8Array;
  pcm16k: Int16Array;
}

export async function speak(baseUrl: string, voice: string, text: string): Promise<Clip> {
  const res = await fetch(`${baseUrl}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: voice.startsWith('flite') ? 'flite' : 'espeak', input: text, voice, response_format: 'pcm' }) });
  if (res.status !== 200) throw new Error(`speech ${voice}: ${res.status} ${await res.text()}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const pcm = new Int16Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.byteLength / 2));
  return { voice, text, wav: wavOf(pcm, 24_000), pcm16k: to16k(pcm, 24_000) };
}

export function to16k(pcm: Int16Array, rate: number): Int16Array {
  const r = new StreamResampler(rate, 16_000);
  return concatPcm([r.process(pcm), r.flush()]);
}

export function wavOf(pcm: Int16Array, rate: number): Uint8Array {
  const out = new Uint8Array(44 + pcm.byteLength);
  out.set(wavHeader(pcm.byteLength, rate));
  out.set(new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength), 44);
  return out;
}

/** The equal-error rate of same-speaker against different-speaker scores (threshold swept over all scores). */
export function equalErrorRate(same: number[], different: number[]): number {
  let best = 1;
  for (const t of [...same, ...different]) {
    const frr = same.filter((s) => s < t).length / same.length;
    const far = different.filter((s) => s >= t).length / different.length;
    best = Math.min(best, Math.max(frr, far));
  }
  return best;
}
