/**
 * The client's errors: `LlaisError` is the server's error envelope as an exception (the same
 * status, code and param the server sent), `LlaisJobError` a queued job that the server ran
 * and reports failed.
 */
import type { ErrorCode, ErrorDetail } from './types.js';

/** An error answered by the server, or sent inside a stream that had already started. */
export class LlaisError extends Error {
  override readonly name = 'LlaisError';
  /** The HTTP status; null for an `error` event inside a stream already answered 200. */
  readonly status: number | null;
  /** The catalogue code (docs/errors.md), or `http_<status>` when the body was not an envelope. */
  readonly code: ErrorCode | `http_${number}`;
  /** The class of error, e.g. `invalid_request_error`. */
  readonly type: string;
  /** The request field at fault, e.g. `voice` or `texts[3].voice`, or null. */
  readonly param: string | null;

  constructor(status: number | null, detail: Pick<ErrorDetail, 'message' | 'param' | 'type'> & { code: LlaisError['code'] }) {
    super(detail.message);
    this.status = status;
    this.code = detail.code;
    this.type = detail.type;
    this.param = detail.param;
  }

  /** The error of a non-2xx response (its body is read). */
  static async fromResponse(res: Response): Promise<LlaisError> {
    const text = await res.text().catch(() => '');
    try {
      const { error } = JSON.parse(text) as { error?: ErrorDetail };
      if (error && typeof error.code === 'string' && typeof error.message === 'string') return new LlaisError(res.status, error);
    } catch {
      // Not JSON (a proxy's page, say): described by its status below.
    }
    return new LlaisError(res.status, { code: `http_${res.status}`, type: 'http_error', param: null, message: text.slice(0, 200) || res.statusText || `HTTP ${res.status}` });
  }
}

/** A synthesis job the server ran and reports `failed`. */
export class LlaisJobError extends Error {
  override readonly name = 'LlaisJobError';

  /** @param uuid the job; @param message the server's reason. */
  constructor(readonly uuid: string, message: string) {
    super(message);
  }
}
