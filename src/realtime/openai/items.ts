/**
 * Realtime conversation items in the GA wire shape: the types, validation of a client's item
 * (either dialect's content names), the text the LLM sees, and the shape sent to each dialect.
 */
import { ApiError, invalidParam } from '../../errors.js';
import { newId, type Dialect } from './protocol.js';

export type ContentPart =
  | { type: 'input_text'; text: string }
  | { type: 'input_audio'; transcript: string | null; audio?: string }
  | { type: 'output_text'; text: string }
  | { type: 'output_audio'; transcript: string };

export type ItemStatus = 'completed' | 'incomplete' | 'in_progress';

export type Item =
  | { id: string; object: 'realtime.item'; type: 'message'; role: 'user' | 'assistant' | 'system'; status: ItemStatus; content: ContentPart[] }
  | { id: string; object: 'realtime.item'; type: 'function_call'; status: ItemStatus; call_id: string; name: string; arguments: string }
  | { id: string; object: 'realtime.item'; type: 'function_call_output'; status: ItemStatus; call_id: string; output: string };

type Obj = Record<string, unknown>;


function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates a client's `conversation.item.create` item (either dialect's content names). */
export function parseClientItem(raw: unknown): Item {
  if (!isObj(raw)) throw invalidParam('item', "'item' must be an object.", 'invalid_type');
  const id = raw.id === undefined ? newId('item') : raw.id;
  if (typeof id !== 'string' || id.length === 0 || id.length > 64) throw invalidParam('item.id', "'item.id' must be a string of 1-64 characters.");
  switch (raw.type) {
    case 'message': {
      const role = raw.role;
      if (role !== 'user' && role !== 'assistant' && role !== 'system') throw invalidParam('item.role', "'item.role' must be user, assistant or system.");
      if (!Array.isArray(raw.content)) throw invalidParam('item.content', "'item.content' must be an array.", 'invalid_type');
      const content = raw.content.map((part, i) => contentPart(part, role, `item.content[${i}]`));
      return { id, object: 'realtime.item', type: 'message', role, status: 'completed', content };
    }
    case 'function_call': {
      if (typeof raw.name !== 'string' || raw.name === '') throw invalidParam('item.name', "'item.name' is required for a function_call item.", 'missing_required_parameter');
      const args = raw.arguments === undefined ? '{}' : raw.arguments;
      if (typeof args !== 'string') throw invalidParam('item.arguments', "'item.arguments' must be a JSON string.", 'invalid_type');
      const callId = typeof raw.call_id === 'string' && raw.call_id ? raw.call_id : newId('call');
      return { id, object: 'realtime.item', type: 'function_call', status: 'completed', call_id: callId, name: raw.name, arguments: args };
    }
    case 'function_call_output': {
      if (typeof raw.call_id !== 'string' || raw.call_id === '') throw invalidParam('item.call_id', "'item.call_id' is required for a function_call_output item.", 'missing_required_parameter');
      if (typeof raw.output !== 'string') throw invalidParam('item.output', "'item.output' must be a string.", 'invalid_type');
      return { id, object: 'realtime.item', type: 'function_call_output', status: 'completed', call_id: raw.call_id, output: raw.output };
    }
    default:
      throw invalidParam('item.type', "'item.type' must be message, function_call or function_call_output.");
  }
}

function contentPart(raw: unknown, role: string, param: string): ContentPart {
  if (!isObj(raw)) throw invalidParam(param, `'${param}' must be an object.`, 'invalid_type');
  const text = (key: string): string => {
    if (typeof raw[key] !== 'string') throw invalidParam(`${param}.${key}`, `'${param}.${key}' must be a string.`, 'invalid_type');
    return raw[key] as string;
  };
  switch (raw.type) {
    case 'input_text':
      return { type: 'input_text', text: text('text') };
    case 'text':
    case 'output_text':
      return role === 'assistant' ? { type: 'output_text', text: text('text') } : { type: 'input_text', text: text('text') };
    case 'input_audio': {
      // The LLM here reads text: audio without a transcript is transcribed by the session, then dropped.
      const transcript = typeof raw.transcript === 'string' ? raw.transcript : null;
      if (transcript === null && raw.audio !== undefined) {
        if (typeof raw.audio !== 'string') throw invalidParam(`${param}.audio`, `'${param}.audio' must be base64 audio in the session's input format.`, 'invalid_type');
        return { type: 'input_audio', transcript, audio: raw.audio };
      }
      return { type: 'input_audio', transcript };
    }
    case 'audio':
    case 'output_audio':
      return { type: 'output_audio', transcript: typeof raw.transcript === 'string' ? raw.transcript : '' };
    default:
      throw invalidParam(`${param}.type`, `'${param}.type' must be input_text, input_audio, output_text or output_audio.`);
  }
}

/** The text of a message item, as the LLM sees it. */
export function itemText(item: Item): string {
  if (item.type !== 'message') return '';
  return item.content
    .map((p) => (p.type === 'input_text' || p.type === 'output_text' ? p.text : p.transcript ?? ''))
    .filter((t) => t.length > 0)
    .join(' ');
}

/** `item` as `dialect` names its content types. */
export function itemForDialect(item: Item, dialect: Dialect): Obj {
  if (dialect === 'ga' || item.type !== 'message') return { ...item };
  return {
    ...item,
    content: item.content.map((p) => (p.type === 'output_audio' ? { ...p, type: 'audio' } : p.type === 'output_text' ? { ...p, type: 'text' } : { ...p })),
  };
}

/** A content part as `response.content_part.*` events carry it (beta names, in both dialects). */
export type ContentPartOut = { type: 'audio'; transcript: string } | { type: 'text'; text: string };
