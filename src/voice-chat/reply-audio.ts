/**
 * Speaks the assistant's reply into a completed TTS job, so its `audio_url` is an ordinary
 * result: served by `/static/downloads/<uuid>/output.<ext>` with Range support, pollable at
 * `/v1/speech/results/`, and deleted by the expiry sweep like any other.
 *
 * The reply runs through the streaming-reply pipeline (`src/tts/reply-pipeline.ts`): each
 * sentence is synthesized as soon as the LLM has written it, the next while the current one is
 * encoded, straight into the result file, so the audio is ready soon after the LLM's last token.
 * No pacing: the file is written as fast as the engines go. The job record is written once the
 * file is complete; a failed or abandoned reply leaves no job and no file. Concurrency is
 * bounded by the TTS worker queue, as for streamed `/v1/tts/` requests.
 */
import { randomUUID } from 'node:crypto';
import type { AudioFormat } from '../audio/formats.js';
import { encodeAudio } from '../audio/encode.js';
import { OUTPUT_SAMPLE_RATE_HZ } from '../audio/pcm.js';
import { ApiError } from '../errors.js';
import type { JobStore } from '../jobs/job-store.js';
import type { ResultStore } from '../jobs/result-store.js';
import type { LlmEvent } from '../llm/types.js';
import { newJobFor, type PlannedSpeech } from '../tts/plan.js';
import { speakReply, type ReplyFrame } from '../tts/reply-pipeline.js';
import type { TtsService } from '../tts/service.js';
import type { SpeechSpec } from '../tts/speech-spec.js';
import { synthesizeSpeech } from '../tts/synthesize.js';

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

/** The voice a reply is spoken in: ids already resolved against what is installed. */
export interface ReplyVoice {
  model: string;
  voice: string;
  /** Every sentence is spoken in the voice's language: per-sentence detection would flip on short text. */
  language: string;
}

export class ReplyAudioRenderer {
  constructor(private readonly deps: ReplyAudioDeps) {}

  /**
   * Speaks the reply that `reply(signal)` streams; returns its text (trimmed) and audio. Throws
   * 502 `llm_empty_reply` for a reply with no text, `llm_reply_unspeakable` for one with
   * nothing to speak.
   */
  async speak(reply: (signal: AbortSignal) => AsyncIterable<LlmEvent>, voice: ReplyVoice, clientIp: string, signal: AbortSignal): Promise<{ text: string; audio: ReplyAudio }> {
    let text = '';
    const frames = speakReply(
      async function* (s) {
        for await (const ev of reply(s)) {
          if (ev.type === 'text.delta') text += ev.delta;
          yield ev;
        }
      },
      { synthesize: (sentence, continuation, s) => this.sentenceAudio(sentence, voice, continuation, s), signal },
    );
    // Hex without dashes, the form result URLs use (as `newJobFor` makes them).
    const uuid = randomUUID().replace(/-/g, '');
    const writer = await this.deps.results.create(uuid, REPLY_AUDIO_FORMAT);
    const counter = { samples: 0 };
    try {
      for await (const bytes of encodeAudio(pcmOf(frames, counter), { format: REPLY_AUDIO_FORMAT, sampleRateHz: OUTPUT_SAMPLE_RATE_HZ }, signal)) await writer.write(bytes);
      text = text.trim();
      if (!text) throw new ApiError('llm_empty_reply', 'The language model sent an empty reply');
      if (counter.samples === 0) throw unspeakable(new ApiError('empty_text', 'The reply has nothing to speak', 'text'));
      await writer.commit();
    } catch (err) {
      await writer.discard();
      throw err;
    }
    const durationSec = counter.samples / OUTPUT_SAMPLE_RATE_HZ;
    // The turn is billed as a whole (3 credits); its audio is not charged again per character.
    const job = await this.deps.jobs.create({ ...newJobFor(this.plan({ text, ...this.specOf(voice) }), { creditsUsed: 0, clientIp }), uuid });
    await this.deps.jobs.markProcessing(job.uuid);
    await this.deps.jobs.complete(job.uuid, durationSec, Date.now() + this.deps.resultTtlMs);
    return { text, audio: { uuid, format: REPLY_AUDIO_FORMAT, durationSec } };
  }

  private specOf(voice: ReplyVoice): Omit<SpeechSpec, 'text'> {
    return { model: voice.model, voice: voice.voice, language: voice.language, format: REPLY_AUDIO_FORMAT, speed: 1, pronunciations: [] };
  }

  /** One sentence's audio; null for one with nothing to speak (punctuation alone). */
  private sentenceAudio(text: string, voice: ReplyVoice, continuation: boolean, signal: AbortSignal): ReturnType<typeof synthesizeSpeech> | null {
    let planned: PlannedSpeech;
    try {
      planned = this.deps.tts.plan({ text, ...this.specOf(voice) });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'empty_text') return null;
      throw unspeakable(err);
    }
    return synthesizeSpeech({ ...planned.plan, continuation }, signal);
  }

  private plan(spec: SpeechSpec): PlannedSpeech {
    try {
      return this.deps.tts.plan(spec);
    } catch (err) {
      throw unspeakable(err);
    }
  }
}

/** A 400 about the text is about the model's reply (markup it left unclosed, nothing to speak), not the client's. */
function unspeakable(err: unknown): unknown {
  if (err instanceof ApiError && err.status === 400 && err.param === 'text') {
    return new ApiError('llm_reply_unspeakable', `The language model's reply cannot be spoken: ${err.message}`, null, { cause: err });
  }
  return err;
}

/** The audio of the reply's frames, counting its samples. */
async function* pcmOf(frames: AsyncIterable<ReplyFrame>, counter: { samples: number }): AsyncGenerator<Int16Array> {
  for await (const frame of frames) {
    if (frame.type !== 'audio' || frame.chunk.pcm.length === 0) continue;
    counter.samples += frame.chunk.pcm.length;
    yield frame.chunk.pcm;
  }
}
