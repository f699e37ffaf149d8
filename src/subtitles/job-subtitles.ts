/**
 * Subtitle cues for a finished TTS job, made once and then read from disk. The times come from
 * the engine's own word events when it reported them (stored beside the result at render time),
 * else from forced alignment: the installed recognizer transcribes the result with word times
 * and those are aligned to the text. Either way the cues show the text as the user wrote it:
 * the spoken text (SSML rendered, pronunciations applied) is recomputed from the stored request
 * exactly as synthesis made it, and its words are carried back onto the written ones.
 */
import { ApiError } from '../errors.js';
import type { TtsJob } from '../jobs/job-store.js';
import type { ResultStore } from '../jobs/result-store.js';
import type { SttService } from '../stt/service.js';
import { prepareText } from '../text/prepare.js';
import { parseSsml, ssmlTextContent } from '../text/ssml.js';
import { WORD_TIMES_FILE } from '../tts/render-job.js';
import type { SpeechSpec } from '../tts/speech-spec.js';
import { buildCues, type Cue } from './cues.js';
import { timeWrittenWords, type TimedWord } from './word-times.js';

/** Beside a job's result: its cues, in our own JSON, rendered to SRT or VTT per request. */
export const CUES_FILE = 'cues.json';

export interface JobSubtitlesDeps {
  results: ResultStore;
  stt: SttService;
}

/** Where a job's cue times came from, for logs and tests. */
export type TimingSource = 'engine' | 'alignment' | 'estimate' | 'cache';

export interface JobCues {
  cues: Cue[];
  source: TimingSource;
}

/** The text as written (tags removed) and as spoken, for a stored request. */
export function writtenAndSpoken(spec: SpeechSpec): { written: string; spoken: string; language: string } {
  const prepared = prepareText(spec.text, { language: spec.language, pronunciations: spec.pronunciations });
  const written = ssmlTextContent(parseSsml(spec.text).nodes).replace(/\s+/g, ' ').trim();
  return { written, spoken: prepared.text, language: prepared.language };
}

/**
 * The cues of `job` (completed), from its cache file when there is one. `language` overrides the
 * recognizer's language for forced alignment.
 */
export async function jobCues(deps: JobSubtitlesDeps, job: TtsJob, format: string, language: string | undefined, signal: AbortSignal): Promise<JobCues> {
  const cached = await deps.results.readExtra(job.uuid, CUES_FILE);
  if (cached !== undefined) return { cues: JSON.parse(cached) as Cue[], source: 'cache' };
  const spec = job.request as SpeechSpec;
  const durationSec = job.durationSec ?? 0;
  const text = writtenAndSpoken(spec);
  const engineTimes = await deps.results.readExtra(job.uuid, WORD_TIMES_FILE);
  let timed: TimedWord[];
  let source: TimingSource;
  if (engineTimes !== undefined) {
    timed = JSON.parse(engineTimes) as TimedWord[];
    source = 'engine';
  } else {
    try {
      timed = await recognizedWords(deps, job, format, language ?? text.language.split('-')[0]!, signal);
      source = 'alignment';
    } catch (err) {
      // No recognizer for this language (424) or model (400): times by characters alone.
      if (!(err instanceof ApiError) || (err.status !== 424 && err.status !== 400)) throw err;
      timed = [];
      source = 'estimate';
    }
  }
  const cues = buildCues(timeWrittenWords(text.written, text.spoken, timed, durationSec), durationSec);
  await deps.results.writeExtra(job.uuid, CUES_FILE, JSON.stringify(cues));
  return { cues, source };
}

/** Word times the recognizer hears in the job's result file. */
async function recognizedWords(deps: JobSubtitlesDeps, job: TtsJob, format: string, language: string, signal: AbortSignal): Promise<TimedWord[]> {
  const file = await deps.results.find(job.uuid, format);
  if (!file) return [];
  const transcript = await deps.stt.transcribe({ kind: 'file', path: file.path }, { language, task: 'transcribe', wordTimestamps: true, diarize: false }, signal);
  return transcript.segments.flatMap((s) => s.words ?? []).map((w) => ({ word: w.word, start: w.start, end: w.end }));
}
