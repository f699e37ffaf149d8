/**
 * Errors of `llais models pull|remove`. Each has a stable `code` so callers and tests branch on
 * the code, never on the text; the text is written for the person at the terminal and says what
 * to do next.
 */

export type ModelsErrorCode =
  /** No catalogue entry has this id. */
  | 'unknown_model'
  /** Built-in models ship with the server; there is nothing to pull or remove. */
  | 'builtin_model'
  /** The catalogue names no download for this model; it is installed by hand. */
  | 'no_download_source'
  /** The server could not be reached, or the connection dropped mid-file (`.partial` kept). */
  | 'network_error'
  /** The server answered with a 4xx/5xx status. */
  | 'http_error'
  /** The file's size is not the size the catalogue pins (download deleted). */
  | 'size_mismatch'
  /** The file's SHA-256 is not the hash the catalogue pins (download deleted). */
  | 'checksum_mismatch'
  /** A file to download has no pinned sha256 and the caller did not pass `trustUnpinned` (nothing downloaded). */
  | 'unpinned_download'
  /** The caller's AbortSignal fired (`.partial` kept). */
  | 'aborted';

export class ModelsError extends Error {
  override readonly name = 'ModelsError';

  constructor(
    readonly code: ModelsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
