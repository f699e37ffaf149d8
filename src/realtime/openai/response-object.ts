/** The `response` object of `response.created` / `response.done`, in either dialect's shape. */
import type { LlmUsage } from '../../llm/types.js';
import type { Dialect } from './protocol.js';
import type { ResponseSpec } from './response-run.js';

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'cancelled' | 'failed';

export interface ResponseObjectInput {
  id: string;
  status: ResponseStatus;
  statusDetails: unknown;
  output: Array<Record<string, unknown>>;
  conversationId: string | null;
  spec: ResponseSpec;
  dialect: Dialect;
  /** Null while in progress; the LLM's own counts when it reported them, else estimates. */
  usage: { reported: LlmUsage | null; outputText: string } | null;
}

/** Rough token count for text when the LLM reports none: ~4 characters per token. */
function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function responseObject(r: ResponseObjectInput): Record<string, unknown> {
  const { spec } = r;
  return {
    object: 'realtime.response',
    id: r.id,
    status: r.status,
    status_details: r.statusDetails,
    output: r.output,
    conversation_id: r.conversationId,
    output_modalities: spec.modalities,
    ...(r.dialect === 'beta' ? { modalities: spec.modalities.includes('audio') ? ['text', 'audio'] : ['text'], voice: spec.voice, output_audio_format: spec.encoder.format } : {}),
    audio: { output: { format: { type: spec.encoder.format }, voice: spec.voice } },
    max_output_tokens: spec.maxOutputTokens ?? 'inf',
    metadata: spec.metadata,
    usage: r.usage === null ? null : usageObject(spec, r.usage.reported, r.usage.outputText),
  };
}

function usageObject(spec: ResponseSpec, reported: LlmUsage | null, outputText: string): Record<string, unknown> {
  const input = reported?.inputTokens ?? estimateTokens(spec.messages.map((m) => m.content ?? '').join(' '));
  const output = reported?.outputTokens ?? estimateTokens(outputText);
  return {
    total_tokens: input + output,
    input_tokens: input,
    output_tokens: output,
    input_token_details: { text_tokens: input, audio_tokens: 0, cached_tokens: 0 },
    output_token_details: { text_tokens: output, audio_tokens: 0 },
  };
}
