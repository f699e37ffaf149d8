/**
 * Speaks the assistant's reply into a completed TTS job, so its `audio_url` is an ordinary
 * result: served by `/static/downloads/<uuid>/output.<ext>` with Range support, pollable at
 * `/v1/speech/results/`, and deleted by the expiry sweep like any other.
 *
 * The job is rendered inside the request, not on the background queue: the response promises
 * a URL that downloads at once, and the client is waiting for it anyway. Concurrency is still
 * bounded by the TTS worker queue, as for streamed `/v1/tts/` requests.
 */
import type { AudioFormat } from '../audio/formats.js';
import { ApiError } from '../errors.js';
import type { JobStore } from '../jobs/job-store.js';
import type { ResultStore } from '../jobs/result-store.js';
import { newJobFor, type PlannedSpeech } from '../tts/plan.js';
import { ttsJobRunner } from '../tts/render-job.js';
import type { TtsService } from '../tts/service.js';
import type { SpeechSpec } from '../tts/speech-spec.js';

/**
 * mp3, as `/v1/tts/` defaults to: a spoken reply is a tenth the size of WAV, and every browser
 * and mobile player plays it.
 */
export const REPLY_AUDIO_FORMAT: AudioFormat = 'mp3';

export interface ReplyAudioDeps {
  tts: TtsService;
  jobs: JobStore;
  results: ResultStore;
  /** How long the result stays downloadable, as for queued jobs. */
  resultTtlMs: number;
}

export interface ReplyAudio {
  uuid: string;
  format: AudioFormat;
  durationSec: number;
}

export class ReplyAudioRenderer {
  private readonly render;

  constructor(private readonly deps: ReplyAudioDeps) {
    this.render = ttsJobRunner(deps.tts, deps.results);
  }

  /** `model` and `voice` are ids already resolved against what is installed. */
  async speak(text: string, model: string, voice: string, clientIp: string, signal: AbortSignal): Promise<ReplyAudio> {
    const spec: SpeechSpec = { text, model, voice, format: REPLY_AUDIO_FORMAT, speed: 1, pronunciations: [] };
    const planned = this.planReply(spec);
    // The turn is billed as a whole (3 credits); its audio is not charged again per character.
    const job = this.deps.jobs.create(newJobFor(planned, { creditsUsed: 0, clientIp }));
    const { uuid } = job;
    this.deps.jobs.markProcessing(uuid);
    try {
      const { durationSec } = await this.render(job, signal);
      this.deps.jobs.complete(uuid, durationSec, Date.now() + this.deps.resultTtlMs);
      return { uuid, format: planned.spec.format, durationSec };
    } catch (err) {
      this.deps.jobs.fail(uuid, err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  private planReply(spec: SpeechSpec): PlannedSpeech {
    try {
      return this.deps.tts.plan(spec);
    } catch (err) {
      // A 400 here is about the model's text (markup it left unclosed, nothing to speak), not the client's.
      if (err instanceof ApiError && err.status === 400 && err.param === 'text') {
        throw new ApiError(502, 'llm_reply_unspeakable', `The language model's reply cannot be spoken: ${err.message}`, null, { cause: err });
      }
      throw err;
    }
  }
}
