/**
 * `POST /v1/stt/` with `async=true` (form field or query; a Llais extension, API.md is silent):
 * 202 and a job polled at `GET /v1/audio/jobs/{id}` (tool `transcribe`, result the JSON the
 * synchronous request answers) and cancelled with `DELETE`, the audio tools' job mechanism. One
 * minute is reserved at accept time as for a synchronous request; the real charge is committed
 * when the transcript is ready, everything refunded when it fails or is cancelled. On one node the
 * job runs here; in cluster mode it goes through the queue (api/queued-audio-jobs.ts).
 */
import { link } from 'node:fs/promises';
import { join } from 'node:path';

import { creditsFor, STT_CREDITS_PER_MINUTE } from '../accounts/billing.js';
import { ApiError, invalidParam } from '../errors.js';
import type { StoredFile } from '../http/body.js';
import type { HttpExchange } from '../http/exchange.js';
import { probeUpload } from '../audio/decode-stream.js';
import type { TranscribeOptions } from '../stt/service.js';
import type { TranscriptSegment } from '../stt/transcript.js';
import { callerOf } from './access.js';
import { acceptedJobBody } from './audio-tool-jobs.js';
import { makeWorkDir, removeWorkDir } from './audio-tool-run.js';
import { baseUrl, requestLogger, type ApiContext } from './context.js';
import { sttResultBody } from './stt-body.js';
import { untilAdmitted } from '../workers/until-admitted.js';

/** `?async=true` on the URL, else the form's `async` field (already checked as a boolean). */
export function asyncRequested(ex: HttpExchange, field: boolean): boolean {
  const q = ex.query.get('async');
  if (q === null || q === '') return field;
  if (/^(true|1|yes)$/i.test(q)) return true;
  if (/^(false|0|no)$/i.test(q)) return false;
  throw invalidParam('async', `'async' must be true or false, got ${JSON.stringify(q)}`);
}

/** A transcription's progress counts hundredths of a second of audio transcribed. */
const PROGRESS_FRAMES_PER_SEC = 100;

/**
 * Moves a transcription job's progress counter to the end of each segment as it is final: the
 * recognizer works through the audio in order, so the last final segment's end is the share done
 * (to within an utterance; a long silence advances it at the next speech).
 */
export function progressFromSegments(progress: Int32Array): (segment: TranscriptSegment) => void {
  return (segment) => Atomics.store(progress, 0, Math.max(Atomics.load(progress, 0), Math.round(segment.end * PROGRESS_FRAMES_PER_SEC)));
}

export async function startSttJob(ctx: ApiContext, ex: HttpExchange, file: StoredFile, opts: TranscribeOptions): Promise<void> {
  const jobs = ctx.asyncJobs;
  const base = baseUrl(ctx, ex);
  const caller = callerOf(ex);
  // 415/422 now, while the request can still be answered with them, not as a failed job; the
  // length is what progress is measured against.
  const totalFrames = Math.round((await probeUpload(file.path)).durationSec * PROGRESS_FRAMES_PER_SEC);
  const reserve = (ref?: string) => ctx.accounts.billing.reserve(caller, { credits: STT_CREDITS_PER_MINUTE, chars: 0, note: 'speech to text', service: 'stt', ...(ref ? { ref } : {}) });
  if (jobs.queued) {
    const id = await jobs.queued.submit({
      tool: 'transcribe',
      totalFrames,
      upload: { path: file.path, filename: file.filename },
      work: { kind: 'transcribe', opts },
      base,
      reserve: async (ref) => {
        const charge = await reserve(ref);
        return { accountId: caller.kind === 'account' ? caller.accountId : null, credits: STT_CREDITS_PER_MINUTE, refund: (why) => charge.refund(why) };
      },
    });
    await jobs.claimFor(ctx.accounts, caller, id);
    ex.json(202, acceptedJobBody(base, id));
    return;
  }
  jobs.checkLocalRoom();
  const charge = await reserve();
  let workDir: string | undefined;
  let input: string;
  try {
    workDir = await makeWorkDir(ctx);
    // The upload is deleted when this request ends: the job keeps its own link to the file.
    input = join(workDir, 'input');
    await link(file.path, input);
  } catch (err) {
    void charge.refund('transcription not started');
    if (workDir) await removeWorkDir(workDir);
    throw err;
  }
  const dir = workDir;
  const log = requestLogger(ctx, ex);
  const job = await jobs.startLocal('transcribe', totalFrames, (job) =>
    untilAdmitted(job.controller.signal, () => ctx.stt.transcribe({ kind: 'file', path: input }, { ...opts, onSegment: progressFromSegments(job.progress) }, job.controller.signal))
      .then(async (t) => {
        const used = creditsFor(t.durationSec / 60, STT_CREDITS_PER_MINUTE);
        await jobs.finish(job, { result: sttResultBody(t, { used, remaining: await charge.commit(used) }, opts.wordTimestamps) });
      })
      .catch((err: unknown) => jobs.runFailed('transcription', job, err, (why) => charge.refund(why), log, new ApiError('transcription_failed', 'Transcription failed')))
      .finally(() => removeWorkDir(dir)),
  );
  await jobs.claimFor(ctx.accounts, caller, job.id);
  ex.json(202, acceptedJobBody(base, job.id));
}
