/** `POST /v1/tts/` (queued job or chunked stream) and `POST /v1/tts/stream/` (SSE). */
import { randomUUID } from 'node:crypto';
import { readJsonObject } from '../http/body.js';
import type { HttpExchange } from '../http/exchange.js';
import type { Router } from '../http/router.js';
import type { TtsJob } from '../jobs/job-store.js';
import { newJobFor } from '../tts/plan.js';
import { claim } from './access.js';
import { requestLogger, type ApiContext } from './context.js';
import { chargeSpeech, settleStream, streamOptions } from './speech-charge.js';
import { streamAudio, streamSse } from './speech-stream.js';
import { parseNativeTts, parseOpenAiSpeech } from './tts-request.js';

export function registerTtsRoutes(router: Router, ctx: ApiContext): void {
  router.post('/v1/tts', (ex) => createTts(ctx, ex));
  router.post('/v1/tts/stream', (ex) => streamTts(ctx, ex));
  router.post('/v1/audio/speech', (ex) => openAiSpeech(ctx, ex));
}

async function createTts(ctx: ApiContext, ex: HttpExchange): Promise<void> {
  const body = await readJsonObject(ex, ctx.config.maxJsonBodyBytes);
  await ctx.turns.next();
  const { spec, stream } = parseNativeTts(body, ctx.tts.limits);
  if (stream) {
    const { planned, charge } = await chargeSpeech(ctx, ex, spec);
    await settleStream(ex, charge, streamAudio(ex, planned, requestLogger(ctx, ex), streamOptions(ctx, charge, 'tts')));
    return;
  }
  // The job's uuid is also its ledger reference, so a job re-run after a restart settles its charge.
  const uuid = randomUUID().replace(/-/g, '');
  const { caller, planned, charge } = await chargeSpeech(ctx, ex, spec, uuid);
  const record = { ...newJobFor(planned, { creditsUsed: planned.creditsUsed, clientIp: ex.remoteIp }), uuid };
  let job: TtsJob;
  try {
    // Refused before it is stored: a 503 leaves nothing behind for a restart to run.
    ctx.queue.admit(record.chars);
    await claim(ctx.accounts, caller, 'job', record.uuid);
    job = await ctx.jobs.create(record);
  } catch (err) {
    void charge.refund('job not queued');
    throw err;
  }
  ctx.jobCharges.hold(job.uuid, charge);
  ctx.queue.enqueue(job);
  ex.json(200, {
    uuid: job.uuid,
    job_id: job.jobId,
    status: 'queued',
    credits_used: charge.creditsUsed,
    credits_remaining: charge.creditsRemaining,
  });
}

async function streamTts(ctx: ApiContext, ex: HttpExchange): Promise<void> {
  const body = await readJsonObject(ex, ctx.config.maxJsonBodyBytes);
  await ctx.turns.next();
  const { spec } = parseNativeTts(body, ctx.tts.limits);
  // The SSE endpoint's documented default is raw PCM16 unless a format is asked for.
  if (body.format === undefined) spec.format = 'pcm';
  const { planned, charge } = await chargeSpeech(ctx, ex, spec);
  await settleStream(ex, charge, streamSse(ex, planned, requestLogger(ctx, ex), streamOptions(ctx, charge, 'tts_stream')));
}

async function openAiSpeech(ctx: ApiContext, ex: HttpExchange): Promise<void> {
  const body = await readJsonObject(ex, ctx.config.maxJsonBodyBytes);
  await ctx.turns.next();
  const { spec, sse } = parseOpenAiSpeech(body, ctx.tts.limits);
  const { planned, charge } = await chargeSpeech(ctx, ex, spec);
  const log = requestLogger(ctx, ex);
  await settleStream(ex, charge, sse ? streamSse(ex, planned, log, streamOptions(ctx, charge, 'audio_speech_sse')) : streamAudio(ex, planned, log, streamOptions(ctx, charge, 'audio_speech')));
}
