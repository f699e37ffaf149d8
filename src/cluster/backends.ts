/**
 * Picks each backend a node runs on from its cluster settings, the embedded one unless a shared
 * one is configured: the job queue (in-process, or BullMQ on Redis) and the result files (the
 * data directory, or an S3 bucket). Also what health reports about them: which kind each is, and
 * whether this node reaches it now.
 */
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { AccessGate } from '../accounts/gate.js';
import { RedisLimitStore } from '../accounts/redis-limit-store.js';
import { SharedGate } from '../accounts/shared-gate.js';
import type { Config } from '../config.js';
import { LocalJobQueue, type JobQueue, type JobQueueOptions, type JobRunner } from '../jobs/job-queue.js';
import type { JobStore } from '../jobs/job-store.js';
import { RedisJobQueue } from '../jobs/redis-job-queue.js';
import { redisReady } from '../jobs/redis-ready.js';
import { DiskResultStore, type ResultStore } from '../jobs/result-store.js';
import { S3ResultStore } from '../jobs/s3-result-store.js';
import { nodeIdOf } from './cluster-config.js';
import type { SharedStores } from '../storage/shared-stores.js';
import type { NodeRole } from './start-rule.js';

/** A crashed node's concurrency slots are free again after this; its live ones are renewed every 10 s. */
const SLOT_LEASE_MS = 30_000;

/**
 * The queue app.ts starts: either kind re-queues unfinished jobs on `recover()`, and says whether
 * its backend is ready within a bounded wait on `connected()` (the node waits before listening).
 */
export type NodeJobQueue = JobQueue & { recover(): Promise<number>; connected(timeoutMs: number): Promise<boolean> };

export interface BackendStatus {
  kind: string;
  reachable: boolean;
}

export interface NodeBackends {
  nodeId: string;
  role: NodeRole;
  /** Each backend's kind and reachability, probed now (bounded by `timeoutMs`). */
  probe(timeoutMs: number): Promise<Record<'queue' | 'results' | 'database', BackendStatus>>;
  close(): Promise<void>;
}

export function resultStoreFor(config: Config): ResultStore {
  const { s3 } = config.cluster;
  return s3 ? new S3ResultStore(s3, join(config.dataDir, 's3-local')) : new DiskResultStore(join(config.dataDir, 'results'));
}

export function jobQueueFor(config: Config, store: JobStore, run: JobRunner, opts: JobQueueOptions): NodeJobQueue {
  const { redisUrl, lockMs } = config.cluster;
  if (redisUrl === '') return new LocalJobQueue(store, run, opts);
  return new RedisJobQueue(store, run, { ...opts, redisUrl, lockMs, nodeId: nodeIdOf(config.cluster) });
}

/**
 * The access gate on Redis when the cluster has one (limits exact across nodes), else none: the
 * node's own gate counts. Slots are renewed while held; a dead node's lapse after `SLOT_LEASE_MS`.
 */
export function sharedGateFor(config: Config, local: AccessGate): { gate: SharedGate; connected(timeoutMs: number): Promise<boolean>; close(): void } | undefined {
  const { redisUrl } = config.cluster;
  if (redisUrl === '') return undefined;
  const redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: (n) => Math.min(100 * n, 1000) });
  redis.on('error', () => {}); // the gate falls back to local counting; ioredis reconnects by itself
  const store = new RedisLimitStore(redis, nodeIdOf(config.cluster), { slotLeaseMs: SLOT_LEASE_MS });
  return {
    gate: new SharedGate(store, local),
    connected: (timeoutMs) => redisReady(redis, timeoutMs),
    close: () => {
      store.close();
      redis.disconnect();
    },
  };
}

export function nodeBackends(config: Config, role: NodeRole, queue: JobQueue, results: ResultStore, database: Pick<SharedStores, 'kind' | 'reachable'>): NodeBackends {
  return {
    nodeId: nodeIdOf(config.cluster),
    role,
    probe: async (timeoutMs) => ({
      queue: queue instanceof RedisJobQueue ? { kind: 'redis', reachable: await queue.ping(timeoutMs) } : { kind: 'embedded', reachable: true },
      results: results instanceof S3ResultStore ? { kind: 's3', reachable: await results.reachable(timeoutMs) } : { kind: 'disk', reachable: true },
      database: { kind: database.kind, reachable: await database.reachable(timeoutMs) },
    }),
    close: async () => {
      if (results instanceof S3ResultStore) results.close();
    },
  };
}
