/**
 * Text spoken whole into memory (cloning, speech translation): the plan's pieces through the TTS
 * pool, the PCM at the pipeline's 24 kHz with the engine's word times, ready to be converted
 * toward a voice before it is written out.
 */
import { concatPcm, OUTPUT_SAMPLE_RATE_HZ, type WordTiming } from '../audio/pcm.js';
import { StreamResampler } from '../audio/resample.js';
import type { PlannedSpeech } from '../tts/plan.js';
import { newStats, pcmOf, synthesizeSpeech } from '../tts/synthesize.js';
import { VOICE_SAMPLE_RATE_HZ } from './frame-spectrum.js';

export interface SpokenPcm {
  pcm: Int16Array;
  sampleRateHz: number;
  words: WordTiming[];
}

export async function speakToPcm(planned: PlannedSpeech, signal: AbortSignal): Promise<SpokenPcm> {
  const stats = newStats();
  const parts: Int16Array[] = [];
  for await (const pcm of pcmOf(synthesizeSpeech(planned.plan, signal, stats))) parts.push(pcm);
  return { pcm: concatPcm(parts), sampleRateHz: OUTPUT_SAMPLE_RATE_HZ, words: stats.words };
}

/** The voice tools' 16 kHz copy of 24 kHz speech. */
export function toVoiceRate(pcm: Int16Array, fromHz: number): Int16Array {
  const r = new StreamResampler(fromHz, VOICE_SAMPLE_RATE_HZ);
  return concatPcm([r.process(pcm), r.flush()]);
}
