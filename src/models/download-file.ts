/**
 * Fetches one file into `<dest>.partial`, streaming it to disk chunk by chunk (model files are
 * hundreds of MB, so nothing holds a whole file in memory), resumes an earlier `.partial` with
 * a Range request where the server honours it (206), checks the size and SHA-256 the catalogue
 * pins, and only then renames it to `dest`, so `dest` never holds a partial or unverified file.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { ModelsError } from './errors.js';

/** Suffix of a file being downloaded; a later pull resumes from it. */
export const PARTIAL_SUFFIX = '.partial';

export interface DownloadTarget {
  url: string;
  dest: string;
  sha256?: string;
  /** An MD5 the publisher lists (Piper's voices.json gives only MD5); checked like `sha256`. */
  md5?: string;
  bytes?: number;
}

export type DownloadEvent =
  | { type: 'started'; url: string; resumeFromBytes: number; totalBytes?: number }
  | { type: 'progress'; receivedBytes: number; totalBytes?: number };

export interface DownloadOptions {
  fetchImpl: typeof fetch;
  signal?: AbortSignal;
  /** Called per received chunk; callers throttle what they show. */
  onEvent?: (event: DownloadEvent) => void;
  /** Appended to network and HTTP errors: what the user can do instead (e.g. use a mirror). */
  hint: string;
}

export interface DownloadResult {
  bytes: number;
  sha256: string;
  /** The SHA-256 matched a pinned hash (not just computed). */
  pinned: boolean;
}

/** Downloads `target.url` to `target.dest`; see the module comment. */
export async function downloadFile(target: DownloadTarget, opts: DownloadOptions): Promise<DownloadResult> {
  const partial = target.dest + PARTIAL_SUFFIX;
  let offset = (await fileSize(partial)) ?? 0;
  if (target.bytes !== undefined && offset > target.bytes) {
    await rm(partial, { force: true });
    offset = 0;
  }
  // Every byte is already there: an earlier run stopped between the download and the rename.
  if (offset > 0 && offset === target.bytes) return verifyAndPlace(target, partial, await hashFile(partial), offset);

  let res = await request(target.url, offset, opts);
  let append = false;
  if (offset > 0) {
    const range = parseContentRange(res.headers.get('content-range'));
    if (res.status === 206 && range?.start === offset) {
      append = true;
    } else if (res.status === 416 && range?.total === offset) {
      // Nothing left to send: the partial is the whole file.
      await discard(res);
      return verifyAndPlace(target, partial, await hashFile(partial), offset);
    } else if (res.status === 206 || res.status === 416) {
      // A range we did not ask for, or a partial longer than the file: start again.
      await discard(res);
      await rm(partial, { force: true });
      res = await request(target.url, 0, opts);
    }
    // Any other status (200: the server ignores Range) is handled below, from byte 0.
  }
  if (!res.ok) {
    await discard(res);
    const status = `${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
    throw new ModelsError('http_error', `${target.url} answered HTTP ${status}. ${opts.hint}`);
  }

  const totalBytes = append ? parseContentRange(res.headers.get('content-range'))?.total : contentLength(res);
  if (target.bytes !== undefined && totalBytes !== undefined && totalBytes !== target.bytes) {
    await discard(res);
    await rm(partial, { force: true });
    throw new ModelsError(
      'size_mismatch',
      `${target.url} is ${totalBytes} bytes, but the catalogue expects ${target.bytes}: the file changed upstream, or the mirror holds another version. Nothing was kept.`,
    );
  }
  const hash = createHash('sha256');
  if (append) await hashInto(partial, hash);
  else offset = 0;
  opts.onEvent?.({ type: 'started', url: target.url, resumeFromBytes: offset, totalBytes });
  const received = await streamToFile(res, partial, { append, hash, startBytes: offset, totalBytes }, target.url, opts);
  if (totalBytes !== undefined && received < totalBytes) {
    throw interrupted(target.url, received, totalBytes, 'the server closed the connection early', opts);
  }
  return verifyAndPlace(target, partial, hash.digest('hex'), received);
}

async function request(url: string, offset: number, opts: DownloadOptions): Promise<Response> {
  // identity: byte ranges and Content-Length must count the file's bytes, not a gzip of them.
  const headers: Record<string, string> = { 'accept-encoding': 'identity' };
  if (offset > 0) headers.range = `bytes=${offset}-`;
  try {
    return await opts.fetchImpl(url, { headers, redirect: 'follow', signal: opts.signal });
  } catch (err) {
    if (opts.signal?.aborted) throw abortedError(url, err);
    throw new ModelsError('network_error', `Could not download ${url}: ${reason(err)}. ${opts.hint}`, { cause: err });
  }
}

async function streamToFile(
  res: Response,
  path: string,
  state: { append: boolean; hash: Hash; startBytes: number; totalBytes: number | undefined },
  url: string,
  opts: DownloadOptions,
): Promise<number> {
  const fh = await open(path, state.append ? 'a' : 'w');
  let received = state.startBytes;
  const reader = res.body?.getReader();
  let finished = reader === undefined;
  try {
    while (reader) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        finished = true; // the stream has errored; there is nothing to cancel
        if (opts.signal?.aborted) throw abortedError(url, err);
        throw interrupted(url, received, state.totalBytes, reason(err), opts, err);
      }
      if (chunk.done) {
        finished = true;
        break;
      }
      state.hash.update(chunk.value);
      await writeAll(fh, chunk.value);
      received += chunk.value.byteLength;
      opts.onEvent?.({ type: 'progress', receivedBytes: received, totalBytes: state.totalBytes });
    }
    await fh.sync();
  } finally {
    if (!finished) await reader?.cancel().catch(() => undefined);
    await fh.close();
  }
  return received;
}

async function verifyAndPlace(target: DownloadTarget, partial: string, sha256: string, bytes: number): Promise<DownloadResult> {
  if (target.bytes !== undefined && bytes !== target.bytes) {
    await rm(partial, { force: true });
    throw new ModelsError('size_mismatch', `${target.url} gave ${bytes} bytes, but the catalogue expects ${target.bytes}. The download was deleted.`);
  }
  if (target.sha256 !== undefined && sha256 !== target.sha256) {
    await rm(partial, { force: true });
    throw new ModelsError(
      'checksum_mismatch',
      `${target.url} has SHA-256 ${sha256}, but the catalogue pins ${target.sha256}: the file is corrupt, changed upstream, or the mirror holds another version. The download was deleted.`,
    );
  }
  if (target.md5 !== undefined) {
    const md5 = createHash('md5');
    await hashInto(partial, md5);
    const got = md5.digest('hex');
    if (got !== target.md5.toLowerCase()) {
      await rm(partial, { force: true });
      throw new ModelsError('checksum_mismatch', `${target.url} has MD5 ${got}, but the publisher's list gives ${target.md5}: the file is corrupt, changed upstream, or the mirror holds another version. The download was deleted.`);
    }
  }
  await rename(partial, target.dest);
  return { bytes, sha256, pinned: target.sha256 !== undefined || target.md5 !== undefined };
}

