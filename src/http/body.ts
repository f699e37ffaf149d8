/** Body readers with size limits: JSON objects and multipart/form-data. */
import uws from 'uWebSockets.js';
import { ApiError } from '../errors.js';
import type { HttpExchange } from './exchange.js';

/** Reads a JSON object body; anything else is a 400 (or 415 for another content type). */
export async function readJsonObject(ex: HttpExchange, limitBytes: number): Promise<Record<string, unknown>> {
  const type = (ex.headers['content-type'] ?? '').toLowerCase();
  if (type && !type.includes('json') && !type.startsWith('text/plain')) {
    throw new ApiError(415, 'unsupported_media_type', `Expected a JSON body (Content-Type: application/json), got ${type}`);
  }
  const body = await ex.readBody(limitBytes);
  if (body.length === 0) throw new ApiError(400, 'invalid_json', 'Request body is empty; expected a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new ApiError(400, 'invalid_json', `Request body is not valid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ApiError(400, 'invalid_json', 'Request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

export interface UploadedFile {
  field: string;
  filename: string;
  contentType: string;
  data: Buffer;
}

export interface MultipartBody {
  fields: Record<string, string | string[]>;
  files: Record<string, UploadedFile>;
}

export interface MultipartLimits {
  /** Whole body. */
  maxBodyBytes: number;
  /** Per-file limit by field name; fields not named fall back to `maxFileBytes`. */
  fileLimits?: Record<string, number>;
  maxFileBytes: number;
  maxFieldBytes?: number;
}

/** Reads multipart/form-data; repeated fields (`timestamp_granularities[]`) become arrays. */
export async function readMultipart(ex: HttpExchange, limits: MultipartLimits): Promise<MultipartBody> {
  const type = ex.headers['content-type'] ?? '';
  if (!type.toLowerCase().startsWith('multipart/form-data')) {
    throw new ApiError(415, 'unsupported_media_type', `Expected multipart/form-data, got ${type || 'no Content-Type'}`);
  }
  const body = await ex.readBody(limits.maxBodyBytes);
  const parts = uws.getParts(body, type);
  if (!parts) throw new ApiError(400, 'invalid_multipart', 'Malformed multipart/form-data body');
  const out: MultipartBody = { fields: {}, files: {} };
  const maxField = limits.maxFieldBytes ?? 64 * 1024;
  for (const part of parts) {
    const size = part.data.byteLength;
    if (part.filename !== undefined) {
      const limit = limits.fileLimits?.[part.name] ?? limits.maxFileBytes;
      if (size > limit) {
        throw new ApiError(413, 'file_too_large', `File "${part.name}" is ${size} bytes; the limit is ${limit} bytes`, part.name);
      }
      out.files[part.name] = {
        field: part.name,
        filename: part.filename,
        contentType: part.type ?? 'application/octet-stream',
        data: Buffer.from(new Uint8Array(part.data).slice()),
      };
      continue;
    }
    if (size > maxField) throw new ApiError(413, 'field_too_large', `Field "${part.name}" exceeds ${maxField} bytes`, part.name);
    const value = Buffer.from(part.data).toString('utf8');
    const prev = out.fields[part.name];
    if (prev === undefined) out.fields[part.name] = value;
    else out.fields[part.name] = Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}
