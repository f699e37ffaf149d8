/** Picks the reply backend from config: the configured chat endpoint, else the offline echo. */
import type { Config } from '../config.js';
import { EchoResponder } from './echo.js';
import { OpenAiChatResponder } from './openai-chat.js';
import type { Responder } from './types.js';

export function createResponder(config: Pick<Config, 'llmBaseUrl' | 'llmApiKey' | 'llmModel' | 'llmTimeoutMs'>): Responder {
  if (!config.llmBaseUrl) return new EchoResponder();
  return new OpenAiChatResponder({
    baseUrl: config.llmBaseUrl,
    apiKey: config.llmApiKey,
    model: config.llmModel,
    timeoutMs: config.llmTimeoutMs,
  });
}
