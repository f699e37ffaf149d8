/**
 * A built-in TTS voice as a conversion target: its statistics are measured once, from a sample
 * it synthesizes (SAMPLE_TEXT, through the TTS pool, analysed in the worker pool like an upload),
 * and kept (with the sample, for kNN-VC) for the life of the server. A request that leaves does not cancel a measurement other
 * requests may be waiting on; it only stops waiting.
 */
import { StreamResampler } from '../audio/resample.js';
import { concatPcm, OUTPUT_SAMPLE_RATE_HZ } from '../audio/pcm.js';
import type { TtsService } from '../tts/service.js';
import { pcmOf, synthesizeSpeech } from '../tts/synthesize.js';
import type { WorkerPool } from '../workers/pool.js';
import type { VoiceEmbedResult } from '../workers/voice-task.js';
import { VOICE_SAMPLE_RATE_HZ } from './frame-spectrum.js';

/** Harvard sentences: phonetically balanced, about 9 s of speech. */
const SAMPLE_TEXT = 'The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background. It is easy to tell the depth of a well.';
const MEASURE_TIMEOUT_MS = 120_000;

export class BuiltinVoiceStats {
  private readonly cache = new Map<string, Promise<VoiceEmbedResult>>();

  constructor(private readonly tts: TtsService, private readonly pool: WorkerPool) {}

  /** The voice's profile; throws the TTS 400/424 for a voice that is unknown or not installed. */
  async get(voiceId: string, signal: AbortSignal): Promise<VoiceEmbedResult> {
    // Resolving first gives an unknown voice its 400 at once, never a cached failure.
    const { plan } = this.tts.plan({ text: SAMPLE_TEXT, model: '', voice: voiceId, format: 'pcm', speed: 1, pronunciations: [] });
    let pending = this.cache.get(plan.voice.id);
    if (!pending) {
      pending = this.measure(plan);
      this.cache.set(plan.voice.id, pending);
      pending.catch(() => this.cache.delete(plan.voice.id));
    }
    return abortable(pending, signal);
  }

  private async measure(plan: ReturnType<TtsService['plan']>['plan']): Promise<VoiceEmbedResult> {
    const signal = AbortSignal.timeout(MEASURE_TIMEOUT_MS);
    const resampler = new StreamResampler(OUTPUT_SAMPLE_RATE_HZ, VOICE_SAMPLE_RATE_HZ);
    const parts: Int16Array[] = [];
    for await (const pcm of pcmOf(synthesizeSpeech(plan, signal))) parts.push(resampler.process(pcm));
    parts.push(resampler.flush());
    return this.pool.voice(concatPcm(parts), { kind: 'voice', op: 'embed', maxSec: 120, minVoicedSec: 1, oneSpeaker: false, keepAudio: true }, signal);
  }
}

function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
