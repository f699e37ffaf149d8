/**
 * A responder backed by any OpenAI-compatible `/chat/completions` endpoint (OpenAI, vLLM,
 * llama.cpp server, Ollama, LM Studio), streamed over SSE and parsed with eventsource-parser.
 *
 * Tool calls arrive as fragments keyed by `index` (id and name in the first, `arguments` text
 * spread over many); they are assembled here and surfaced whole. Every failure of the
 * upstream is an `ApiError(502, 'llm_unavailable')` whose message never contains the key.
 */

import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { ApiError } from '../errors.js';
import type { ChatMessage, FinishReason, LlmEvent, LlmUsage, ReplyOptions, Responder } from './types.js';

// A local model loading its weights can take several seconds to produce its first token;
// past this the turn is better answered with an error than with silence.
const DEFAULT_FIRST_BYTE_TIMEOUT_MS = 15_000;
// Enough of an upstream error body to find its message; the rest is not worth holding.
const MAX_ERROR_BODY_CHARS = 4_096;
// Upstream error messages are relayed to clients; keep them to a line.
const MAX_UPSTREAM_MESSAGE_CHARS = 300;
// A single SSE event larger than this is not a chat completion chunk.
const MAX_SSE_BUFFER_CHARS = 1_000_000;

export interface OpenAiChatOptions {
  /** e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`; no trailing path. */
  baseUrl: string;
  /** Sent as a bearer token when set; local servers usually need none. */
  apiKey?: string;
  model: string;
  /** Longest wait from sending the request to the first byte of the body; default 15 s. */
  timeoutMs?: number;
}

interface ToolCallDraft {
  id: string;
  name: string;
  arguments: string;
}

/** The fields of a streamed `chat.completion.chunk` that are read here. */
interface CompletionChunk {
  choices?: Array<{
    delta?: {
      content?: string | null;
      tool_calls?: Array<{ index?: number; id?: string; function?: { name?: string; arguments?: string } }>;
    };
    finish_reason?: string | null;
  }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string };
}

function unavailable(message: string, cause?: unknown): ApiError {
  return new ApiError('llm_unavailable', message, null, cause === undefined ? undefined : { cause });
}

export class OpenAiChatResponder implements Responder {
  readonly #url: string;
  readonly #apiKey: string | undefined;
  readonly #model: string;
  readonly #timeoutMs: number;

  constructor(opts: OpenAiChatOptions) {
    this.#url = `${opts.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    this.#apiKey = opts.apiKey || undefined;
    this.#model = opts.model;
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_FIRST_BYTE_TIMEOUT_MS;
  }

  async *reply(messages: ChatMessage[], opts: ReplyOptions): AsyncGenerator<LlmEvent> {
    opts.signal.throwIfAborted();
    // Our own controller closes the connection on timeout, and when the consumer stops early.
    const local = new AbortController();
    const signal = AbortSignal.any([opts.signal, local.signal]);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      local.abort();
    }, this.#timeoutMs);

    const fail = (err: unknown, what: string): never => {
      if (opts.signal.aborted) throw opts.signal.reason;
      if (err instanceof ApiError) throw err;
      if (timedOut) throw unavailable(`The LLM at ${this.#url} sent nothing within ${this.#timeoutMs} ms`);
      throw unavailable(`${what}: ${this.#redact(describe(err))}`, err);
    };

