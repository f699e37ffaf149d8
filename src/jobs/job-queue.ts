/**
 * Runs queued jobs in the background, a bounded number at a time, oldest first. In-process for
 * one node; the `JobQueue` interface is what a Redis-backed queue would implement for a cluster.
 */
import type { Logger } from '../logger.js';
import type { JobStore, TtsJob } from './job-store.js';

export interface JobQueue {
  enqueue(uuid: string): void;
  readonly size: number;
  /** Stops taking jobs; running ones are aborted and left `processing`, so a restart re-runs them. */
  stop(): Promise<void>;
}

export type JobRunner = (job: TtsJob, signal: AbortSignal) => Promise<{ durationSec: number }>;

export class LocalJobQueue implements JobQueue {
  private readonly pending: string[] = [];
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private stopped = false;

  constructor(
    private readonly store: JobStore,
    private readonly run: JobRunner,
    private readonly opts: { concurrency: number; resultTtlMs: number; logger: Logger },
  ) {}

  /** Re-queues what a previous process accepted but did not finish. */
  recover(): number {
    const jobs = this.store.unfinished();
    for (const job of jobs) this.enqueue(job.uuid);
    return jobs.length;
  }

  get size(): number {
    return this.pending.length + this.running.size;
  }

  enqueue(uuid: string): void {
    if (this.stopped) return;
    this.pending.push(uuid);
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.running.size < this.opts.concurrency && this.pending.length > 0) {
      const uuid = this.pending.shift()!;
      const controller = new AbortController();
      const done = this.execute(uuid, controller.signal).finally(() => {
        this.running.delete(uuid);
        this.pump();
      });
      this.running.set(uuid, { controller, done });
    }
  }

  private async execute(uuid: string, signal: AbortSignal): Promise<void> {
    const job = this.store.get(uuid);
    if (!job || (job.status !== 'queued' && job.status !== 'processing')) return;
    const log = this.opts.logger.child({ jobUuid: uuid });
    this.store.markProcessing(uuid);
    const started = performance.now();
    try {
      const { durationSec } = await this.run(job, signal);
      this.store.complete(uuid, durationSec, Date.now() + this.opts.resultTtlMs);
      log.info({ ms: Math.round(performance.now() - started), durationSec }, 'job completed');
    } catch (err) {
      if (signal.aborted) return; // shutdown: stays `processing`, recovered on restart
      const message = err instanceof Error ? err.message : String(err);
      this.store.fail(uuid, message);
      log.warn({ err }, 'job failed');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.pending.length = 0;
    for (const r of this.running.values()) r.controller.abort(new Error('server shutting down'));
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
  }
}
