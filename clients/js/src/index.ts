/** @llais/client: a typed client for the Llais speech server. */
export { Llais, type Cancellable, type TranscribeRequest, type VoiceChatRequest } from './client.js';
export { LlaisError, LlaisJobError } from './errors.js';
export type { FileInput } from './file-part.js';
export { DEFAULT_POLL_INTERVAL_MS, type WaitOptions } from './results.js';
export type { SpeechAudioDelta, SpeechEvent } from './speech-stream.js';
export type { LlaisOptions } from './transport.js';
export type * from './types.js';
export type { components, operations, paths } from './generated/openapi.js';
