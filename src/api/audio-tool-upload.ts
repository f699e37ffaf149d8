/**
 * The checks every audio tool runs on its upload before any work: admission (503 before 100 MB is
 * received), the form's fields as they arrive (400 before the file is read), the file present, a
 * decodable audio stream (415/422), and its length within `audioToolsMaxDurationSec` (413).
 */
import { probeUpload } from '../audio/decode-stream.js';
import { probeAudio } from '../audio/probe.js';
import { ApiError } from '../errors.js';
import type { MultipartBody, MultipartFields, StoredFile } from '../http/body.js';
import type { HttpExchange } from '../http/exchange.js';
import type { ApiContext } from './context.js';

/** Room in a multipart body beyond its file for the text fields and the part headers. */
const MULTIPART_FIELDS_ALLOWANCE_BYTES = 1 << 20;

export interface CheckedUpload<R = unknown> {
  file: StoredFile;
  request: R;
  durationSec: number;
  channels: 1 | 2;
  sampleRateHz: number;
}

/** Receives the upload (streamed to disk); `onField` may throw to refuse the request early. */
export function receiveAudioUpload(ctx: ApiContext, ex: HttpExchange, onField?: (fields: MultipartFields) => void): Promise<MultipartBody> {
  ctx.pool.checkAdmission('batch');
  const max = ctx.config.maxUploadBytes;
  return ctx.uploads.read(ex, { files: { file: max }, maxBodyBytes: max + MULTIPART_FIELDS_ALLOWANCE_BYTES, onField });
}

export function requireFile(body: MultipartBody): StoredFile {
  const file = body.files.file;
  if (!file) throw new ApiError('missing_required_parameter', "Missing required file field 'file' (multipart/form-data)", 'file');
  if (file.bytes === 0) throw new ApiError('unprocessable_audio', "The uploaded 'file' is empty", 'file');
  return file;
}

/** 413 for audio longer than the tools take. */
export function checkToolDuration(ctx: ApiContext, durationSec: number): void {
  const max = ctx.config.audioToolsMaxDurationSec;
  if (durationSec > max) throw new ApiError('audio_too_long', `The audio lasts ${Math.round(durationSec)} s; this server's audio tools take at most ${max} s`, 'file');
}

/** The whole check for enhance, separate and dereverb. */
export async function receiveToolUpload<R>(ctx: ApiContext, ex: HttpExchange, parse: (fields: MultipartFields, complete: boolean) => R): Promise<CheckedUpload<R>> {
  const body = await receiveAudioUpload(ctx, ex, (fields) => void parse(fields, false));
  const request = parse(body.fields, true);
  const file = requireFile(body);
  const { durationSec } = await probeUpload(file.path);
  checkToolDuration(ctx, durationSec);
  const probed = await probeAudio(file.path);
  return { file, request, durationSec, channels: probed.channels === 1 ? 1 : 2, sampleRateHz: probed.sampleRateHz > 0 ? probed.sampleRateHz : 48_000 };
}
