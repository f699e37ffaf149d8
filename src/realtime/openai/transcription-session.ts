/**
 * Transcription sessions (`session.type: "transcription"`, or beta's `transcription_session.update`
 * and `?intent=transcription`): the same input pipeline as a voice session (formats, server VAD
 * or manual commits, live recognition), but nothing is answered. What differs is kept here: the
 * session type and `include` fields, and the session object in each dialect's shape.
 */
import { invalidParam } from '../../errors.js';
import type { Dialect } from './protocol.js';

/** The one `include` value OpenAI defines for transcription. */
export type TranscriptionInclude = 'item.input_audio_transcription.logprobs';
const INCLUDES: readonly TranscriptionInclude[] = ['item.input_audio_transcription.logprobs'];

type Obj = Record<string, unknown>;

/** Reads `session.type`. */
export function sessionType(v: unknown): 'realtime' | 'transcription' {
  if (v === 'realtime' || v === 'transcription') return v;
  throw invalidParam('session.type', `'session.type' must be "realtime" or "transcription".`);
}

/** Reads `session.include`. */
export function includeList(v: unknown): TranscriptionInclude[] {
  if (!Array.isArray(v) || v.some((x) => !INCLUDES.includes(x as TranscriptionInclude))) {
    throw invalidParam('session.include', `'session.include' must be an array of: ${INCLUDES.join(', ')}.`);
  }
  return [...new Set(v as TranscriptionInclude[])];
}

/** What `transcriptionSessionObject` needs of a session's config. */
interface TranscriptionView {
  id: string;
  include: TranscriptionInclude[];
  transcription: unknown;
}

/**
 * The session object of a transcription session: GA's `realtime.transcription_session` with
 * nested `audio.input`, or beta's flat one (sent as `transcription_session.created/updated`).
 */
export function transcriptionSessionObject(c: TranscriptionView, dialect: Dialect, expiresAt: number, input: { format: Obj; transcription: unknown; noise_reduction: null; turn_detection: Obj | null }, betaFormat: string): Obj {
  if (dialect === 'beta') {
    return {
      id: c.id,
      object: 'realtime.transcription_session',
      expires_at: expiresAt,
      modalities: ['text'],
      input_audio_format: betaFormat,
      input_audio_transcription: input.transcription,
      input_audio_noise_reduction: null,
      turn_detection: input.turn_detection,
      include: c.include,
    };
  }
  return { type: 'transcription', object: 'realtime.transcription_session', id: c.id, expires_at: expiresAt, audio: { input }, include: c.include };
}

/** A `transcription_session.update`'s session as a `session.update` one (its type implied). */
export function asTranscriptionUpdate(session: unknown): unknown {
  return typeof session === 'object' && session !== null && !Array.isArray(session) ? { ...session, type: 'transcription' } : session;
}
