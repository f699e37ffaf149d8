/**
 * Async audio tool and transcription jobs in cluster mode: the accepting node stores the upload
 * (S3, or the shared data directory), reserves the charge under the job id, records the job with
 * its request as data and hands the id to the `audio-jobs` queue; whichever node takes it runs it
 * here (`run`): the upload copied to its own work folder, the tool or the recognizer run, results
 * written through the ResultStore under names derived from the job id.
 *
 * The record decides every race: only a `processing` job finishes, so a `DELETE` on any node and
 * the worker's completion cannot both win, and a second run of a job the queue handed out twice
 * finds it ended. The charge follows the record once it has ended (`settle`): committed for a
 * completed job, refunded otherwise; the ledger settles a reference once, so the worker, a second
 * run and the cancelling node may all call it. While it runs, the worker reads the record every
 * 500 ms (a `DELETE` elsewhere stops it) and writes its progress to it every second.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';

import { creditsFor, STT_CREDITS_PER_MINUTE, type BilledService } from '../accounts/billing.js';
import { ApiError } from '../errors.js';
import type { JobUploads } from '../jobs/job-uploads.js';
import { queueFull } from '../jobs/bull-worker.js';
import { RedisAudioJobQueue } from '../jobs/redis-audio-job-queue.js';
import { QUEUE_RUNNER, type ToolJobRecord, type ToolJobStore } from '../jobs/tool-job-store.js';
import type { Logger } from '../logger.js';
import type { TranscribeOptions } from '../stt/service.js';
import { newToolJobId, type ToolJobs } from './audio-tool-jobs.js';
import { makeWorkDir, removeWorkDir, resultBody, runTool, type ToolInput } from './audio-tool-run.js';
import type { ApiContext } from './context.js';
import { progressFromSegments } from './stt-async.js';
import { sttResultBody } from './stt-body.js';
import { untilAdmitted } from '../workers/until-admitted.js';

const WATCH_MS = 500;

export type QueuedWork =
  | { kind: 'tool'; input: Omit<ToolInput, 'path' | 'stemUuid'>; rate: number }
  | { kind: 'transcribe'; opts: Omit<TranscribeOptions, 'onSegment'> };

/** A queued job's request as data (the record's payload). */
export interface QueuedPayload {
  work: QueuedWork;
  /** The upload's extension (`uploads/<job id>/input.<ext>`). */
  ext: string;
  /** The accepting node's base URL, for the result URLs. */
  base: string;
  /** The account whose reservation (ledger reference: the job id) this job settles; null: none. */
  accountId: string | null;
  /** Credits reserved at accept time. */
  reserved: number;
}

export interface Submission {
  tool: string;
  totalFrames: number;
  upload: { path: string; filename: string };
  work: QueuedWork;
  base: string;
  /** Reserves the charge under `ref` (the job id); returns the account charged, or null. */
  reserve(ref: string): Promise<{ accountId: string | null; credits: number; refund(why: string): Promise<void> }>;
}

/** The upload's extension as stored: the client's file name's, when it is a plain one. */
function extOf(filename: string): string {
  const m = /\.([A-Za-z0-9]{1,8})$/.exec(filename);
  return m ? m[1]!.toLowerCase() : 'bin';
}

export class QueuedAudioJobs {
  private readonly queue: RedisAudioJobQueue;
  private readonly log: Logger;

  constructor(
    private readonly ctx: ApiContext,
    private readonly jobs: ToolJobs,
    readonly uploads: JobUploads,
    opts: { redisUrl: string; lockMs: number; nodeId: string; concurrency: number },
  ) {
    this.log = ctx.logger.child({ node: opts.nodeId });
    this.queue = new RedisAudioJobQueue(jobs.store, (id, signal) => this.run(id, signal), { ...opts, logger: ctx.logger });
  }

  private get store(): ToolJobStore {
    return this.jobs.store;
  }

  /** Stores the upload, reserves, records and queues the job; its id. */
  async submit(s: Submission): Promise<string> {
    this.queue.admit();
    // The cluster's bound on audio jobs waiting or running, as LLAIS_JOB_QUEUE_MAX_JOBS bounds TTS
    // jobs; counted in the database, so a burst on several nodes may pass it by what arrives at once.
    const maxJobs = this.ctx.config.jobQueueMaxJobs;
    if ((await this.store.countQueued()) >= maxJobs) {
      throw queueFull('audio job queue', `${maxJobs} jobs`, 'send the request without async=true');
    }
    const id = newToolJobId();
    const ext = extOf(s.upload.filename);
    const charge = await s.reserve(id);
    try {
      await this.uploads.put(id, ext, s.upload.path);
      const payload: QueuedPayload = { work: s.work, ext, base: s.base, accountId: charge.accountId, reserved: charge.credits };
      await this.jobs.record({ id, tool: s.tool, totalFrames: s.totalFrames, runner: QUEUE_RUNNER, payload });
    } catch (err) {
      await charge.refund('audio job not started');
      await this.uploads.remove(id, ext).catch(() => {});
      throw err;
    }
    // Recorded: should Redis fail now, the next node start queues it from the record.
    await this.queue.add(id).catch((err: unknown) => this.log.warn({ err, jobId: id }, 'audio job not handed to the queue'));
    return id;
  }

  /** Whether the queue's Redis is ready within `timeoutMs`. */
  connected(timeoutMs: number): Promise<boolean> {
    return this.queue.connected(timeoutMs);
  }

