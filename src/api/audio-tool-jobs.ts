/**
 * Audio tool jobs started with `async=true`. The record (status, result, error) lives in a
 * ToolJobStore (SQLite), so a poll after a restart answers the finished result, or `failed` with
 * `interrupted` for work the restart cut off. The live part stays in memory with the work itself:
 * the shared frame counter the pool worker advances (progress) and the AbortController a
 * `DELETE` uses to stop it (the same cancellation a client leaving a synchronous request causes).
 */
import { randomBytes } from 'node:crypto';

import type { ToolJobError, ToolJobRecord, ToolJobStore } from '../jobs/tool-job-store.js';

/** Finished records are forgotten after this (their files stay until the results' own expiry). */
const KEEP_FINISHED_MS = 3600_000;

/** What a job that a stop or crash cut off says when polled. */
export const INTERRUPTED: ToolJobError = { code: 'interrupted', message: 'The server stopped while the job ran; nothing was charged. Start it again.' };

/** A running job's live state. */
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

export class ToolJobs {
  private readonly running = new Map<string, RunningToolJob>();

  constructor(private readonly store: ToolJobStore) {
    store.interruptUnfinished(INTERRUPTED);
  }

  /** Records a new job; `run` starts the work with the job's signal and progress counter. */
  start(tool: string, totalFrames: number, run: (job: RunningToolJob) => Promise<void>): RunningToolJob {
    this.store.prune(Date.now() - KEEP_FINISHED_MS);
    const id = `atj_${randomBytes(16).toString('hex')}`;
    this.store.create({ id, tool, totalFrames });
    const job: RunningToolJob = { id, progress: new Int32Array(new SharedArrayBuffer(4)), totalFrames, controller: new AbortController(), settled: Promise.resolve() };
    this.running.set(id, job);
    // The run records its own outcome. One it could not record (the database already closed at
    // shutdown) leaves the job `processing`, which the next start turns into `interrupted`.
    job.settled = run(job)
      .catch(() => undefined)
      .finally(() => this.running.delete(id));
    return job;
  }

  get(id: string): ToolJobRecord | undefined {
    return this.store.get(id);
  }

  finish(job: RunningToolJob, outcome: { result: unknown } | { error: ToolJobError } | { cancelled: true }): void {
    if ('result' in outcome) this.store.finish(job.id, { status: 'completed', result: outcome.result });
    else if ('error' in outcome) this.store.finish(job.id, { status: 'failed', error: outcome.error });
    else this.store.finish(job.id, { status: 'cancelled' });
  }

  /** Stops a running job and waits until its worker has stopped and its files are gone; false when it is not running here. */
  async cancel(id: string): Promise<boolean> {
    const job = this.running.get(id);
    if (!job) return false;
    job.controller.abort(new Error('audio tool job cancelled'));
    await job.settled;
    return true;
  }

  /** 0 … 1; 1 only once completed (encoding follows the DSP). */
  progressOf(record: ToolJobRecord): number {
    if (record.status === 'completed') return 1;
    const live = this.running.get(record.id);
    const done = live ? Atomics.load(live.progress, 0) : 0;
    return record.totalFrames > 0 ? Math.min(0.99, Math.round((done / record.totalFrames) * 100) / 100) : 0;
  }
}
