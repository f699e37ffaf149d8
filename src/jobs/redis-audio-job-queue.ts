/**
 * The cluster's second BullMQ queue, `audio-jobs`: async audio tool and long transcription jobs
 * (`async=true`), beside the TTS queue (redis-job-queue.ts) with the same semantics. The record
 * in the ToolJobStore is the source of truth and holds the request; Redis only carries the job id
 * and which node runs it, so a Redis that lost its data is refilled from the store's queued
 * records when a node starts and whenever its connection comes back (BullMQ ignores an id it
 * already holds). While Redis is away a node refuses new jobs (503 `queue_unavailable`).
 *
 * At-least-once: a running job's lock is renewed while it runs; a node killed mid-job stops
 * renewing, and after `lockMs` another node's stalled check hands the job out again. The runner
 * makes a second run harmless (the record ends once, results are written under names derived
 * from the job id, the charge is settled once by its ledger reference). A runner that throws
 * because this node is draining hands the job back for another node; anything else it records
 * itself, so BullMQ never retries a job that ended.
 */
import { Queue, type Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { ApiError } from '../errors.js';
import type { Logger } from '../logger.js';
import { closeWaitMs, closeWithin, QUEUE_PREFIX, queueUnavailable, startQueueWorker } from './bull-worker.js';
import { redisReady } from './redis-ready.js';
import type { ToolJobStore } from './tool-job-store.js';

const QUEUE_NAME = 'audio-jobs';
/** As the TTS queue: a job whose node died or drained goes back this many times at most. */
const ATTEMPTS = 20;

/** Runs job `id`; throws only when `signal` was aborted by this node's drain (the job goes back). */
export type AudioJobRunner = (id: string, signal: AbortSignal) => Promise<void>;

export interface AudioJobQueueOptions {
  redisUrl: string;
  lockMs: number;
  nodeId: string;
  /** Jobs this node runs at once; 0 takes none (a serve node without local workers). */
  concurrency: number;
  logger: Logger;
}

export class RedisAudioJobQueue {
  private readonly queue: Queue;
  /** Watches the connection: refuses jobs at once while Redis is away, refills the queue when it is back. */
  private readonly redis: Redis;
  private worker: Worker | null = null;
  private readonly running = new Set<AbortController>();
  private stopped = false;
  private readonly log: Logger;

  constructor(
    private readonly store: ToolJobStore,
    private readonly run: AudioJobRunner,
    private readonly opts: AudioJobQueueOptions,
  ) {
    this.log = opts.logger.child({ node: opts.nodeId, queue: QUEUE_NAME });
    this.queue = new Queue(QUEUE_NAME, { connection: { url: opts.redisUrl, maxRetriesPerRequest: 1, retryStrategy: (n: number) => Math.min(100 * n, 1000) }, prefix: QUEUE_PREFIX });
    this.queue.on('error', () => {});
    this.redis = new Redis(opts.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: (n) => Math.min(100 * n, 1000) });
    this.redis.on('error', () => {}); // reported by `admit` and health; ioredis reconnects by itself
    let wasReady = false;
    this.redis.on('ready', () => {
      // Back after an outage: records accepted while a job's hand-over failed are queued again.
      if (wasReady) void this.recover().catch((err: unknown) => this.log.error({ err }, 'audio jobs not queued again'));
      wasReady = true;
    });
    if (opts.concurrency > 0) this.startWorker();
  }

  /** Whether Redis is ready within `timeoutMs` (waited for at start, before the node listens). */
  connected(timeoutMs: number): Promise<boolean> {
    return redisReady(this.redis, timeoutMs);
  }

  /** Refuses a new job with 503 `queue_unavailable` while this node cannot reach Redis (before its upload is stored or charged). */
  admit(): void {
    if (this.stopped) throw new ApiError('shutting_down', 'The server is shutting down');
    if (this.redis.status !== 'ready') {
      throw queueUnavailable('send the request without async=true');
    }
  }

  /** Hands job `id` (its record already stored) to whichever node takes it. */
  async add(id: string): Promise<void> {
    // The job id is the record's: adding one the queue already holds is a no-op.
    await this.queue.add('audio', { id }, { jobId: id, attempts: ATTEMPTS, removeOnComplete: true, removeOnFail: true });
  }

  /** Queues every record still waiting for the queue; returns how many. */
  async recover(): Promise<number> {
    if (this.stopped) return 0;
    const jobs = await this.store.unfinishedQueued();
    for (const job of jobs) this.add(job.id).catch((err: unknown) => this.log.warn({ err, jobId: job.id }, 'audio job not handed to the queue'));
    if (jobs.length > 0) this.log.info({ jobs: jobs.length }, 'unfinished audio jobs handed to the queue');
    return jobs.length;
  }

  private startWorker(): void {
    this.worker = startQueueWorker<{ id: string }>(QUEUE_NAME, { ...this.opts, attempts: ATTEMPTS }, (data) => this.execute(data.id), this.log);
  }

  private async execute(id: string): Promise<void> {
    const controller = new AbortController();
    this.running.add(controller);
    try {
      await this.run(id, controller.signal);
    } finally {
      this.running.delete(controller);
    }
  }

  /** Stops taking jobs; running ones are aborted and go back to the queue for another node. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const c of this.running) c.abort(new Error('node draining'));
    const ms = closeWaitMs(this.redis.status === 'ready');
    if (this.worker) await closeWithin(this.worker, ms);
    await closeWithin(this.queue, ms);
    this.redis.disconnect();
  }
}
