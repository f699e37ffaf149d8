/**
 * The one error catalogue. Anything that should reach a client as a 4xx/5xx is an ApiError with
 * a code from `ERROR_CATALOGUE`, which fixes its HTTP status (and so its type); `docs/errors.md`
 * says when each happens and what a client should do, and a test keeps the two in step.
 * `toEnvelope()` is the one place the OpenAI-style envelope is built, for HTTP responses and
 * for the `error` events of streams alike.
 */

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'insufficient_credits'
  | 'not_found_error'
  | 'conflict_error'
  | 'rate_limit_error'
  | 'model_not_installed'
  | 'server_error'
  | 'overloaded_error';

/** Every code a client can see, with its HTTP status. 499: work stopped because the client left or cancelled; never sent. */
export const ERROR_CATALOGUE = {
  invalid_value: 400,
  invalid_type: 400,
  missing_required_parameter: 400,
  unknown_parameter: 400,
  unsupported_parameter: 400,
  conflicting_parameters: 400,
  invalid_json: 400,
  invalid_multipart: 400,
  empty_text: 400,
  text_too_long: 400,
  invalid_ssml: 400,
  model_not_found: 400,
  voice_not_found: 400,
  voice_model_mismatch: 400,
  unsupported_language: 400,
  language_not_supported: 400,
  capability_not_supported: 400,
  invalid_audio: 400,
  invalid_event: 400,
  unknown_event: 400,
  invalid_message: 400,
  unknown_message_type: 400,
  item_not_found: 400,
  duplicate_item_id: 400,
  conversation_already_has_active_response: 400,
  response_cancel_not_active: 400,
  response_not_available: 400,
  input_audio_buffer_commit_empty: 400,
  input_audio_buffer_full: 400,
  text_buffer_full: 400,
  session_locked: 400,
  cannot_update_voice: 400,
  session_closing: 400,
  session_idle_timeout: 400,
  session_expired: 400,
  session_idle: 408,
  input_audio_backlog_full: 429,
  missing_api_key: 401,
  invalid_api_key: 401,
  insufficient_credits: 402,
  plan_not_allowed: 403,
  rate_limit_exceeded: 429,
  too_many_concurrent_requests: 429,
  daily_limit_exceeded: 429,
  too_many_pronunciations: 409,
  too_many_embeddings: 409,
  job_not_completed: 409,
  job_already_finished: 409,
  pronunciation_not_found: 404,
  not_found: 404,
  job_not_found: 404,
  batch_not_found: 404,
  result_expired: 404,
  conversation_not_found: 404,
  embedding_not_found: 404,
  method_not_allowed: 405,
  body_too_large: 413,
  file_too_large: 413,
  field_too_large: 413,
  frame_too_large: 413,
  too_many_parts: 413,
  audio_too_long: 413,
  unsupported_media_type: 415,
  audio_too_short: 422,
  unprocessable_audio: 422,
  no_speech: 422,
  multiple_speakers: 422,
  model_not_installed: 424,
  engine_not_available: 424,
  language_not_installed: 424,
  capability_not_installed: 424,
  translator_not_configured: 424,
  internal_error: 500,
  synthesis_failed: 500,
  transcription_failed: 500,
  worker_crashed: 500,
  llm_unavailable: 502,
  llm_empty_reply: 502,
  llm_reply_unspeakable: 502,
  overloaded: 503,
  shutting_down: 503,
  too_many_sessions: 503,
  engine_unavailable: 503,
  vad_unavailable: 503,
  job_queue_full: 503,
  queue_unavailable: 503,
  too_many_uploads: 503,
  client_closed: 499,
  cancelled: 499,
  response_cancelled: 499,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

const TYPE_BY_STATUS: Record<number, ErrorType> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'insufficient_credits',
  403: 'permission_error',
  404: 'not_found_error',
  405: 'invalid_request_error',
  408: 'invalid_request_error',
  409: 'conflict_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  422: 'invalid_request_error',
  424: 'model_not_installed',
  429: 'rate_limit_error',
  500: 'server_error',
  502: 'server_error',
  503: 'overloaded_error',
};

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CATALOGUE, code);
}

export class ApiError extends Error {
  readonly status: number;
  readonly type: ErrorType;
  readonly headers: Record<string, string>;

  constructor(
    /** Stable machine-readable code from the catalogue; it fixes the status. */
    readonly code: ErrorCode,
    message: string,
    readonly param: string | null = null,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = ERROR_CATALOGUE[code];
    this.type = TYPE_BY_STATUS[this.status] ?? (this.status >= 500 ? 'server_error' : 'invalid_request_error');
    this.headers = options?.headers ?? {};
  }

  toEnvelope(): { error: { message: string; type: string; code: string; param: string | null } } {
    return { error: { message: this.message, type: this.type, code: this.code, param: this.param } };
  }
}

/** 400 for a field that is present but wrong. */
export function invalidParam(param: string, message: string, code: ErrorCode = 'invalid_value'): ApiError {
  return new ApiError(code, message, param);
}
