/**
 * `POST /v1/audio/enhance/`, `/v1/audio/separate/`, `/v1/audio/dereverb/` (API.md "Audio tools") and
 * `GET /v1/audio/jobs/{id}` for the ones started with `async=true`. Thin: admit, receive and check
 * the upload (audio-tool-upload.ts), bill per audio minute, run the tool (audio-tool-run.ts), answer:
 * the audio itself (a zip of stems for separate), or JSON with result URLs for
 * `Accept: application/json`, or 202 and a job to poll (`GET /v1/audio/jobs/{id}`) or cancel
 * (`DELETE`, answering the job's final state) for `async=true`.
 */
import { resultFileUrl } from './download-url.js';
import { link } from 'node:fs/promises';
import { join } from 'node:path';

import { ApiError } from '../errors.js';
import type { HttpExchange } from '../http/exchange.js';
import type { Router } from '../http/router.js';
import { sendFile } from '../http/static-file.js';
import { toolContentType } from '../audio/tools/stem-encode.js';
import { toolRateHz } from '../audio/tools/tool-spec.js';
import { callerOf, checkOwner, claim } from './access.js';
import { dereverbRequest, enhanceRequest, separateRequest, type ToolRequest } from './audio-tool-fields.js';
import { acceptedJobBody, type ToolJobs } from './audio-tool-jobs.js';
import type { ToolJobRecord } from '../jobs/tool-job-store.js';
import { separationSpec } from './audio-tool-models.js';
import { clearWorkDirs, makeWorkDir, removeWorkDir, resultBody, runTool, type ToolOutput } from './audio-tool-run.js';
import { receiveToolUpload, type CheckedUpload } from './audio-tool-upload.js';
import { sendStemZip } from './audio-tool-zip.js';
import type { QueuedAudioJobs } from './queued-audio-jobs.js';
import { baseUrl, requestLogger, type ApiContext } from './context.js';
import { creditsFor } from '../accounts/billing.js';
import { untilAdmitted } from '../workers/until-admitted.js';

/** API.md's price list: audio enhance 2 credits a minute, stem separation 3 (2 stems) or 4 (more). Dereverb is an enhancement. */
export const TOOL_CREDITS_PER_MINUTE = { enhance: 2, dereverb: 2, separate: 3 } as const;
const MORE_STEMS_CREDITS_PER_MINUTE = 4;

export function registerAudioToolProcessingRoutes(router: Router, ctx: ApiContext): void {
  clearWorkDirs(ctx);
  const jobs = ctx.asyncJobs;
  router.post('/v1/audio/enhance', (ex) => handle(ctx, jobs, ex, enhanceRequest));
  router.post('/v1/audio/dereverb', (ex) => handle(ctx, jobs, ex, dereverbRequest));
  router.post('/v1/audio/separate', (ex) =>
    handle(ctx, jobs, ex, (fields, complete) => {
      const r = separateRequest(fields);
      return complete && r.stems !== 2 ? { ...r, spec: separationSpec(ctx.config.modelsDir, r.model, r.stems) } : r;
    }),
  );
  router.get('/v1/audio/jobs/:id', (ex) => poll(ctx, jobs, ex));
  router.delete('/v1/audio/jobs/:id', (ex) => cancel(ctx, jobs, ex));
}

function wantsJson(ex: HttpExchange): boolean {
  return (ex.headers.accept ?? '').toLowerCase().includes('application/json');
}

