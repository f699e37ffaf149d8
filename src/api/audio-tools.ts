/**
 * Audio tools: `POST /v1/audio/convert/` and `POST /v1/audio/analyze/`, both free (no credits,
 * API.md "Audio tools"); the paid ones (enhance, separate, dereverb) are in audio-tool-routes.ts. Thin: admit, receive the upload (streamed to disk), validate the fields,
 * check the file is decodable audio before anything is answered, then stream the converted file
 * or answer the analysis.
 *
 * Fields are checked as they arrive, so a bad `format` sent before the file is refused before the
 * file is read. A conversion holds a pool slot while its ffmpeg runs (CPU work, counted like a
 * transcription) and is killed when the client goes.
 */
import { probeUpload } from '../audio/decode-stream.js';
import { probeAudio } from '../audio/probe.js';
import {
  CONVERT_BITRATES_KBPS,
  CONVERT_FORMATS,
  CONVERT_SAMPLE_RATES_HZ,
  convertContentType,
  transcodeFile,
  type ConvertFormat,
  type TranscodeOptions,
} from '../audio/transcode.js';
import { invalidParam } from '../errors.js';
import type { MultipartFields } from '../http/body.js';
import type { HttpExchange } from '../http/exchange.js';
import type { Router } from '../http/router.js';
import { registerAudioToolProcessingRoutes } from './audio-tool-routes.js';
import { checkToolDuration, receiveAudioUpload, requireFile } from './audio-tool-upload.js';
import type { ApiContext } from './context.js';
import { requestLogger } from './context.js';

/** Defaults where the contract names none: a widely playable file at CD rate. */
const DEFAULT_FORMAT: ConvertFormat = 'mp3';
const DEFAULT_BITRATE_KBPS = 192;
const DEFAULT_SAMPLE_RATE_HZ = 44100;

/** The convert form's fields; `channels` is undefined when not sent (the source's count is kept). */
export interface ConvertFields {
  format: ConvertFormat;
  bitrateKbps: number;
  sampleRateHz: number;
  channels: 1 | 2 | undefined;
}

function field(fields: MultipartFields, name: string): string | undefined {
  const v = fields[name];
  const last = Array.isArray(v) ? v[v.length - 1] : v;
  return last === undefined || last.trim() === '' ? undefined : last.trim();
}

function oneOfNumbers(fields: MultipartFields, name: string, allowed: readonly number[], fallback: number, unit: string): number {
  const raw = field(fields, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!allowed.includes(n)) throw invalidParam(name, `'${name}' must be one of ${allowed.join(', ')} (${unit}); got ${JSON.stringify(raw)}`);
  return n;
}

/** The convert form's fields, checked; any field may be absent (its default then applies). */
export function convertFields(fields: MultipartFields): ConvertFields {
  const format = (field(fields, 'format')?.toLowerCase() ?? DEFAULT_FORMAT) as ConvertFormat;
  if (!CONVERT_FORMATS.includes(format)) throw invalidParam('format', `'format' must be one of ${CONVERT_FORMATS.join(', ')}; got ${JSON.stringify(field(fields, 'format'))}`);
  const channelsRaw = field(fields, 'channels')?.toLowerCase();
  let channels: 1 | 2 | undefined;
  if (channelsRaw === 'mono' || channelsRaw === '1') channels = 1;
  else if (channelsRaw === 'stereo' || channelsRaw === '2') channels = 2;
  else if (channelsRaw !== undefined) throw invalidParam('channels', `'channels' must be mono or stereo; got ${JSON.stringify(channelsRaw)}`);
  return {
    format,
    bitrateKbps: oneOfNumbers(fields, 'bitrate', CONVERT_BITRATES_KBPS, DEFAULT_BITRATE_KBPS, 'kbps'),
    sampleRateHz: oneOfNumbers(fields, 'sample_rate', CONVERT_SAMPLE_RATES_HZ, DEFAULT_SAMPLE_RATE_HZ, 'Hz'),
    channels,
  };
}

/** Registers the audio tool routes. */
export function registerAudioToolRoutes(router: Router, ctx: ApiContext): void {
  // Before the body (in receiveAudioUpload): an overloaded server refuses without receiving 100 MB first.
  const upload = (ex: HttpExchange, onField?: (fields: MultipartFields) => void) => receiveAudioUpload(ctx, ex, onField);
  registerAudioToolProcessingRoutes(router, ctx);

  router.post('/v1/audio/convert', async (ex) => {
    const body = await upload(ex, (fields) => void convertFields(fields));
    const file = requireFile(body);
    const asked = convertFields(body.fields);
    // 415/422 now, while a status can still be sent; the probe also gives the source's channels.
    checkToolDuration(ctx, (await probeUpload(file.path)).durationSec);
    const probed = await probeAudio(file.path);
    const opts: TranscodeOptions = { ...asked, channels: asked.channels ?? (probed.channels === 1 ? 1 : 2) };
    const release = await ctx.pool.reserveSlot(ex.signal);
    try {
      await streamConverted(ex, file.path, opts, ctx);
    } finally {
      release();
    }
  });

  router.post('/v1/audio/analyze', async (ex) => {
    const body = await upload(ex);
    const file = requireFile(body);
    // 415/422/413 with a clear message before a worker is taken.
    checkToolDuration(ctx, (await probeUpload(file.path)).durationSec);
    const a = await ctx.pool.analyze(file.path, ex.signal);
    ex.json(200, { key: a.key, scale: a.scale, bpm: a.bpm, time_signature: a.timeSignature, camelot: a.camelot, compatible_keys: a.compatibleKeys });
  });
}

/** Streams the conversion as the response body; a failure after the head is sent drops the connection. */
async function streamConverted(ex: HttpExchange, path: string, opts: TranscodeOptions, ctx: ApiContext): Promise<void> {
  const chunks = transcodeFile(path, opts, ex.signal);
  let started = false;
  try {
    for await (const chunk of chunks) {
      if (!started) {
        ex.startStream(200, { 'Content-Type': convertContentType(opts.format), 'Content-Disposition': `attachment; filename="converted.${opts.format}"` });
        started = true;
      }
      await ex.write(chunk);
    }
    if (!started) ex.startStream(200, { 'Content-Type': convertContentType(opts.format) });
    ex.end();
  } catch (error) {
    if (ex.aborted || !started) throw error;
    requestLogger(ctx, ex).error({ err: error }, 'audio conversion failed mid-stream');
    ex.abortConnection();
  }
}
