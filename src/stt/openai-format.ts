/**
 * OpenAI's transcription response formats, built from our Transcript. Field names and shapes
 * follow the `openai` package's `Transcription`, `TranscriptionVerbose` and `Translation` types.
 */
import { toSrt, toVtt } from './subtitles.js';
import type { Transcript } from './transcript.js';

export type OpenAiResponseFormat = 'json' | 'text' | 'srt' | 'verbose_json' | 'vtt';

/** verbose_json names the language in English words, as Whisper does. */
const LANGUAGE_NAMES: Record<string, string> = {
  en: 'english', fr: 'french', de: 'german', es: 'spanish', it: 'italian', pt: 'portuguese', nl: 'dutch',
  cy: 'welsh', ru: 'russian', zh: 'chinese', ja: 'japanese', ko: 'korean', pl: 'polish', tr: 'turkish',
};

export function languageName(code: string): string {
  const primary = code.toLowerCase().split('-')[0]!;
  return LANGUAGE_NAMES[primary] ?? primary;
}

export interface Rendered {
  contentType: string;
  body: string;
}

export function renderOpenAi(
  t: Transcript,
  format: OpenAiResponseFormat,
  opts: { task: 'transcribe' | 'translate'; granularities: ReadonlySet<'word' | 'segment'> },
): Rendered {
  switch (format) {
    case 'text':
      return { contentType: 'text/plain; charset=utf-8', body: `${t.text}\n` };
    case 'srt':
      return { contentType: 'application/x-subrip; charset=utf-8', body: toSrt(t.segments) };
    case 'vtt':
      return { contentType: 'text/vtt; charset=utf-8', body: toVtt(t.segments) };
    case 'json':
      return {
        contentType: 'application/json',
        body: JSON.stringify({ text: t.text, usage: { type: 'duration', seconds: Math.ceil(t.durationSec) } }),
      };
    case 'verbose_json': {
      const body: Record<string, unknown> = {
        task: opts.task,
        language: languageName(t.language),
        duration: round3(t.durationSec),
        text: t.text,
        usage: { type: 'duration', seconds: Math.ceil(t.durationSec) },
      };
      // OpenAI returns segments unless only words were asked for.
      if (opts.granularities.has('segment') || !opts.granularities.has('word')) {
        body.segments = t.segments.map((s, id) => ({
          id,
          seek: 0,
          start: round3(s.start),
          end: round3(s.end),
          text: s.text,
          tokens: [],
          temperature: 0,
          // PocketSphinx has no comparable calibrated scores; zeros would claim certainty.
          avg_logprob: null,
          compression_ratio: null,
          no_speech_prob: null,
          ...(s.speaker ? { speaker: s.speaker } : {}),
        }));
      }
      if (opts.granularities.has('word')) {
        body.words = t.segments.flatMap((s) => s.words ?? []).map((w) => ({ word: w.word, start: round3(w.start), end: round3(w.end) }));
      }
      return { contentType: 'application/json', body: JSON.stringify(body) };
    }
    default: {
      const never: never = format;
      throw new Error(`unknown format ${String(never)}`);
    }
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