async function handle(ctx: ApiContext, jobs: ToolJobs, ex: HttpExchange, parse: (fields: Parameters<typeof enhanceRequest>[0], complete: boolean) => ToolRequest): Promise<void> {
  const upload = await receiveToolUpload(ctx, ex, parse);
  const { request } = upload;
  const tool = request.spec.tool;
  const caller = callerOf(ex);
  const rate = request.spec.tool === 'separate' && request.spec.stems !== 2 ? MORE_STEMS_CREDITS_PER_MINUTE : TOOL_CREDITS_PER_MINUTE[tool];
  const estimate = creditsFor(upload.durationSec / 60, rate);
  if (request.async && jobs.queued) {
    await submitQueued(ctx, jobs.queued, ex, upload, rate, estimate);
    return;
  }
  if (request.async) jobs.checkLocalRoom();
  const charge = await ctx.accounts.billing.reserve(caller, { credits: estimate, chars: 0, note: `audio ${tool}`, service: 'audio_tools' });
  let workDir: string | undefined;
  const settle = async (out: ToolOutput): Promise<{ used: number; remaining: number | null }> => {
    const used = creditsFor(out.durationSec / 60, rate);
    return { used, remaining: await charge.commit(used) };
  };
  try {
    workDir = await makeWorkDir(ctx);
    if (request.async) {
      // The upload is deleted when this request ends: the job keeps its own link to the file.
      const input = join(workDir, 'input');
      await link(upload.file.path, input);
      await startJob(ctx, jobs, ex, { upload, input, workDir, estimate, settle, refund: (why) => charge.refund(why) });
      return;
    }
  } catch (err) {
    void charge.refund('audio tool not started');
    if (workDir) await removeWorkDir(workDir);
    throw err;
  }
  let out: ToolOutput;
  try {
    out = await runTool(ctx, toolInput(upload, upload.file.path, ex, estimate), workDir!, ex.signal);
  } catch (err) {
    void charge.refund(ex.aborted ? 'cancelled by the client' : 'audio tool failed');
    throw err;
  } finally {
    await removeWorkDir(workDir!);
  }
  const credits = await settle(out);
  await claim(ctx.accounts, caller, 'job', out.stems.map((s) => s.uuid));
  if (wantsJson(ex)) {
    ex.json(200, await resultBody(ctx, baseUrl(ctx, ex), tool, out, credits));
    return;
  }
  const headers = { 'X-Credits-Used': String(credits.used), 'X-Expires-At': new Date(out.expiresAt).toISOString() };
  if (tool === 'separate') {
    await sendStemZip(ex, out.stems, headers);
    return;
  }
  const stem = out.stems[0]!;
  await sendFile(ex, stem.path, stem.sizeBytes, {
    ...headers,
    'Content-Type': toolContentType(stem.format),
    'Content-Disposition': `attachment; filename="${tool}.${stem.format}"`,
    'X-Result-Url': await resultFileUrl(ctx, baseUrl(ctx, ex), stem.uuid, `output.${stem.format}`, out.expiresAt),
  });
}

interface JobStart {
  upload: CheckedUpload<ToolRequest>;
  input: string;
  workDir: string;
  estimate: number;
  settle: (out: ToolOutput) => Promise<{ used: number; remaining: number | null }>;
  refund: (why: string) => Promise<void>;
}

/**
 * `async=true`: answers 202 now; the run goes on without the request. Only `DELETE` (or shutdown)
 * stops it: a cancelled job delivers nothing, so its whole reservation is refunded.
 */
async function startJob(ctx: ApiContext, jobs: ToolJobs, ex: HttpExchange, j: JobStart): Promise<void> {
  const { spec } = j.upload.request;
  const base = baseUrl(ctx, ex);
  const log = requestLogger(ctx, ex);
  const job = await jobs.startLocal(spec.tool, Math.round(j.upload.durationSec * toolRateHz(spec)), (job) =>
    untilAdmitted(job.controller.signal, () => runTool(ctx, toolInput(j.upload, j.input, ex, j.estimate), j.workDir, job.controller.signal, job.progress))
      .then(async (out) => jobs.finish(job, { result: await resultBody(ctx, base, spec.tool, out, await j.settle(out)) }))
      .catch((err: unknown) => jobs.runFailed('audio tool', job, err, j.refund, log, new ApiError('internal_error', 'The audio tool failed')))
      .finally(() => removeWorkDir(j.workDir)),
  );
  await jobs.claimFor(ctx.accounts, callerOf(ex), job.id);
  ex.json(202, acceptedJobBody(base, job.id));
}