/** SHA-256 of a file, read as a stream. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await hashInto(path, hash);
  return hash.digest('hex');
}

/** Feeds a file to `hash` as a stream, so a resumed download's hash carries on from it. */
async function hashInto(path: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

async function writeAll(fh: FileHandle, chunk: Uint8Array): Promise<void> {
  let written = 0;
  while (written < chunk.byteLength) written += (await fh.write(chunk, written)).bytesWritten;
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

/** Lets go of a response body we will not read, so its connection is freed. */
async function discard(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => undefined);
}

// Content-Range: `bytes 100-199/1000`, or a 416's `bytes */1000`; total is absent for `/*`.
function parseContentRange(header: string | null): { start?: number; total?: number } | undefined {
  const m = /^bytes (?:(\d+)-\d+|\*)\/(\d+|\*)$/.exec(header?.trim() ?? '');
  if (!m) return undefined;
  return { start: m[1] === undefined ? undefined : Number(m[1]), total: m[2] === '*' ? undefined : Number(m[2]) };
}

function contentLength(res: Response): number | undefined {
  const v = res.headers.get('content-length');
  return v !== null && /^\d+$/.test(v) ? Number(v) : undefined;
}

function interrupted(url: string, received: number, total: number | undefined, why: string, opts: DownloadOptions, cause?: unknown): ModelsError {
  const of = total === undefined ? '' : ` of ${total}`;
  return new ModelsError(
    'network_error',
    `The download of ${url} broke off after ${received}${of} bytes (${why}). Run the same command again to resume from there. ${opts.hint}`,
    { cause },
  );
}

function abortedError(url: string, cause: unknown): ModelsError {
  return new ModelsError('aborted', `The download of ${url} was interrupted; run the same command again to resume it.`, { cause });
}

/** undici wraps the socket error (ECONNREFUSED, other side closed) in a generic `fetch failed`. */
function reason(err: unknown): string {
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' && !cause.message.includes(code) ? `${cause.message} (${code})` : cause.message;
  }
  return err instanceof Error ? err.message : String(err);
}
