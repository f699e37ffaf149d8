/**
 * How a node runs `async=true` jobs, from its configuration: locally (one node, or a cluster
 * whose nodes share no storage for uploads) or through the cluster's `audio-jobs` queue, with
 * uploads in S3 when configured, else in the shared data directory.
 */
import { join } from 'node:path';

import { nodeIdOf } from '../cluster/cluster-config.js';
import type { Config } from '../config.js';
import { S3JobUploads, SharedDirJobUploads, type JobUploads } from '../jobs/job-uploads.js';
import type { ToolJobStore } from '../jobs/tool-job-store.js';
import type { Logger } from '../logger.js';
import { ToolJobs } from './audio-tool-jobs.js';
import type { ApiContext } from './context.js';
import { QueuedAudioJobs } from './queued-audio-jobs.js';

export function openToolJobs(config: Config, store: ToolJobStore, logger: Logger): ToolJobs {
  const { databaseUrl, sharedDataDir } = config.cluster;
  // Only a store no other node writes holds nothing but this node's own local jobs.
  const ownStore = (databaseUrl ?? '') === '' && !sharedDataDir;
  const nodeId = nodeIdOf(config.cluster);
  return new ToolJobs(store, { nodeId, interruptScope: ownStore ? undefined : nodeId, maxLocalJobs: config.jobQueueMaxJobs, logger });
}

function uploadsFor(config: Config): JobUploads | undefined {
  const { s3, sharedDataDir } = config.cluster;
  if (s3) return new S3JobUploads(s3);
  if (sharedDataDir) return new SharedDirJobUploads(join(config.dataDir, 'job-uploads'));
  return undefined;
}

/**
 * In cluster mode (Redis) with somewhere every node reads uploads from: async jobs go through the
 * queue from now on, and this node runs `concurrency` of them at once. Else undefined: they run
 * where they are accepted.
 */
export function startQueuedAudioJobs(ctx: ApiContext, jobs: ToolJobs, concurrency: number): QueuedAudioJobs | undefined {
  const { redisUrl, lockMs } = ctx.config.cluster;
  const uploads = redisUrl === '' ? undefined : uploadsFor(ctx.config);
  if (!uploads) {
    if (redisUrl !== '') ctx.logger.warn('async audio jobs run on the node that accepts them: no S3 and no shared data directory to hand their uploads to other nodes');
    return undefined;
  }
  const queued = new QueuedAudioJobs(ctx, jobs, uploads, { redisUrl, lockMs, nodeId: nodeIdOf(ctx.config.cluster), concurrency });
  jobs.queued = queued;
  return queued;
}
