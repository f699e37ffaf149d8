/** SRT and WebVTT renderings of transcript segments. */
import type { TranscriptSegment } from './transcript.js';

function clock(seconds: number, decimalMark: ',' | '.'): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}${decimalMark}${pad(ms % 1000, 3)}`;
}

/** Cues must not overlap or run backwards, or players drop them; clamp each to its successor. */
function cues(segments: TranscriptSegment[]): Array<{ start: number; end: number; text: string }> {
  const out: Array<{ start: number; end: number; text: string }> = [];
  let floor = 0;
  for (const seg of segments) {
    const text = seg.text.trim();
    if (!text) continue;
    const start = Math.max(seg.start, floor);
    const end = Math.max(seg.end, start + 0.001);
    out.push({ start, end, text: seg.speaker ? `[${seg.speaker}] ${text}` : text });
    floor = end;
  }
  return out;
}

export function toSrt(segments: TranscriptSegment[]): string {
  return cues(segments)
    .map((c, i) => `${i + 1}\n${clock(c.start, ',')} --> ${clock(c.end, ',')}\n${c.text}\n`)
    .join('\n');
}

export function toVtt(segments: TranscriptSegment[]): string {
  const body = cues(segments)
    .map((c) => `${clock(c.start, '.')} --> ${clock(c.end, '.')}\n${c.text.replace(/-->/g, '->')}\n`)
    .join('\n');
  return `WEBVTT\n\n${body}`;
}
