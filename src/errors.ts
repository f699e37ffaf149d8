/**
 * The one error catalogue. Anything that should reach a client as a 4xx/5xx is an ApiError;
 * `src/http/respond.ts` turns it into the OpenAI-style envelope in exactly one place.
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

const TYPE_BY_STATUS: Record<number, ErrorType> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'insufficient_credits',
  403: 'permission_error',
  404: 'not_found_error',
  405: 'invalid_request_error',
  409: 'conflict_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  422: 'invalid_request_error',
  424: 'model_not_installed',
  429: 'rate_limit_error',
  500: 'server_error',
  503: 'overloaded_error',
};

export class ApiError extends Error {
  readonly type: ErrorType;
  constructor(
    readonly status: number,
    /** Stable machine-readable code, e.g. `invalid_value`, `model_not_installed`. */
    readonly code: string,
    message: string,
    readonly param: string | null = null,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.type = TYPE_BY_STATUS[status] ?? (status >= 500 ? 'server_error' : 'invalid_request_error');
    this.headers = options?.headers ?? {};
  }
  readonly headers: Record<string, string>;

  toEnvelope(): { error: { message: string; type: string; code: string; param: string | null } } {
    return { error: { message: this.message, type: this.type, code: this.code, param: this.param } };
  }
}

/** 400 for a field that is present but wrong. */
export function invalidParam(param: string, message: string, code = 'invalid_value'): ApiError {
  return new ApiError(400, code, message, param);
}
