/**
 * The BullMQ worker both cluster queues run (tts-jobs, audio-jobs), with their shared
 * at-least-once settings: a running job's lock lasts `lockMs` and is renewed while it runs, the
 * stalled check runs as often, and a job may stall (its node died or drained) `attempts` times
 * before BullMQ gives up on it, since a node may die more than once under the same job.
 */
import { Worker, type Job } from 'bullmq';
import { ApiError } from '../errors.js';
import type { Logger } from '../logger.js';

/** Key prefix of every queue in Redis. */
export const QUEUE_PREFIX = 'llais';

export interface QueueWorkerOptions {
  redisUrl: string;
  lockMs: number;
  nodeId: string;
  concurrency: number;
  attempts: number;
}

/** A connection that waits for Redis (retrying) rather than failing: the worker's blocking reads must survive an outage. */
export function workerConnection(redisUrl: string): { url: string; maxRetriesPerRequest: null; retryStrategy: (n: number) => number } {
  return { url: redisUrl, maxRetriesPerRequest: null, retryStrategy: (n: number) => Math.min(100 * n, 1000) };
}

export function startQueueWorker<T>(queue: string, opts: QueueWorkerOptions, run: (data: T) => Promise<void>, log: Logger): Worker {
  const worker = new Worker(queue, (bull: Job<T>) => run(bull.data), {
    connection: workerConnection(opts.redisUrl),
    prefix: QUEUE_PREFIX,
    concurrency: opts.concurrency,
    lockDuration: opts.lockMs,
    stalledInterval: opts.lockMs,
    maxStalledCount: opts.attempts,
    name: opts.nodeId,
  });
  worker.on('error', (err) => log.debug({ err, queue }, 'queue worker error'));
  return worker;
}

/** 503 `queue_unavailable`: this node cannot reach Redis; `instead` says what works without the queue. */
export function queueUnavailable(instead: string): ApiError {
  return new ApiError('queue_unavailable', `The shared job queue (Redis) cannot be reached from this node; retry later, or ${instead}.`, null, {
    headers: { 'Retry-After': '5' },
  });
}

/** 503 `job_queue_full`: the queue holds its maximum (`what`, e.g. "1000 jobs"). */
export function queueFull(queue: string, what: string, instead: string): ApiError {
  return new ApiError('job_queue_full', `The ${queue} holds its maximum of ${what}; retry later, or ${instead}.`, null, {
    headers: { 'Retry-After': '10' },
  });
}

/**
 * How long a stopping node waits for a BullMQ queue or worker to close before dropping it: long
 * enough, with Redis reachable, for an aborted job to hand itself back; short when this node's
 * connection already says Redis is away, since then the close can only time out.
 */
export function closeWaitMs(redisReachable: boolean): number {
  return redisReachable ? 10_000 : 500;
}

/**
 * Closes a BullMQ queue or worker, bounded: with Redis unreachable BullMQ's `close()` (and its
 * `disconnect()`) wait for a connection that never comes, and a node stopping then never exited.
 * Past the bound the connection is dropped without waiting; nothing is lost by it, since the
 * records are in the database and the next node start queues unfinished ones again.
 */
export async function closeWithin(closable: { close(): Promise<void>; disconnect(): Promise<void> }, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const closed = await Promise.race([
    closable.close().then(() => true, () => true),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]);
  clearTimeout(timer);
  if (!closed) void closable.disconnect().catch(() => {});
}
