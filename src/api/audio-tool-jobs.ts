/**
 * Audio tool jobs started with `async=true`: their state while they run (a shared frame counter the
 * pool worker advances, so a poll shows progress), and their answer or error once done. Held in
 * memory, like the work itself: a restart loses a job in progress (its poll then says 404), while
 * finished results live on as ordinary result files until they expire.
 */
import { randomBytes } from 'node:crypto';

/** Finished entries are forgotten after this (their files stay until the results' own expiry). */
const KEEP_FINISHED_MS = 3600_000;

export type ToolJobStatus = 'processing' | 'completed' | 'failed';

export interface ToolJob {
  id: string;
  tool: string;
  status: ToolJobStatus;
  /** [0]: input frames processed (written by the worker). */
  progress: Int32Array;
  totalFrames: number;
  result?: unknown;
  error?: { code: string; message: string };
  finishedAt?: number;
}

export class ToolJobs {
  private readonly jobs = new Map<string, ToolJob>();

  start(tool: string, totalFrames: number): ToolJob {
    this.prune();
    const job: ToolJob = { id: `atj_${randomBytes(16).toString('hex')}`, tool, status: 'processing', progress: new Int32Array(new SharedArrayBuffer(4)), totalFrames };
    this.jobs.set(job.id, job);
    return job;
  }

  get(id: string): ToolJob | undefined {
    return this.jobs.get(id);
  }

  finish(job: ToolJob, outcome: { result: unknown } | { error: { code: string; message: string } }): void {
    if ('result' in outcome) {
      job.status = 'completed';
      job.result = outcome.result;
    } else {
      job.status = 'failed';
      job.error = outcome.error;
    }
    job.finishedAt = Date.now();
  }

  /** 0 … 1; 1 only once completed (encoding follows the DSP). */
  progressOf(job: ToolJob): number {
    if (job.status === 'completed') return 1;
    const done = Atomics.load(job.progress, 0);
    return job.totalFrames > 0 ? Math.min(0.99, Math.round((done / job.totalFrames) * 100) / 100) : 0;
  }

  private prune(): void {
    const now = Date.now();
    for (const [id, job] of this.jobs) if (job.finishedAt !== undefined && now - job.finishedAt > KEEP_FINISHED_MS) this.jobs.delete(id);
  }
}