  /** Queues the recorded jobs Redis may have lost. */
  recover(): Promise<number> {
    return this.queue.recover();
  }

  /** `DELETE` on any node: ends the record `cancelled` (the worker notices), refunds, deletes the upload. */
  async cancel(record: ToolJobRecord): Promise<boolean> {
    if (record.runner !== QUEUE_RUNNER || !(await this.store.finish(record.id, { status: 'cancelled' }))) return false;
    await this.ended(record.id);
    return true;
  }

  /** The queue's runner: see the module comment. Throws only when this node drains. */
  private async run(id: string, drain: AbortSignal): Promise<void> {
    const record = await this.store.get(id);
    if (!record) {
      this.log.warn({ jobId: id }, 'queued audio job has no record here: do all nodes on this Redis share one database?');
      return;
    }
    if (record.status !== 'processing') return this.ended(id);
    const payload = record.payload as QueuedPayload;
    const dir = await makeWorkDir(this.ctx);
    const controller = new AbortController();
    const stop = (): void => controller.abort(drain.reason);
    drain.addEventListener('abort', stop, { once: true });
    const progress = new Int32Array(new SharedArrayBuffer(4));
    let ticks = 0;
    const watch = setInterval(() => {
      ticks++;
      void this.store.get(id).then(async (now) => {
        if (now?.status !== 'processing') controller.abort(new Error('audio job cancelled'));
        else if (ticks % 2 === 0) await this.store.setProgress(id, Atomics.load(progress, 0));
      }).catch(() => {});
    }, WATCH_MS);
    const started = performance.now();
    this.log.info({ jobId: id, tool: record.tool }, 'audio job started');
    try {
      const input = join(dir, `input.${payload.ext}`);
      if (!(await this.uploads.fetch(id, payload.ext, input))) throw new ApiError('internal_error', 'The job\'s upload is gone from the shared storage');
      const done = await this.work(id, payload, input, dir, controller.signal, progress);
      if (await this.store.finish(id, { status: 'completed', result: done.result })) this.log.info({ jobId: id, ms: Math.round(performance.now() - started) }, 'audio job completed');
      // Cancelled while its files were being written: nobody will ask for them.
      else await Promise.all(done.files.map((uuid) => this.ctx.results.remove(uuid).catch(() => {})));
    } catch (err) {
      if (drain.aborted) throw err;
      if (!controller.signal.aborted) {
        if (!(err instanceof ApiError)) this.log.error({ err, jobId: id }, 'audio job failed');
        const e = err instanceof ApiError ? err : new ApiError('internal_error', 'The audio job failed');
        await this.store.finish(id, { status: 'failed', error: { code: e.code, message: e.message } });
      }
    } finally {
      clearInterval(watch);
      drain.removeEventListener('abort', stop);
      await removeWorkDir(dir);
    }
    await this.ended(id);
  }

  /** The job's result; its credits are what the record's `completed` will commit. */
  private async work(id: string, p: QueuedPayload, input: string, dir: string, signal: AbortSignal, progress: Int32Array): Promise<{ result: Record<string, unknown>; files: string[] }> {
    const ctx = this.ctx;
    if (p.work.kind === 'transcribe') {
      const { opts } = p.work;
      const t = await untilAdmitted(signal, () => ctx.stt.transcribe({ kind: 'file', path: input }, { ...opts, onSegment: progressFromSegments(progress) }, signal));
      const used = creditsFor(t.durationSec / 60, STT_CREDITS_PER_MINUTE);
      return { result: sttResultBody(t, { used, remaining: await this.remainingAfter(p, used) }, p.work.opts.wordTimestamps), files: [] };
    }
    const { input: tool, rate } = p.work;
    const stemUuid = (stem: string): string => createHash('sha256').update(`${id}:${stem}`).digest('hex').slice(0, 32);
    const out = await untilAdmitted(signal, () => runTool(ctx, { ...tool, path: input, stemUuid }, dir, signal, progress));
    const used = creditsFor(out.durationSec / 60, rate);
    return { result: await resultBody(ctx, p.base, tool.spec.tool, out, { used, remaining: await this.remainingAfter(p, used) }), files: out.stems.map((s) => s.uuid) };
  }

  /** The balance the commit of `used` will leave (the reservation already took `reserved`). */
  private async remainingAfter(p: QueuedPayload, used: number): Promise<number | null> {
    if (p.accountId === null) return null;
    return (await this.ctx.accounts.ledger.balance(p.accountId)) + p.reserved - used;
  }

  /** Once the record has ended, whoever sees it: the charge settled by the record, the upload deleted. Idempotent. */
  private async ended(id: string): Promise<void> {
    const record = await this.store.get(id);
    if (!record || record.status === 'processing') return;
    const p = record.payload as QueuedPayload;
    if (p.accountId !== null) {
      const service: BilledService = p.work.kind === 'transcribe' ? 'stt' : 'audio_tools';
      const used = (record.result as { credits_used?: number } | undefined)?.credits_used;
      if (record.status === 'completed' && used !== undefined) await this.ctx.accounts.billing.commitRef(id, used, service);
      else await this.ctx.accounts.billing.settle(id, false, `audio job ${record.status}`);
    }
    await this.uploads.remove(id, p.ext).catch((err: unknown) => this.log.warn({ err, jobId: id }, 'upload of an ended audio job not removed'));
  }

  async stop(): Promise<void> {
    await this.queue.stop();
    this.uploads.close();
  }
}
