/**
 * Runs queued jobs in the background, a bounded number at a time, oldest first. In-process for
 * one node; the `JobQueue` interface is also what the cluster's queue (redis-job-queue.ts) implements.
 *
 * Overflow policy: the queue holds at most `maxJobs` jobs and `maxChars` characters of text,
 * queued and running together, jobs recovered at start-up included. A new job past either bound
 * is refused before it is stored (503 `job_queue_full` with Retry-After); nothing queued is
 * ever dropped. Recovered jobs were accepted before the restart, so they are re-queued even past
 * the bounds, and new jobs wait until the backlog drains below them.
 */
import { ApiError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { JobStore, TtsJob } from './job-store.js';

/** A refused client retries after this; a queued job takes seconds, so sooner only adds load. */
const QUEUE_FULL_RETRY_AFTER_SEC = 10;

export interface JobQueue {
  /** Throws a 503 `job_queue_full` when `jobs` jobs (default 1) of `chars` characters in all would pass a bound; call before storing them. */
  admit(chars: number, jobs?: number): void;
  enqueue(job: Pick<TtsJob, 'uuid' | 'chars'>): void;
  /** Jobs queued or running. */
  readonly size: number;
  /** Characters of text in the jobs queued or running. */
  readonly chars: number;
  /** Stops taking jobs; running ones are aborted and left `processing`, so a restart re-runs them. */
  stop(): Promise<void>;
}

export type JobRunner = (job: TtsJob, signal: AbortSignal) => Promise<{ durationSec: number }>;

export interface JobQueueOptions {
  concurrency: number;
  resultTtlMs: number;
  maxJobs: number;
  maxChars: number;
  logger: Logger;
  /** Told after a job's end (completed or failed) is stored; not for jobs a shutdown interrupted. */
  onEnded?: (uuid: string) => void;
}

export class LocalJobQueue implements JobQueue {
  private readonly pending: string[] = [];
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  /** Characters of every job queued or running, by uuid. */
  private readonly charsOf = new Map<string, number>();
  private totalChars = 0;
  private stopped = false;

  constructor(
    private readonly store: JobStore,
    private readonly run: JobRunner,
    private readonly opts: JobQueueOptions,
  ) {}

  /** In the process: there from the start. */
  connected(): Promise<boolean> {
    return Promise.resolve(true);
  }

  /** Re-queues what a previous process accepted but did not finish, past the bounds if need be. */
  async recover(): Promise<number> {
    const jobs = await this.store.unfinished();
    for (const job of jobs) this.enqueue(job);
    return jobs.length;
  }

  get size(): number {
    return this.pending.length + this.running.size;
  }

  get chars(): number {
    return this.totalChars;
  }

  admit(chars: number, jobs = 1): void {
    if (this.stopped) throw new ApiError('shutting_down', 'The server is shutting down');
    const { maxJobs, maxChars } = this.opts;
    if (this.size + jobs <= maxJobs && this.totalChars + chars <= maxChars) return;
    const which = this.size + jobs > maxJobs ? `${maxJobs} jobs` : `${maxChars} characters of text`;
    throw new ApiError(
      'job_queue_full',
      `The job queue holds its maximum of ${which}; retry later, or stream the audio instead ("stream": true).`,
      null,
      { headers: { 'Retry-After': String(QUEUE_FULL_RETRY_AFTER_SEC) } },
    );
  }

  enqueue(job: Pick<TtsJob, 'uuid' | 'chars'>): void {
    if (this.stopped || this.charsOf.has(job.uuid)) return;
    this.charsOf.set(job.uuid, job.chars);
    this.totalChars += job.chars;
    this.pending.push(job.uuid);
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.running.size < this.opts.concurrency && this.pending.length > 0) {
      const uuid = this.pending.shift()!;
      const controller = new AbortController();
      const done = this.execute(uuid, controller.signal).finally(() => {
        this.running.delete(uuid);
        this.totalChars -= this.charsOf.get(uuid) ?? 0;
        this.charsOf.delete(uuid);
        this.pump();
      });
      this.running.set(uuid, { controller, done });
    }
  }

  private async execute(uuid: string, signal: AbortSignal): Promise<void> {
    const job = await this.store.get(uuid);
    if (!job || (job.status !== 'queued' && job.status !== 'processing')) return;
    const log = this.opts.logger.child({ jobUuid: uuid });
    await this.store.markProcessing(uuid);
    const started = performance.now();
    try {
      const { durationSec } = await this.run(job, signal);
      await this.store.complete(uuid, durationSec, Date.now() + this.opts.resultTtlMs);
      log.info({ ms: Math.round(performance.now() - started), durationSec }, 'job completed');
    } catch (err) {
      if (signal.aborted) return; // shutdown: stays `processing`, recovered on restart
      const message = err instanceof Error ? err.message : String(err);
      await this.store.fail(uuid, message);
      log.warn({ err }, 'job failed');
    }
    try {
      this.opts.onEnded?.(uuid);
    } catch (err) {
      log.error({ err }, 'job end listener failed');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.pending.length = 0;
    for (const r of this.running.values()) r.controller.abort(new Error('server shutting down'));
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
  }
}
