/**
 * Jobs started with `async=true` (audio tools and transcription: one mechanism, one id space,
 * `GET`/`DELETE /v1/audio/jobs/{id}`). The record (status, result, error) lives in a ToolJobStore
 * (SQLite, or Postgres in cluster mode), so a poll after a restart or on another node answers it.
 *
 * A job runs where it was accepted (one node; `startLocal`) or on whichever node takes it from the
 * cluster queue (`queued`, api/queued-audio-jobs.ts). A local job's live part stays in memory with
 * the work itself: the shared frame counter the pool worker advances (progress) and the
 * AbortController a `DELETE` uses to stop it. A queued job's progress is what its worker last wrote
 * to the record (about every second).
 */
import { randomBytes } from 'node:crypto';

import type { Accounts } from '../accounts/accounts.js';
import type { Caller } from '../accounts/gate.js';
import { ApiError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { NewToolJob, ToolJobError, ToolJobRecord, ToolJobStore } from '../jobs/tool-job-store.js';
import { queueFull } from '../jobs/bull-worker.js';
import { claim } from './access.js';
import type { QueuedAudioJobs } from './queued-audio-jobs.js';

/** Finished records are forgotten after this (their files stay until the results' own expiry). */
const KEEP_FINISHED_MS = 3600_000;

/** What a job that a stop or crash cut off says when polled. */
export const INTERRUPTED: ToolJobError = { code: 'interrupted', message: 'The server stopped while the job ran; nothing was charged. Start it again.' };

/** A running local job's live state. */
export interface RunningToolJob {
  id: string;
  /** [0]: input frames processed (written by the worker). */
  progress: Int32Array;
  totalFrames: number;
  /** Aborted by `DELETE /v1/audio/jobs/{id}` (and by nothing else: the job outlives its request). */
  controller: AbortController;
  /** Resolves once the run has ended and its work folder is gone. */
  settled: Promise<void>;
}

export interface ToolJobsOptions {
  /** This node's id: the runner of the jobs it runs itself. */
  nodeId: string;
  /**
   * Whose cut-off local jobs to interrupt at start: undefined when the store is this node's own
   * (every local job in it was this node's), else this node's id (a shared database: other nodes'
   * local jobs are still running). Queued jobs are never interrupted: the queue retries them.
   */
  interruptScope: string | undefined;
  /**
   * Most unfinished local jobs (`jobQueueMaxJobs`, the queued jobs' bound too): past it a new one
   * is refused with 503 `job_queue_full` before anything is stored or charged. Jobs beyond the
   * pool's room wait for it (workers/until-admitted.ts), so without this they could pile up.
   * Requests checked at the same moment may pass it together: a bound, not an exact count.
   */
  maxLocalJobs: number;
  logger: Logger;
}

/** The 202 answer of an `async=true` request. */
export function acceptedJobBody(base: string, id: string): Record<string, unknown> {
  return { job_id: id, status: 'processing', progress: 0, status_url: `${base}/v1/audio/jobs/${id}` };
}

export function newToolJobId(): string {
  return `atj_${randomBytes(16).toString('hex')}`;
}

export class ToolJobs {
  private readonly running = new Map<string, RunningToolJob>();
  /** Set in cluster mode: async jobs go through the queue instead of running here. */
  queued: QueuedAudioJobs | undefined;

  constructor(readonly store: ToolJobStore, private readonly opts: ToolJobsOptions) {
    // The SQLite store runs this before its promise returns, so no new job can be caught by it.
    store.interruptUnfinished(INTERRUPTED, opts.interruptScope).catch((err: unknown) => opts.logger.error({ err }, 'interrupting unfinished audio jobs failed'));
  }

  /** Records a new job (pruning old ones). */
  async record(job: Omit<NewToolJob, 'id'> & { id?: string }): Promise<string> {
    await this.store.prune(Date.now() - KEEP_FINISHED_MS);
    const id = job.id ?? newToolJobId();
    await this.store.create({ ...job, id });
    return id;
  }

  /** Throws 503 `job_queue_full` when this node holds its most unfinished local jobs. */
  checkLocalRoom(): void {
    const max = this.opts.maxLocalJobs;
    if (this.running.size >= max) throw queueFull('async job queue', `${max} unfinished jobs`, 'send the request without async=true');
  }

  /** Records a new job run on this node; `run` starts the work with the job's signal and progress counter. */
  async startLocal(tool: string, totalFrames: number, run: (job: RunningToolJob) => Promise<void>): Promise<RunningToolJob> {
    const id = await this.record({ tool, totalFrames, runner: this.opts.nodeId });
    const job: RunningToolJob = { id, progress: new Int32Array(new SharedArrayBuffer(4)), totalFrames, controller: new AbortController(), settled: Promise.resolve() };
    this.running.set(id, job);
    // The run records its own outcome. One it could not record (the database already closed at
    // shutdown) leaves the job `processing`, which the next start turns into `interrupted`.
    job.settled = run(job)
      .catch(() => undefined)
      .finally(() => this.running.delete(id));
    return job;
  }

  /** Resolves once every local job has ended and recorded its outcome (at shutdown, after the pool has failed their tasks). */
  async settleAll(): Promise<void> {
    await Promise.all([...this.running.values()].map((job) => job.settled));
  }

  get(id: string): Promise<ToolJobRecord | undefined> {
    return this.store.get(id);
  }

  async finish(job: RunningToolJob, outcome: { result: unknown } | { error: ToolJobError } | { cancelled: true }): Promise<void> {
    if ('result' in outcome) await this.store.finish(job.id, { status: 'completed', result: outcome.result });
    else if ('error' in outcome) await this.store.finish(job.id, { status: 'failed', error: outcome.error });
    else await this.store.finish(job.id, { status: 'cancelled' });
  }

  /**
   * Ends a local run (`what`: 'audio tool', 'transcription') that threw: stopped by a `DELETE` (its signal aborted), it refunds everything
   * and ends `cancelled`; anything else refunds and ends `failed` with the error (an unexpected
   * one logged, and shown to the client as `fallback`).
   */
  async runFailed(what: string, job: RunningToolJob, err: unknown, refund: (why: string) => Promise<void>, log: Logger, fallback: ApiError): Promise<void> {
    if (job.controller.signal.aborted) {
      await refund(`${what} job cancelled`);
      await this.finish(job, { cancelled: true });
      return;
    }
    // A graceful stop fails the pool's tasks with `shutting_down`: recorded as a kill is, so a
    // client sees one answer for "the server stopped under my job", whichever way it stopped.
    if (err instanceof ApiError && err.code === 'shutting_down') {
      await refund(`${what} interrupted by a shutdown`);
      await this.finish(job, { error: INTERRUPTED });
      return;
    }
    void refund(`${what} failed`);
    if (!(err instanceof ApiError)) log.error({ err }, `${what} job failed`);
    const e = err instanceof ApiError ? err : fallback;
    await this.finish(job, { error: { code: e.code, message: e.message } });
  }

  /** Claims a job started by `caller`; a job it could not claim is stopped (refunding itself): nobody could follow it. */
  async claimFor(accounts: Accounts, caller: Caller, id: string): Promise<void> {
    try {
      await claim(accounts, caller, 'job', id);
    } catch (err) {
      const record = await this.get(id);
      if (record) await this.cancel(record);
      throw err;
    }
  }

  /**
   * Stops a job: a local one is aborted and waited for (its worker stopped, its files gone); a
   * queued one is ended `cancelled` in the record, which its worker notices. False when it had
   * already finished (or is local to another node).
   */
  async cancel(record: ToolJobRecord): Promise<boolean> {
    const job = this.running.get(record.id);
    if (job) {
      job.controller.abort(new Error('audio tool job cancelled'));
      await job.settled;
      return true;
    }
    return this.queued?.cancel(record) ?? false;
  }

  /** 0 … 1; 1 only once completed (encoding follows the DSP). */
  progressOf(record: ToolJobRecord): number {
    if (record.status === 'completed') return 1;
    const live = this.running.get(record.id);
    const done = live ? Atomics.load(live.progress, 0) : record.progressFrames;
    return record.totalFrames > 0 ? Math.min(0.99, Math.round((done / record.totalFrames) * 100) / 100) : 0;
  }
}
