/** Renders a queued TTS job to a result file, streaming through the encoder to disk. */
import { encodeAudio, wavHeader } from '../audio/encode.js';
import { OUTPUT_SAMPLE_RATE_HZ } from '../audio/pcm.js';
import type { JobRunner } from '../jobs/job-queue.js';
import type { ResultStore } from '../jobs/result-store.js';
import type { TtsService } from './service.js';
import type { SpeechSpec } from './speech-spec.js';
import { durationSec, newStats, pcmOf, synthesizeSpeech } from './synthesize.js';

/** Beside a job's result: the word times the engine reported while synthesizing it. */
export const WORD_TIMES_FILE = 'words.json';

export function ttsJobRunner(tts: TtsService, results: ResultStore): JobRunner {
  return async (job, signal) => {
    const spec = job.request as SpeechSpec;
    const { plan } = tts.plan(spec);
    const stats = newStats();
    const writer = await results.create(job.uuid, spec.format);
    try {
      const pcm = pcmOf(synthesizeSpeech(plan, signal, stats));
      for await (const bytes of encodeAudio(pcm, { format: spec.format, sampleRateHz: OUTPUT_SAMPLE_RATE_HZ }, signal)) {
        await writer.write(bytes);
      }
      // A streamed WAV header carries placeholder sizes; a file on disk gets the real ones.
      if (spec.format === 'wav') await writer.patch(0, wavHeader(stats.samples * 2, OUTPUT_SAMPLE_RATE_HZ));
      await writer.commit();
    } catch (err) {
      await writer.discard();
      throw err;
    }
    // The engine's own word times, where it has them, are what subtitles are made from later.
    if (stats.words.length > 0) await results.writeExtra(job.uuid, WORD_TIMES_FILE, JSON.stringify(stats.words));
    return { durationSec: durationSec(stats) };
  };
}
