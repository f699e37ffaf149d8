/**
 * The server events a Realtime session sends, one variant per event with its own fields, under
 * their GA names (`protocol.ts` renames them for beta clients). A misspelt field or event name
 * does not compile. Item, session and response objects are built by their own modules and
 * carried as wire objects.
 */
import type { ContentPartOut } from './items.js';

type Obj = Record<string, unknown>;

/** An item as sent: `itemForDialect`'s output. */
export type WireItem = Obj;

interface ContentRef {
  response_id: string;
  item_id: string;
  output_index: number;
  content_index: number;
}

interface CallRef {
  response_id: string;
  item_id: string;
  output_index: number;
  call_id: string;
}

export interface ErrorDetail {
  type: string;
  code: string;
  message: string;
  param: string | null;
  event_id: string | null;
}

export type ServerEvent =
  | { type: 'error'; error: ErrorDetail }
  | { type: 'session.created'; session: Obj }
  | { type: 'session.updated'; session: Obj }
  /** A transcription session's `session.created/updated` for a beta client, or after `transcription_session.update`. */
  | { type: 'transcription_session.created'; session: Obj }
  | { type: 'transcription_session.updated'; session: Obj }
  | { type: 'conversation.created'; conversation: { id: string; object: 'realtime.conversation' } }
  | { type: 'input_audio_buffer.cleared' }
  | { type: 'input_audio_buffer.speech_started'; audio_start_ms: number; item_id: string }
  | { type: 'input_audio_buffer.speech_stopped'; audio_end_ms: number; item_id: string }
  | { type: 'input_audio_buffer.turn_limit_reached'; item_id: string; audio_end_ms: number; max_turn_ms: number }
  | { type: 'input_audio_buffer.committed'; previous_item_id: string | null; item_id: string }
  | { type: 'conversation.item.added'; previous_item_id: string | null; item: WireItem }
  | { type: 'conversation.item.done'; previous_item_id?: string | null; item: WireItem }
  | { type: 'conversation.item.retrieved'; item: WireItem }
  | { type: 'conversation.item.deleted'; item_id: string }
  | { type: 'conversation.item.truncated'; item_id: string; content_index: number; audio_end_ms: number }
  | { type: 'conversation.item.input_audio_transcription.delta'; item_id: string; content_index: number; delta: string; logprobs?: null }
  | { type: 'conversation.item.input_audio_transcription.completed'; item_id: string; content_index: number; transcript: string; usage: { type: 'duration'; seconds: number }; logprobs?: null }
  | { type: 'conversation.item.input_audio_transcription.failed'; item_id: string; content_index: number; error: Omit<ErrorDetail, 'event_id'> }
  | { type: 'output_audio_buffer.cleared'; response_id: string | null }
  | { type: 'response.created'; response: Obj }
  | { type: 'response.done'; response: Obj }
  | { type: 'response.output_item.added'; response_id: string; output_index: number; item: WireItem }
  | { type: 'response.output_item.done'; response_id: string; output_index: number; item: WireItem }
  | ({ type: 'response.content_part.added'; part: ContentPartOut } & ContentRef)
  | ({ type: 'response.content_part.done'; part: ContentPartOut } & ContentRef)
  | ({ type: 'response.output_text.delta'; delta: string } & ContentRef)
  | ({ type: 'response.output_text.done'; text: string } & ContentRef)
  | ({ type: 'response.output_audio.delta'; delta: string } & ContentRef)
  | ({ type: 'response.output_audio.done' } & ContentRef)
  | ({ type: 'response.output_audio_transcript.delta'; delta: string } & ContentRef)
  | ({ type: 'response.output_audio_transcript.done'; transcript: string } & ContentRef)
  | ({ type: 'response.function_call_arguments.delta'; delta: string } & CallRef)
  | ({ type: 'response.function_call_arguments.done'; name: string; arguments: string } & CallRef);

export type ServerEventType = ServerEvent['type'];
