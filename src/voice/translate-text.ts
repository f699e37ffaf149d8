/**
 * Text translation through the configured OpenAI-compatible chat model (src/llm/): one request
 * with a translation prompt, the streamed reply collected. The prompt asks for the translation
 * alone, since whatever comes back is spoken.
 */
import { ApiError } from '../errors.js';
import type { Responder } from '../llm/types.js';

/** Generous for a transcript: a translation is rarely over twice its source's tokens. */
const MAX_OUTPUT_TOKENS = 4096;

export function translationPrompt(sourceLanguage: string, targetLanguage: string): string {
  const from = sourceLanguage && sourceLanguage !== 'auto' ? `from the language with code "${sourceLanguage}" ` : '';
  return [
    `You are a translation engine. Translate the user's message ${from}into the language with code "${targetLanguage}".`,
    'Reply with the translation only: no notes, no quotes, no transliteration, nothing else. Keep the meaning, tone and sentence breaks.',
  ].join(' ');
}

export async function translateText(llm: Responder, text: string, sourceLanguage: string, targetLanguage: string, signal: AbortSignal): Promise<string> {
  let out = '';
  const messages = [
    { role: 'system' as const, content: translationPrompt(sourceLanguage, targetLanguage) },
    { role: 'user' as const, content: text },
  ];
  for await (const ev of llm.reply(messages, { signal, maxOutputTokens: MAX_OUTPUT_TOKENS })) {
    if (ev.type === 'text.delta') out += ev.delta;
  }
  out = out.trim();
  if (!out) throw new ApiError('llm_empty_reply', 'The language model sent an empty translation');
  return out;
}
