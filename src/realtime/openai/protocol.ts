/**
 * The OpenAI Realtime wire format: event and object ids, the two dialects (GA, and the older beta
 * that clients select with `OpenAI-Beta: realtime=v1`), and the error event.
 *
 * Sessions are written against GA names; `outgoingName` renames an event for a beta client, and
 * `canonicalClientType` maps beta names a client sends to GA ones, so either dialect works from
 * either kind of client.
 */
import { randomBytes } from 'node:crypto';
import type { ApiError } from '../../errors.js';
import type { ServerEvent, ServerEventType } from './server-events.js';

export type Dialect = 'ga' | 'beta';

export function newId(prefix: 'event' | 'item' | 'resp' | 'sess' | 'call' | 'conv'): string {
  // OpenAI's ids are a prefix and 22 base62-ish characters; clients only treat them as opaque.
  return `${prefix}_${randomBytes(16).toString('base64url').slice(0, 22)}`;
}

/** GA name -> beta name, for events whose name changed at GA. */
const BETA_NAMES: Partial<Record<ServerEventType, string>> = {
  'conversation.item.added': 'conversation.item.created',
  'response.output_audio.delta': 'response.audio.delta',
  'response.output_audio.done': 'response.audio.done',
  'response.output_audio_transcript.delta': 'response.audio_transcript.delta',
  'response.output_audio_transcript.done': 'response.audio_transcript.done',
  'response.output_text.delta': 'response.text.delta',
  'response.output_text.done': 'response.text.done',
};

/** Events a beta client never received; skipped for it. */
const GA_ONLY = new Set<ServerEventType>(['conversation.item.done']);

const GA_NAMES: Record<string, string> = Object.fromEntries(Object.entries(BETA_NAMES).map(([ga, beta]) => [beta, ga]));

/** The name to send `type` under to a client of `dialect`; null when that dialect has no such event. */
export function outgoingName(type: ServerEventType, dialect: Dialect): string | null {
  if (dialect === 'ga') return type;
  if (GA_ONLY.has(type)) return null;
  return BETA_NAMES[type] ?? type;
}

/** A client's event type in GA terms. */
export function canonicalClientType(type: string): string {
  return GA_NAMES[type] ?? type;
}

/** Whether the upgrade request asked for the beta protocol. */
export function dialectOf(headers: Readonly<Record<string, string>>, protocols: string[]): Dialect {
  if (/realtime=v1/i.test(headers['openai-beta'] ?? '')) return 'beta';
  if (protocols.some((p) => p === 'openai-beta.realtime-v1')) return 'beta';
  return 'ga';
}

/** The `error` server event for `err`, naming the client event that caused it. */
export function errorEvent(err: ApiError, clientEventId?: string): Extract<ServerEvent, { type: 'error' }> {
  return {
    type: 'error',
    error: {
      type: err.type,
      code: err.code,
      message: err.message,
      param: err.param,
      event_id: clientEventId ?? null,
    },
  };
}
