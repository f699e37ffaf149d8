/**
 * The job queue shared by several nodes: BullMQ on Redis behind the same `JobQueue` interface as
 * the in-process queue. The job records stay in the `JobStore` (the source of truth); Redis only
 * says which node runs which job next, so a Redis that lost its data is refilled from the store
 * (`reconcile`, at start and whenever the connection comes back).
 *
 * At-least-once: a node holds a lock on each job it runs, renewed while it runs; a node killed
 * mid-job stops renewing, and after `lockMs` another node's stalled-job check hands the job to
 * the queue again. Running a job twice is harmless: the record is completed once (a job already
 * completed is not run again), and the result is written under the job's uuid, so a second
 * write replaces the first with the same bytes.
 *
 * Admission (`admit`) is synchronous, as the interface is: the cluster-wide counts of jobs and
 * characters in flight are read from Redis every `COUNT_REFRESH_MS`, so a burst on several nodes
 * may pass the bounds by what arrives within that time; and a node that cannot reach Redis
 * refuses queued work at once (503 `queue_unavailable`) instead of accepting what it cannot hand on.
 */
import { Queue, type Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { ApiError } from '../errors.js';
import type { Logger } from '../logger.js';
import { closeWaitMs, closeWithin, QUEUE_PREFIX, queueFull, queueUnavailable, startQueueWorker } from './bull-worker.js';
import { redisReady } from './redis-ready.js';
import type { JobQueue, JobQueueOptions, JobRunner } from './job-queue.js';
import type { JobStore, TtsJob } from './job-store.js';

const QUEUE_NAME = 'tts-jobs';
const PREFIX = QUEUE_PREFIX;
const IN_FLIGHT = `${PREFIX}:tts-in-flight`;
const IN_FLIGHT_CHARS = `${PREFIX}:tts-in-flight-chars`;
const COUNT_REFRESH_MS = 250;
/** A job whose runner was interrupted (its node draining) goes back this many times before BullMQ gives up on it. */
const ATTEMPTS = 20;

/** Counted once per uuid however often a job is re-queued, so at-least-once cannot inflate the counts. */
const ADD_SCRIPT = `if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then redis.call('INCRBY', KEYS[2], ARGV[2]) end return 1`;
const REMOVE_SCRIPT = `local c = redis.call('HGET', KEYS[1], ARGV[1]) if c then redis.call('HDEL', KEYS[1], ARGV[1]) redis.call('DECRBY', KEYS[2], c) end return 1`;

export interface RedisJobQueueOptions extends JobQueueOptions {
  redisUrl: string;
  /** See ClusterSettings.lockMs. */
  lockMs: number;
  nodeId: string;
}

export class RedisJobQueue implements JobQueue {
  private readonly redis: Redis;
  private readonly queue: Queue;
  private worker: Worker | null = null;
  private readonly running = new Map<string, AbortController>();
  private counts = { jobs: 0, chars: 0 };
  private readonly refresher: NodeJS.Timeout;
  private stopped = false;
  private readonly log: Logger;

  constructor(
    private readonly store: JobStore,
    private readonly run: JobRunner,
    private readonly opts: RedisJobQueueOptions,
  ) {
    this.log = opts.logger.child({ node: opts.nodeId });
    // Commands fail at once while Redis is away (no offline queue), so a request is refused, not held.
    this.redis = new Redis(opts.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: (n) => Math.min(100 * n, 1000), lazyConnect: false });
    this.redis.on('error', () => {}); // reported by status and health; ioredis reconnects by itself
    let wasReady = false;
    this.redis.on('ready', () => {
      // Back after an outage (or first connected): whatever the store holds unfinished is queued again.
      if (wasReady) this.log.info('redis reachable again');
      wasReady = true;
      void this.refresh();
      this.reconcile();
    });
    // Its own connection: BullMQ's start-up commands must wait for Redis rather than fail at once.
    this.queue = new Queue(QUEUE_NAME, { connection: { url: opts.redisUrl, maxRetriesPerRequest: 1, retryStrategy: (n: number) => Math.min(100 * n, 1000) }, prefix: PREFIX });
    this.queue.on('error', () => {});
    this.refresher = setInterval(() => void this.refresh(), COUNT_REFRESH_MS);
    this.refresher.unref();
    if (opts.concurrency > 0) this.startWorker();
  }

  /** Whether Redis is ready within `timeoutMs` (waited for at start, before the node listens). */
  connected(timeoutMs: number): Promise<boolean> {
    return redisReady(this.redis, timeoutMs);
  }

  /** Whether this node can hand work to the queue now. */
  get reachable(): boolean {
    return this.redis.status === 'ready';
  }

  /** Whether Redis answers a PING within `timeoutMs` (health). */
  async ping(timeoutMs: number): Promise<boolean> {
    if (!this.reachable) return false;
    const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
    return Promise.race([this.redis.ping().then(() => true, () => false), timeout]);
  }

  get size(): number {
    return this.counts.jobs;
  }

  get chars(): number {
    return this.counts.chars;
  }

  admit(chars: number, jobs = 1): void {
    if (this.stopped) throw new ApiError('shutting_down', 'The server is shutting down');
    if (!this.reachable) {
      throw queueUnavailable('stream the audio instead ("stream": true)');
    }
    const { maxJobs, maxChars } = this.opts;
    if (this.counts.jobs + jobs <= maxJobs && this.counts.chars + chars <= maxChars) return;
    const which = this.counts.jobs + jobs > maxJobs ? `${maxJobs} jobs` : `${maxChars} characters of text`;
    throw queueFull('job queue', which, 'stream the audio instead ("stream": true)');
  }

  enqueue(job: Pick<TtsJob, 'uuid' | 'chars'>): void {
    if (this.stopped) return;
    this.counts = { jobs: this.counts.jobs + 1, chars: this.counts.chars + job.chars };
    // The record is stored already: if Redis fails now, the next reconcile queues it.
    this.add(job).catch((err: unknown) => this.log.warn({ err, jobUuid: job.uuid }, 'job not handed to the queue; queued again when Redis is back'));
  }

  /** Queues every unfinished job of the store; BullMQ ignores a job id it already holds. */
  async recover(): Promise<number> {
    const jobs = await this.store.unfinished();
    for (const job of jobs) this.add(job).catch(() => {});
    return jobs.length;
  }

  private reconcile(): void {
    if (this.stopped) return;
    this.recover().then(
      (n) => {
        if (n > 0) this.log.info({ jobs: n }, 'unfinished jobs handed to the queue');
      },
      (err: unknown) => this.log.error({ err }, 'reconcile failed'),
    );
  }

  private async add(job: Pick<TtsJob, 'uuid' | 'chars'>): Promise<void> {
    await this.redis.eval(ADD_SCRIPT, 2, IN_FLIGHT, IN_FLIGHT_CHARS, job.uuid, String(job.chars));
    // The job id is the uuid: adding a job the queue already holds is a no-op.
    await this.queue.add('tts', { uuid: job.uuid }, { jobId: job.uuid, attempts: ATTEMPTS, removeOnComplete: true, removeOnFail: true });
  }

  private async refresh(): Promise<void> {
    if (!this.reachable) return;
    try {
      const [jobs, chars] = await Promise.all([this.redis.hlen(IN_FLIGHT), this.redis.get(IN_FLIGHT_CHARS)]);
      this.counts = { jobs, chars: Number(chars ?? 0) };
    } catch {
      // Unreachable for a moment: the last counts stand, and admit() refuses on the status.
    }
  }

  private startWorker(): void {
    this.worker = startQueueWorker<{ uuid: string }>(QUEUE_NAME, { ...this.opts, attempts: ATTEMPTS }, (data) => this.execute(data.uuid), this.log);
  }

  private async execute(uuid: string): Promise<void> {
    const job = await this.store.get(uuid);
    // No record: a node on another database shares this Redis (the start rule cannot see that).
    if (!job) this.log.warn({ jobUuid: uuid }, 'queued job has no record here: do all nodes on this Redis share one database (LLAIS_DATABASE_URL, or one data directory)?');
    if (!job || (job.status !== 'queued' && job.status !== 'processing')) return this.finished(uuid);
    const log = this.log.child({ jobUuid: uuid });
    const controller = new AbortController();
    this.running.set(uuid, controller);
    await this.store.markProcessing(uuid);
    const started = performance.now();
    try {
      const { durationSec } = await this.run(job, controller.signal);
      await this.store.complete(uuid, durationSec, Date.now() + this.opts.resultTtlMs);
      log.info({ ms: Math.round(performance.now() - started), durationSec }, 'job completed');
    } catch (err) {
      // Draining: thrown to BullMQ, which puts the job back for another node (an attempt spent).
      if (controller.signal.aborted) throw err;
      await this.store.fail(uuid, err instanceof Error ? err.message : String(err));
      log.warn({ err }, 'job failed');
    } finally {
      this.running.delete(uuid);
    }
    try {
      this.opts.onEnded?.(uuid);
    } catch (err) {
      log.error({ err }, 'job end listener failed');
    }
    await this.finished(uuid);
  }

  private async finished(uuid: string): Promise<void> {
    await this.redis.eval(REMOVE_SCRIPT, 2, IN_FLIGHT, IN_FLIGHT_CHARS, uuid).catch(() => {});
  }

  /** Stops taking jobs; running ones are aborted and handed back to the queue for another node. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.refresher);
    for (const c of this.running.values()) c.abort(new Error('node draining'));
    const ms = closeWaitMs(this.reachable);
    if (this.worker) await closeWithin(this.worker, ms);
    await closeWithin(this.queue, ms);
    this.redis.disconnect();
  }
}