    try {
      const body: Record<string, unknown> = {
        model: this.#model,
        messages,
        stream: true,
        stream_options: { include_usage: true },
      };
      if (opts.tools?.length) body.tools = opts.tools;
      // `max_tokens`, not the newer `max_completion_tokens`: every OpenAI-compatible server reads it.
      if (opts.maxOutputTokens !== undefined) body.max_tokens = opts.maxOutputTokens;
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
      if (this.#apiKey) headers.authorization = `Bearer ${this.#apiKey}`;

      let res: Response;
      try {
        res = await fetch(this.#url, { method: 'POST', headers, body: JSON.stringify(body), signal });
      } catch (err) {
        return fail(err, `Cannot reach the LLM at ${this.#url}`);
      }
      if (!res.ok) {
        let detail = '';
        try {
          detail = await this.#upstreamMessage(res);
        } catch (err) {
          return fail(err, `The LLM at ${this.#url} returned HTTP ${res.status}`);
        }
        throw unavailable(`The LLM at ${this.#url} returned HTTP ${res.status}${detail ? `: ${detail}` : ''}`);
      }
      if (!res.body) throw unavailable(`The LLM at ${this.#url} returned an empty response`);

      const pending: LlmEvent[] = [];
      const drafts = new Map<number, ToolCallDraft>();
      let streamError: ApiError | null = null;
      let finishReason: FinishReason | null = null;
      let usage: LlmUsage | undefined;
      let sawDone = false;

      const releaseToolCalls = (): void => {
        for (const [, d] of [...drafts].sort(([a], [b]) => a - b)) {
          // Servers send no argument text for a call that takes no arguments.
          pending.push({ type: 'tool_call', id: d.id, name: d.name, arguments: d.arguments || '{}' });
        }
        drafts.clear();
      };

      const onEvent = (ev: EventSourceMessage): void => {
        if (streamError || sawDone) return;
        if (ev.data === '[DONE]') {
          sawDone = true;
          return;
        }
        let chunk: CompletionChunk;
        try {
          chunk = JSON.parse(ev.data) as CompletionChunk;
        } catch (err) {
          streamError = unavailable(`The LLM at ${this.#url} sent a malformed stream (an event is not JSON)`, err);
          return;
        }
        if (chunk === null || typeof chunk !== 'object') {
          streamError = unavailable(`The LLM at ${this.#url} sent a malformed stream (an event is not an object)`);
          return;
        }
        if (chunk.error) {
          // Some servers report a failure mid-stream as an event with an `error` object.
          const msg = this.#redact(String(chunk.error.message ?? 'unknown error'));
          streamError = unavailable(`The LLM at ${this.#url} failed mid-reply: ${msg}`);
          return;
        }
        if (chunk.usage) {
          usage = { inputTokens: chunk.usage.prompt_tokens ?? 0, outputTokens: chunk.usage.completion_tokens ?? 0 };
        }
        const choice = chunk.choices?.[0];
        if (!choice) return;
        const content = choice.delta?.content;
        if (content) pending.push({ type: 'text.delta', delta: content });
        for (const frag of choice.delta?.tool_calls ?? []) {
          const index = frag.index ?? 0;
          let d = drafts.get(index);
          if (!d) drafts.set(index, (d = { id: '', name: '', arguments: '' }));
          if (frag.id) d.id = frag.id;
          if (frag.function?.name) d.name += frag.function.name;
          if (frag.function?.arguments) d.arguments += frag.function.arguments;
        }
        if (choice.finish_reason) {
          finishReason = choice.finish_reason;
          releaseToolCalls();
        }
      };
      const parser = createParser({
        onEvent,
        // Other parse errors (unknown fields, bad `retry`) are ignored, as the SSE spec says;
        // a stream made only of them ends without a finish and is reported then.
        onError: (err) => {
          if (err.type === 'max-buffer-size-exceeded') {
            streamError ??= unavailable(`The LLM at ${this.#url} sent a malformed stream (an event is too large)`);
          }
        },
        maxBufferSize: MAX_SSE_BUFFER_CHARS,
      });

      const decoder = new TextDecoder();
      let sawByte = false;
      try {
        for await (const bytes of res.body) {
          if (!sawByte) {
            sawByte = true;
            clearTimeout(timer);
          }
          parser.feed(decoder.decode(bytes, { stream: true }));
          if (streamError) throw streamError;
          while (pending.length) yield pending.shift()!;
          if (sawDone) break;
        }
        parser.feed(decoder.decode());
        parser.reset({ consume: true });
      } catch (err) {
        return fail(err, `The LLM stream from ${this.#url} broke`);
      }
      if (streamError) throw streamError;
      // Tolerate servers that end the stream after `finish_reason` without sending `[DONE]`.
      if (!sawDone && finishReason === null) {
        throw unavailable(`The LLM at ${this.#url} sent a malformed stream (it ended before the reply finished)`);
      }
      releaseToolCalls();
      while (pending.length) yield pending.shift()!;
      yield { type: 'done', finishReason: finishReason ?? 'stop', ...(usage ? { usage } : {}) };
    } finally {
      clearTimeout(timer);
      // Closes the connection if the consumer stopped early; a no-op once the body is read.
      local.abort();
    }
  }

  /** The `error.message` of an OpenAI-style error body, else the start of the body text. */
  async #upstreamMessage(res: Response): Promise<string> {
    const text = (await res.text()).slice(0, MAX_ERROR_BODY_CHARS);
    let message = text;
    try {
      const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
      if (typeof parsed.error === 'string') message = parsed.error;
      else if (typeof parsed.error?.message === 'string') message = parsed.error.message;
      else if (typeof parsed.message === 'string') message = parsed.message;
    } catch {
      // Not JSON: the body text itself is the best message there is.
    }
    message = this.#redact(message.replace(/\s+/g, ' ').trim());
    return message.length > MAX_UPSTREAM_MESSAGE_CHARS ? `${message.slice(0, MAX_UPSTREAM_MESSAGE_CHARS)}…` : message;
  }

  /** Removes the key, and anything shaped like a key, from text bound for a client. */
  #redact(text: string): string {
    let out = this.#apiKey ? text.split(this.#apiKey).join('[redacted]') : text;
    // OpenAI echoes a masked key ("sk-proj-****abcd") in its 401 message.
    out = out.replace(/\bsk-[\w*.-]{4,}/g, '[redacted]');
    return out;
  }
}

/** A one-line reason for a fetch failure; undici hides the socket error in `cause`. */
function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (cause && typeof cause.code === 'string') {
    if (cause.code === 'ECONNREFUSED') return 'connection refused';
    if (cause.code === 'ENOTFOUND') return 'host not found';
    if (cause.code === 'ECONNRESET' || cause.code === 'UND_ERR_SOCKET') return 'connection reset';
    return typeof cause.message === 'string' ? `${cause.code}: ${cause.message}` : cause.code;
  }
  return err instanceof Error ? err.message : String(err);
}