/** `async=true` in cluster mode: the upload stored where every node reads it, the job on the queue. */
async function submitQueued(ctx: ApiContext, queued: QueuedAudioJobs, ex: HttpExchange, upload: CheckedUpload<ToolRequest>, rate: number, estimate: number): Promise<void> {
  const { spec } = upload.request;
  const base = baseUrl(ctx, ex);
  const caller = callerOf(ex);
  const { path: _local, ...input } = toolInput(upload, upload.file.path, ex, estimate);
  const id = await queued.submit({
    tool: spec.tool,
    totalFrames: Math.round(upload.durationSec * toolRateHz(spec)),
    upload: { path: upload.file.path, filename: upload.file.filename },
    work: { kind: 'tool', input, rate },
    base,
    reserve: async (ref) => {
      const charge = await ctx.accounts.billing.reserve(caller, { credits: estimate, chars: 0, note: `audio ${spec.tool}`, service: 'audio_tools', ref });
      return { accountId: caller.kind === 'account' ? caller.accountId : null, credits: estimate, refund: (why) => charge.refund(why) };
    },
  });
  await claim(ctx.accounts, caller, 'job', id);
  ex.json(202, acceptedJobBody(base, id));
}

function toolInput(upload: CheckedUpload<ToolRequest>, path: string, ex: HttpExchange, creditsUsed: number): Parameters<typeof runTool>[1] {
  const { spec, format } = upload.request;
  const outRateHz = spec.tool === 'enhance' && spec.options.superResolution ? toolRateHz(spec) : upload.sampleRateHz;
  return { path, spec, format, channels: upload.channels, outRateHz, clientIp: ex.remoteIp, creditsUsed };
}

async function ownedJob(ctx: ApiContext, jobs: ToolJobs, ex: HttpExchange): Promise<ToolJobRecord> {
  const id = ex.params.id!;
  const job = await jobs.get(id);
  if (!job) throw new ApiError('job_not_found', `No audio tool job ${id} (finished jobs are kept for an hour)`, 'id');
  await checkOwner(ctx.accounts, callerOf(ex), 'job', id, 'job_not_found', `No audio tool job ${id}`, 'id');
  return job;
}

function jobBody(jobs: ToolJobs, job: ToolJobRecord): Record<string, unknown> {
  return {
    job_id: job.id,
    tool: job.tool,
    status: job.status,
    progress: jobs.progressOf(job),
    ...(job.result ? { result: job.result } : {}),
    ...(job.error ? { error: job.error } : {}),
  };
}

async function poll(ctx: ApiContext, jobs: ToolJobs, ex: HttpExchange): Promise<void> {
  ex.json(200, jobBody(jobs, await ownedJob(ctx, jobs, ex)), { 'Cache-Control': 'no-store' });
}

/** `DELETE /v1/audio/jobs/{id}`: stops the worker, waits for its files to go, answers the final state. */
async function cancel(ctx: ApiContext, jobs: ToolJobs, ex: HttpExchange): Promise<void> {
  const job = await ownedJob(ctx, jobs, ex);
  if (job.status !== 'processing' || !(await jobs.cancel(job))) {
    const now = (await jobs.get(job.id)) ?? job;
    // Still running, locally on another node (a shared database without the queue): only that node can stop it.
    if (now.status === 'processing') throw new ApiError('job_already_finished', `Audio job ${job.id} runs on node ${now.runner}, which alone can cancel it`, 'id');
    throw new ApiError('job_already_finished', `Audio tool job ${job.id} is already ${now.status}`, 'id');
  }
  ex.json(200, jobBody(jobs, (await jobs.get(job.id))!), { 'Cache-Control': 'no-store' });
}
