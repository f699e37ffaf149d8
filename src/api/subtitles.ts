/** `GET /v1/speech/subtitles/`: SRT or WebVTT for a finished TTS job (see src/subtitles/). */
import { ApiError } from '../errors.js';
import type { HttpExchange } from '../http/exchange.js';
import type { Router } from '../http/router.js';
import { toSrt, toVtt } from '../stt/subtitles.js';
import { jobCues } from '../subtitles/job-subtitles.js';
import { normalizeLanguageTag } from '../text/language-tag.js';
import { callerOf, checkOwner } from './access.js';
import type { ApiContext } from './context.js';

const UUID_HEX = /^[0-9a-f]{32}$/;
const FORMATS = { srt: { type: 'application/x-subrip; charset=utf-8', render: toSrt }, vtt: { type: 'text/vtt; charset=utf-8', render: toVtt } } as const;

export function registerSubtitleRoutes(router: Router, ctx: ApiContext): void {
  router.get('/v1/speech/subtitles', (ex) => subtitles(ctx, ex));
}

async function subtitles(ctx: ApiContext, ex: HttpExchange): Promise<void> {
  const uuid = (ex.query.get('uuid') ?? '').toLowerCase();
  if (!uuid) throw new ApiError('missing_required_parameter', "Missing required query parameter 'uuid'", 'uuid');
  if (!UUID_HEX.test(uuid)) throw new ApiError('invalid_value', "'uuid' must be the 32-hex-digit uuid of a TTS job", 'uuid');
  const format = (ex.query.get('format') ?? 'srt').toLowerCase();
  if (format !== 'srt' && format !== 'vtt') throw new ApiError('invalid_value', "'format' must be srt or vtt", 'format');
  const requested = ex.query.get('language')?.trim() || undefined;
  const language = requested === undefined ? undefined : normalizeLanguageTag(requested);
  if (language === null) throw new ApiError('invalid_value', "'language' must be a language code such as en", 'language');
  const job = await ctx.jobs.get(uuid);
  if (!job) throw new ApiError('job_not_found', `No job with uuid ${uuid}`, 'uuid');
  await checkOwner(ctx.accounts, callerOf(ex), 'job', uuid, 'job_not_found', `No job with uuid ${uuid}`, 'uuid');
  if (job.status === 'expired') throw new ApiError('result_expired', `The result of job ${uuid} has expired and was deleted`, 'uuid');
  if (job.status !== 'completed') throw new ApiError('job_not_completed', `Job ${uuid} is ${job.status}; subtitles exist once it is completed`, 'uuid');
  const { cues, source } = await jobCues(ctx, job, job.format, language, ex.signal);
  const { type, render } = FORMATS[format];
  const headers: Record<string, string> = { 'Content-Type': type, 'Cache-Control': 'private, max-age=3600', 'X-Subtitle-Timing': source };
  if (ex.query.get('download') === '1') headers['Content-Disposition'] = `attachment; filename="${uuid}.${format}"`;
  ex.send(200, headers, render(cues.map((c) => ({ start: c.start, end: c.end, text: c.lines.join('\n') }))));
}
