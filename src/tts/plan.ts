/**
 * Planning: a `SpeechSpec` resolved against what is installed into a `SpeechPlan` the synthesis
 * pipeline runs, with its character count and credit charge. Every input error surfaces here,
 * before a response starts, so streams never begin with a 200 and then fail on bad input.
 */
import { randomUUID } from 'node:crypto';
import type { NewJob } from '../jobs/job-store.js';
import { prepareText } from '../text/prepare.js';
import { resolveModelAndVoice } from './resolve.js';
import type { TtsRuntime } from './runtime.js';
import type { SpeechSpec, TtsLimits } from './speech-spec.js';
import type { SpeechPlan } from './synthesize.js';

export interface PlannedSpeech {
  plan: SpeechPlan;
  /** The spec with model and voice resolved to real ids, as stored for a job. */
  spec: SpeechSpec;
  chars: number;
  creditsUsed: number;
}

export function planSpeech(spec: SpeechSpec, runtime: TtsRuntime, limits: TtsLimits): PlannedSpeech {
  // Text first: its language (given or detected) picks the voice behind an OpenAI voice name.
  const prepared = prepareText(spec.text, { language: spec.language, pronunciations: spec.pronunciations, firstChunkMaxChars: limits.firstChunkChars });
  const resolved = resolveModelAndVoice(runtime, {
    model: spec.model || undefined,
    voice: spec.voice,
    language: prepared.language,
    defaultModel: limits.defaultModel,
    defaultVoice: limits.defaultVoice,
  });
  const chars = spec.text.length;
  return {
    plan: { engine: resolved.engine, voice: resolved.voice, language: prepared.language, speed: spec.speed, pieces: prepared.chunks, midSentence: prepared.midSentence },
    spec: { ...spec, model: resolved.model, voice: resolved.voice.id },
    chars,
    // API.md: a charge is ceil(units x rate), at least 1.
    creditsUsed: Math.max(1, Math.ceil((chars / 1000) * resolved.creditsPer1k)),
  };
}

/** The job record for a planned synthesis: a fresh uuid (hex, the form result URLs use) and the resolved spec. */
export function newJobFor(planned: PlannedSpeech, opts: { creditsUsed: number; clientIp: string }): NewJob {
  return {
    uuid: randomUUID().replace(/-/g, ''),
    jobId: randomUUID(),
    request: planned.spec,
    model: planned.spec.model,
    voice: planned.spec.voice,
    format: planned.spec.format,
    chars: planned.chars,
    creditsUsed: opts.creditsUsed,
    clientIp: opts.clientIp,
  };
}
