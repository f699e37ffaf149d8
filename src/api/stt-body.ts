/** `POST /v1/stt/`'s JSON answer, shared by the synchronous request and an async job's `result`. */
import type { Transcript } from '../stt/transcript.js';

export function sttResultBody(t: Transcript, credits: { used: number; remaining: number | null }, wordTimestamps: boolean): Record<string, unknown> {
  return {
    credits_used: credits.used,
    credits_remaining: credits.remaining,
    text: t.text,
    language: t.language,
    duration: Math.round(t.durationSec * 1000) / 1000,
    segments: t.segments.map((s) => ({
      start: s.start,
      end: s.end,
      text: s.text,
      speaker: s.speaker ?? null,
      ...(wordTimestamps ? { words: s.words ?? [] } : {}),
    })),
  };
}
