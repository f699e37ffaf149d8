/**
 * Body readers with size limits: JSON objects, and multipart/form-data uploads streamed to disk.
 *
 * Uploads: each kept file part is written to the uploads directory as it arrives (busboy parses,
 * a file stream writes; back-pressure runs from the disk to the client's socket), so memory per
 * upload is a few chunks whatever the file's size. Text fields are handed to the caller as each
 * arrives, so a bad one is refused before the file behind it is read: "where the form order
 * allows" means fields sent BEFORE the file part; a field sent after it (or a required field that
 * is missing) can only be judged once the whole body is in.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import { ApiError } from '../errors.js';
import type { HttpExchange } from './exchange.js';

/** Reads a JSON object body; anything else is a 400 (or 415 for another content type). */
export async function readJsonObject(ex: HttpExchange, limitBytes: number): Promise<Record<string, unknown>> {
  const type = (ex.headers['content-type'] ?? '').toLowerCase();
  if (type && !type.includes('json') && !type.startsWith('text/plain')) {
    throw new ApiError('unsupported_media_type', `Expected a JSON body (Content-Type: application/json), got ${type}`);
  }
  const body = await ex.readBody(limitBytes);
  if (body.length === 0) throw new ApiError('invalid_json', 'Request body is empty; expected a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new ApiError('invalid_json', `Request body is not valid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ApiError('invalid_json', 'Request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** An uploaded file part, on disk until the request is finished (then it is deleted). */
export interface StoredFile {
  field: string;
  filename: string;
  contentType: string;
  path: string;
  bytes: number;
}

/** Text fields; repeated ones (`timestamp_granularities[]`) become arrays. */
export type MultipartFields = Record<string, string | string[]>;

export interface MultipartBody {
  fields: MultipartFields;
  files: Record<string, StoredFile>;
}

export interface MultipartOptions {
  /** File parts to keep, by field name, each with its size limit; other file parts are dropped unread. */
  files: Record<string, number>;
  /** The whole body; past it, 413 `body_too_large`. */
  maxBodyBytes: number;
  maxFieldBytes?: number;
  /**
   * Called with the fields so far after each text field arrives, and with the field name before
   * a kept file part is read. Throwing (an ApiError) refuses the request at once; the rest of the
   * body is then dropped unread.
   */
  onField?: (fields: MultipartFields) => void;
  beforeFile?: (field: string, fields: MultipartFields) => void;
}

export interface UploadReceiverOptions {
  /** Where file parts are written while their request runs. */
  dir: string;
  /** Uploads being received at once; beyond it, 503 `too_many_uploads`. */
  maxConcurrent: number;
}

const DEFAULT_MAX_FIELD_BYTES = 64 * 1024;
/** Far more than any endpoint's form has; bounds the work a hostile form can cause. */
const MAX_PARTS = 100;
/** Per file stream; with the body's two chunks, the most of an upload held in memory at once. */
const FILE_WRITE_HIGH_WATER_BYTES = 256 * 1024;
/** A refused client may retry after this long (seconds): uploads in flight are done by then or near it. */
const UPLOAD_RETRY_AFTER_SEC = 2;

/**
 * Receives multipart uploads for every endpoint: at most `maxConcurrent` at a time, each file part
 * streamed to `dir`. Files are removed when the exchange finishes (response sent, or client gone),
 * and at once when the upload fails.
 */
export class UploadReceiver {
  private inFlight = 0;

  constructor(private readonly opts: UploadReceiverOptions) {}

  /** Uploads being received now. */
  get active(): number {
    return this.inFlight;
  }

  async read(ex: HttpExchange, opts: MultipartOptions): Promise<MultipartBody> {
    const type = ex.headers['content-type'] ?? '';
    if (!type.toLowerCase().startsWith('multipart/form-data')) {
      throw new ApiError('unsupported_media_type', `Expected multipart/form-data, got ${type || 'no Content-Type'}`);
    }
    if (this.inFlight >= this.opts.maxConcurrent) {
      throw new ApiError('too_many_uploads', 'The server is receiving as many uploads as it allows; retry shortly', null, {
        headers: { 'Retry-After': String(UPLOAD_RETRY_AFTER_SEC) },
      });
    }
    this.inFlight++;
    try {
      return await new MultipartToDisk(ex, type, this.opts.dir, opts).read();
    } finally {
      this.inFlight--;
    }
  }
}

/** One request's multipart body, parsed as it streams in. */
class MultipartToDisk {
  private readonly fields: MultipartFields = {};
  private readonly files: Record<string, StoredFile> = {};
  /** Every file this request created, kept or replaced, until deleted. */
  private readonly paths = new Set<string>();
  private readonly writers = new Set<Promise<void>>();
  private readonly openStreams = new Set<WriteStream>();
  private failure: unknown = null;
  private wake: (() => void) | null = null;

  constructor(
    private readonly ex: HttpExchange,
    private readonly contentType: string,
    private readonly dir: string,
    private readonly opts: MultipartOptions,
  ) {}

  /**
   * Nothing may be awaited before `bodyChunks` is called (uWS drops body data that arrives with
   * no handler), so the parser is built and the body taken synchronously.
   */
  async read(): Promise<MultipartBody> {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: { 'content-type': this.contentType },
        limits: { fieldSize: this.opts.maxFieldBytes ?? DEFAULT_MAX_FIELD_BYTES, parts: MAX_PARTS, fileSize: Math.max(0, ...Object.values(this.opts.files)) + 1 },
      });
    } catch (err) {
      throw new ApiError('invalid_multipart', 'Malformed multipart/form-data Content-Type (no boundary?)', null, { cause: err });
    }
    let parsed = false;
    parser.on('field', (name, value, info) => this.onField(name, value, info));
    parser.on('file', (name, stream, info) => this.onFile(name, stream, info));
    parser.on('partsLimit', () => this.fail(new ApiError('too_many_parts', `The form has more than ${MAX_PARTS} parts`)));
    parser.on('error', (err) => this.fail(malformed(err)));
    parser.on('finish', () => {
      parsed = true;
      this.wakeUp();
    });
    const body = this.ex.bodyChunks(this.opts.maxBodyBytes);
    try {
      for await (const chunk of body) {
        if (this.failure !== null) break;
        if (!parser.write(chunk)) await this.until(() => !parser.writableNeedDrain, parser, 'drain');
        if (this.failure !== null) break;
      }
      if (this.failure === null) {
        parser.end();
        await this.until(() => parsed, null, null);
      }
      if (this.failure === null) await Promise.all(this.writers);
    } catch (err) {
      this.fail(err);
    }
    if (this.failure !== null) {
      parser.destroy();
      await this.discard();
      throw this.failure;
    }
    if (this.ex.done) {
      // The client went while the last part was being written: no one will finish this request.
      await this.discard();
      throw this.ex.signal.reason ?? new ApiError('client_closed', 'Client closed the connection');
    }
    this.ex.onFinish(() => void this.removeFiles());
    return { fields: this.fields, files: this.files };
  }

  private onField(name: string, value: string, info: busboy.FieldInfo): void {
    if (this.failure !== null) return;
    const max = this.opts.maxFieldBytes ?? DEFAULT_MAX_FIELD_BYTES;
    if (info.valueTruncated) return this.fail(new ApiError('field_too_large', `Field "${name}" exceeds ${max} bytes`, name));
    const prev = this.fields[name];
    if (prev === undefined) this.fields[name] = value;
    else this.fields[name] = Array.isArray(prev) ? [...prev, value] : [prev, value];
    this.check(() => this.opts.onField?.(this.fields));
  }

  private onFile(name: string, stream: Readable, info: busboy.FileInfo): void {
    // A part cut short (the parser destroyed on a failure) errors its stream; the failure already says why.
    stream.on('error', () => {});
    const limit = this.opts.files[name];
    if (this.failure !== null || limit === undefined) {
      stream.resume();
      return;
    }
    this.check(() => this.opts.beforeFile?.(name, this.fields));
    if (this.failure !== null) {
      stream.resume();
      return;
    }
    // Made here, synchronously, and once per request: the directory may have been removed meanwhile.
    this.check(() => {
      if (this.paths.size === 0) mkdirSync(this.dir, { recursive: true });
    });
    if (this.failure !== null) {
      stream.resume();
      return;
    }
    // The client's file name only contributes a sanitized extension (ffmpeg may use it), never a path.
    const ext = extname(info.filename ?? '').toLowerCase().replace(/[^.a-z0-9]/g, '').slice(0, 6);
    const path = join(this.dir, `${randomUUID()}${ext}`);
    this.paths.add(path);
    const file: StoredFile = { field: name, filename: info.filename ?? '', contentType: info.mimeType || 'application/octet-stream', path, bytes: 0 };
    const out = createWriteStream(path, { flags: 'wx', highWaterMark: FILE_WRITE_HIGH_WATER_BYTES });
    this.openStreams.add(out);
    stream.on('data', (chunk: Buffer) => {
      file.bytes += chunk.length;
      if (file.bytes > limit) this.fail(new ApiError('file_too_large', `File "${name}" is larger than the limit of ${limit} bytes`, name));
    });
    const written = new Promise<void>((resolve) => {
      // The part's stream fails only when the form does (cut short, malformed): the client's fault.
      stream.on('error', (err) => {
        this.fail(malformed(err));
        resolve();
      });
      // The file's stream fails on our side (disk full, directory gone): a 500.
      out.on('error', (err) => {
        this.fail(err);
        resolve();
      });
      out.on('close', () => {
        this.openStreams.delete(out);
        resolve();
      });
    });
    this.writers.add(written);
    stream.pipe(out);
    // A later part for the same field replaces an earlier one (both files are deleted at the end).
    this.files[name] = file;
  }

  private check(validate: () => void): void {
    try {
      validate();
    } catch (err) {
      this.fail(err);
    }
  }

  private fail(err: unknown): void {
    this.failure ??= err;
    this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** Waits until `ready()` or a failure; `emitter`'s `event` (and every state change) re-checks. */
  private async until(ready: () => boolean, emitter: NodeJS.EventEmitter | null, event: string | null): Promise<void> {
    const onEvent = (): void => this.wakeUp();
    if (emitter && event) emitter.on(event, onEvent);
    try {
      while (!ready() && this.failure === null) await new Promise<void>((resolve) => (this.wake = resolve));
    } finally {
      if (emitter && event) emitter.off(event, onEvent);
    }
  }

  /** Stops every file write, waits for their descriptors to close, then deletes the files. */
  private async discard(): Promise<void> {
    for (const out of this.openStreams) out.destroy();
    await Promise.all(this.writers);
    await this.removeFiles();
  }

  private async removeFiles(): Promise<void> {
    const paths = [...this.paths];
    this.paths.clear();
    await Promise.all(paths.map((p) => rm(p, { force: true })));
  }
}

function malformed(cause: unknown): ApiError {
  return new ApiError('invalid_multipart', 'Malformed multipart/form-data body', null, { cause });
}
