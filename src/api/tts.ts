/** `POST /v1/tts/` (queued job or chunked stream) and `POST /v1/tts/stream/` (SSE). */
import { readJsonObject } from '../http/body.js';
import type { HttpExchange } from '../http/exchange.js';
import type { Router } from '../http/router.js';
import { newJobFor } from '../tts/plan.js';
import { requestLogger, type ApiContext } from './context.js';
import { streamAudio, streamSse } from './speech-stream.js';
import { parseNativeTts, parseOpenAiSpeech } from './tts-request.js';

export function registerTtsRoutes(router: Router, ctx: ApiContext): void {
  router.post('/v1/tts', (ex) => createTts(ctx, ex));
  router.post('/v1/tts/stream', (ex) => streamTts(ctx, ex));
  router.post('/v1/audio/speech', (ex) => openAiSpeech(ctx, ex));
}

async function createTts(ctx: ApiContext, ex: HttpExchange): Promise<void> {
  const body = await readJsonObject(ex, ctx.config.maxJsonBodyBytes);
  const { spec, stream } = parseNativeTts(body, ctx.tts.limits);
  const planned = ctx.tts.plan(spec);
  if (stream) {
    await streamAudio(ex, planned, requestLogger(ctx, ex));
    return;
  }
  const record = newJobFor(planned, { creditsUsed: planned.creditsUsed, clientIp: ex.remoteIp });
  // Refused before it is stored: a 503 leaves nothing behind for a restart to run.
  ctx.queue.admit(record.chars);
  const job = ctx.jobs.create(record);
  ctx.queue.enqueue(job);
  ex.json(200, {
    uuid: job.uuid,
    job_id: job.jobId,
    status: 'queued',
    credits_used: job.creditsUsed,
    // Accounts and balances come with the accounts issue; until then there is no balance to report.
    credits_remaining: null,
  });
}

async function streamTts(ctx: ApiContext, ex: HttpExchange): Promise<void> {
  const body = await readJsonObject(ex, ctx.config.maxJsonBodyBytes);
  const { spec } = parseNativeTts(body, ctx.tts.limits);
  // The SSE endpoint's documented default is raw PCM16 unless a format is asked for.
  if (body.format === undefined) spec.format = 'pcm';
  await streamSse(ex, ctx.tts.plan(spec), requestLogger(ctx, ex));
}

async function openAiSpeech(ctx: ApiContext, ex: HttpExchange): Promise<void> {
  const body = await readJsonObject(ex, ctx.config.maxJsonBodyBytes);
  const { spec, sse } = parseOpenAiSpeech(body, ctx.tts.limits);
  const planned = ctx.tts.plan(spec);
  if (sse) await streamSse(ex, planned, requestLogger(ctx, ex));
  else await streamAudio(ex, planned, requestLogger(ctx, ex));
}
