/**
 * The reply stage's contract: a `Responder` turns a conversation into a stream of events
 * (text deltas, complete tool calls, one `done`). Message and tool shapes follow OpenAI chat
 * completions so they can be sent upstream unchanged.
 */

/** A function call the assistant made, as OpenAI chat sends it back in history. */
export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; /** JSON text. */ arguments: string };
}

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ChatToolCall[] }
  | { role: 'tool'; content: string; tool_call_id: string };

/** An OpenAI function tool; `parameters` is a JSON Schema object. */
export interface ChatTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

/** Why the reply ended: OpenAI's `finish_reason` values, passed through as sent. */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | (string & {});

export interface LlmUsage {
  inputTokens: number;
  outputTokens: number;
}

export type LlmEvent =
  | { type: 'text.delta'; delta: string }
  /** One complete call; `arguments` is the whole JSON text, never a fragment. */
  | { type: 'tool_call'; id: string; name: string; arguments: string }
  | { type: 'done'; finishReason: FinishReason; usage?: LlmUsage };

export interface ReplyOptions {
  tools?: ChatTool[];
  /** Most tokens the reply may have; the reply then ends with finish reason `length`. Absent: no limit. */
  maxOutputTokens?: number;
  /** The turn's signal: aborting it (barge-in) stops the reply and closes any connection. */
  signal: AbortSignal;
}

/**
 * Produces the assistant's reply. The stream ends with exactly one `done`; when `signal`
 * aborts, iteration rejects with `signal.reason`. Failures of the backend are `ApiError`s.
 */
export interface Responder {
  reply(messages: ChatMessage[], opts: ReplyOptions): AsyncIterable<LlmEvent>;
}
