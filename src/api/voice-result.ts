/**
 * Synthetic speech made by the voice endpoints (cloning, speech translation) stored as an
 * ordinary completed TTS job: `output.<format>` under the job's uuid (served at
 * `/static/downloads/<uuid>/`, pollable, expired like any result), the engine's word times in
 * words.json beside it so `/v1/tts/subtitles/` works, and the job claimed by the caller's account.
 */
import { resultFileUrl } from './download-url.js';
import { randomUUID } from 'node:crypto';
import { WORD_TIMES_FILE } from '../tts/render-job.js';
import { newJobFor, type PlannedSpeech } from '../tts/plan.js';
import type { HttpExchange } from '../http/exchange.js';
import type { SpokenPcm } from '../voice/speak-pcm.js';
import { encodeTagged, type TaggedFormat } from '../voice/tagged-audio.js';
import { callerOf, claim } from './access.js';
import { baseUrl, type ApiContext } from './context.js';
import { SYNTHETIC_COMMENT } from './voice-upload.js';

export interface StoredResult {
  uuid: string;
  format: TaggedFormat;
  durationSec: number;
  bytes: Buffer;
  url: string;
}

export async function storeSyntheticResult(ctx: ApiContext, ex: HttpExchange, planned: PlannedSpeech, audio: SpokenPcm, format: TaggedFormat, creditsUsed: number): Promise<StoredResult> {
  const bytes = await encodeTagged(audio.pcm, audio.sampleRateHz, format, SYNTHETIC_COMMENT, ex.signal);
  const uuid = randomUUID().replace(/-/g, '');
  const writer = await ctx.results.create(uuid, format);
  try {
    await writer.write(bytes);
    await writer.commit();
  } catch (error) {
    await writer.discard();
    throw error;
  }
  if (audio.words.length > 0) await ctx.results.writeExtra(uuid, WORD_TIMES_FILE, JSON.stringify(audio.words));
  const durationSec = audio.pcm.length / audio.sampleRateHz;
  const job = await ctx.jobs.create({ ...newJobFor({ ...planned, spec: { ...planned.spec, format } }, { creditsUsed, clientIp: ex.remoteIp }), uuid });
  await ctx.jobs.markProcessing(job.uuid);
  const expiresAt = Date.now() + ctx.config.resultTtlSeconds * 1000;
  await ctx.jobs.complete(job.uuid, durationSec, expiresAt);
  await claim(ctx.accounts, callerOf(ex), 'job', job.uuid);
  return { uuid, format, durationSec, bytes, url: await resultFileUrl(ctx, baseUrl(ctx, ex), uuid, `output.${format}`, expiresAt) };
}
