/**
 * Polling a TTS job and downloading its result. Downloads are capability URLs (the uuid is the
 * key); polling a job made with an API key needs that account's key, other jobs are polled by uuid.
 */
import { contentTypeOf, isAudioFormat } from '../audio/formats.js';
import { ApiError } from '../errors.js';
import type { HttpExchange } from '../http/exchange.js';
import type { Router } from '../http/router.js';
import { sendFile } from '../http/static-file.js';
import { callerOf, checkOwner } from './access.js';
import { sendRemote } from './result-download.js';
import { baseUrl, type ApiContext } from './context.js';
import { resultFileUrl } from './download-url.js';

const UUID_HEX = /^[0-9a-f]{32}$/;

export function registerResultRoutes(router: Router, ctx: ApiContext): void {
  router.get('/v1/speech/results', (ex) => pollResult(ctx, ex));
  router.get('/static/downloads/:uuid/:file', (ex) => download(ctx, ex));
}

async function pollResult(ctx: ApiContext, ex: HttpExchange): Promise<void> {
  const uuid = (ex.query.get('uuid') ?? '').toLowerCase();
  if (!uuid) throw new ApiError('missing_required_parameter', "Missing required query parameter 'uuid'", 'uuid');
  if (!UUID_HEX.test(uuid)) throw new ApiError('invalid_value', "'uuid' must be the 32-hex-digit uuid returned by POST /v1/tts/", 'uuid');
  const job = await ctx.jobs.get(uuid);
  if (!job) throw new ApiError('job_not_found', `No job with uuid ${uuid}`, 'uuid');
  // A job made with a key is polled with that account's key; other callers see no such job.
  await checkOwner(ctx.accounts, callerOf(ex), 'job', uuid, 'job_not_found', `No job with uuid ${uuid}`, 'uuid');
  switch (job.status) {
    case 'queued':
    case 'processing':
      ex.json(200, { status: job.status }, { 'Cache-Control': 'no-store' });
      return;
    case 'failed':
      ex.json(200, { status: 'failed', error: job.error ?? 'unknown error' });
      return;
    case 'expired':
      throw new ApiError('result_expired', `The result of job ${uuid} has expired and was deleted`, 'uuid');
    case 'completed':
      ex.json(200, {
        status: 'completed',
        result_url: await resultFileUrl(ctx, baseUrl(ctx, ex), uuid, `output.${job.format}`, job.expiresAt),
        duration: job.durationSec,
        format: job.format,
        model: job.model,
        voice: job.voice,
        expires_at: job.expiresAt === null ? null : new Date(job.expiresAt).toISOString(),
      });
      return;
    default: {
      const never: never = job.status;
      throw new Error(`unexpected job status ${String(never)}`);
    }
  }
}

async function download(ctx: ApiContext, ex: HttpExchange): Promise<void> {
  const uuid = ex.params.uuid!.toLowerCase();
  const m = /^output\.([a-z0-9]+)$/.exec(ex.params.file!);
  const ext = m?.[1];
  if (!UUID_HEX.test(uuid) || !ext || !isAudioFormat(ext)) throw new ApiError('not_found', 'No such result file');
  // An expired job's file may outlive its row's status by a moment (the sweep marks, then deletes).
  if ((await ctx.jobs.get(uuid))?.status === 'expired') throw await missing(ctx, uuid);
  const headers = { 'Content-Type': contentTypeOf(ext), 'Cache-Control': 'private, max-age=3600', 'Content-Disposition': `inline; filename="${uuid}.${ext}"` };
  // Results in an object store (cluster mode) are streamed from it, by range, through this node.
  if (ctx.results.openRemote) {
    const remote = await ctx.results.openRemote(uuid, ext);
    if (!remote) throw await missing(ctx, uuid);
    return sendRemote(ex, remote, headers);
  }
  const file = await ctx.results.find(uuid, ext);
  if (!file) throw await missing(ctx, uuid);
  try {
    await sendFile(ex, file.path, file.sizeBytes, headers);
  } catch (err) {
    // The expiry sweep may delete the file between finding and opening it.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw await missing(ctx, uuid);
    throw err;
  }
}

/** Why a result file is not there: expired, not finished, or never existed. */
async function missing(ctx: ApiContext, uuid: string): Promise<ApiError> {
  const job = await ctx.jobs.get(uuid);
  if (job?.status === 'expired') return new ApiError('result_expired', `The result of job ${uuid} has expired and was deleted`);
  return new ApiError('not_found', job && job.status !== 'completed' ? `Job ${uuid} is ${job.status}; poll GET /v1/speech/results/?uuid=${uuid}` : 'No such result file');
}
