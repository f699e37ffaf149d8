/**
 * A `response.create`'s `response` object resolved against the session: per-response settings
 * (validated by the same rules as the session's), the messages the LLM is sent (the
 * conversation's recent history, or the request's own `input`), and whether its items join the
 * conversation.
 */
import { ApiError } from '../../errors.js';
import type { ChatMessage, ChatTool } from '../../llm/types.js';
import { chatMessagesOf, type Conversation } from './conversation.js';
import { parseClientItem, type Item } from './items.js';
import { newId } from './protocol.js';
import { applySessionUpdate, type SessionConfig } from './session-config.js';

/** The session settings a response may override. */
const OVERRIDABLE = ['instructions', 'output_modalities', 'modalities', 'tools', 'tool_choice', 'audio', 'voice', 'output_audio_format', 'max_output_tokens', 'max_response_output_tokens', 'temperature'];

export interface ResponseRequest {
  config: SessionConfig;
  messages: ChatMessage[];
  tools: ChatTool[];
  inConversation: boolean;
  metadata: Record<string, string> | null;
}

export function resolveResponseRequest(
  raw: unknown,
  session: SessionConfig,
  conversation: Conversation,
  opts: { checkVoice(voice: string): void; requireItem(id: unknown): Readonly<Item>; maxHistoryChars: number },
): ResponseRequest {
  const r = raw === undefined || raw === null ? {} : raw;
  if (typeof r !== 'object' || Array.isArray(r)) throw new ApiError('invalid_type', "'response' must be an object.", 'response');
  const fields = r as Record<string, unknown>;
  const overrides: Record<string, unknown> = {};
  for (const key of OVERRIDABLE) if (fields[key] !== undefined) overrides[key] = fields[key];
  const config = applySessionUpdate(session, overrides, opts.checkVoice, false);
  if (fields.conversation !== undefined && fields.conversation !== 'auto' && fields.conversation !== 'none') {
    throw new ApiError('invalid_value', "'response.conversation' must be \"auto\" or \"none\".", 'response.conversation');
  }
  let messages = conversation.toChatMessages(config.instructions, opts.maxHistoryChars);
  if (fields.input !== undefined) {
    if (!Array.isArray(fields.input)) throw new ApiError('invalid_type', "'response.input' must be an array of items.", 'response.input');
    const items = fields.input.map((raw): Item => {
      const ref = raw as Record<string, unknown> | null;
      // `item_reference` points at an existing conversation item.
      const item = ref?.type === 'item_reference' ? structuredClone(opts.requireItem(ref.id)) : parseClientItem(raw);
      return { ...item, id: newId('item') } as Item;
    });
    const own = chatMessagesOf(items);
    messages = config.instructions.trim() ? [{ role: 'system', content: config.instructions }, ...own] : own;
  }
  return {
    config,
    messages,
    tools: config.toolChoice === 'none' ? [] : config.tools,
    inConversation: fields.conversation !== 'none',
    metadata: fields.metadata && typeof fields.metadata === 'object' ? (fields.metadata as Record<string, string>) : null,
  };
}
