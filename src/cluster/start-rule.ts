/**
 * Which mixes of shared and embedded backends a node may start in. A node refuses a mix that
 * cannot be consistent across nodes, and says why and what to set, before anything starts.
 *
 * The rule: the job queue is shared once `LLAIS_REDIS_URL`
 * is set, and a job accepted by one node is run by another, which must read the same job record,
 * ledger reservation and batch. Those live in the SQLite database of the data directory, so nodes
 * sharing a queue must share one data directory on one host (SQLite's locking is safe between
 * processes of one machine, not over a network file system): `LLAIS_SHARED_DATA_DIR=true` is the
 * operator saying so. Results may stay on that shared disk or go to S3.
 *
 * With `LLAIS_DATABASE_URL` (Postgres) those records are shared through the database instead, and
 * each node may keep its own data directory (results then belong on S3 for every node to serve them).
 */
import type { ClusterSettings } from './cluster-config.js';

export type NodeRole = 'serve' | 'worker';

const S3_REQUIRED: Array<[keyof NonNullable<ClusterSettings['s3']>, string]> = [
  ['bucket', 'LLAIS_S3_BUCKET'],
  ['accessKeyId', 'LLAIS_S3_ACCESS_KEY_ID'],
  ['secretAccessKey', 'LLAIS_S3_SECRET_ACCESS_KEY'],
];

/** Throws, with what to set, when `settings` cannot work for a node of `role`. */
export function checkClusterStartRule(settings: ClusterSettings, role: NodeRole): void {
  checkDatabaseUrl(settings.databaseUrl ?? '');
  if (settings.s3) {
    const missing = S3_REQUIRED.filter(([k]) => settings.s3![k] === '').map(([, name]) => name);
    if (missing.length > 0) throw new Error(`refusing to start: result storage on S3 is half configured; also set ${missing.join(', ')} (or unset every LLAIS_S3_* variable to keep results on disk)`);
    if (settings.s3.endpoint !== '' && !/^https?:\/\//.test(settings.s3.endpoint)) throw new Error(`refusing to start: LLAIS_S3_ENDPOINT must be an http:// or https:// URL, got ${JSON.stringify(settings.s3.endpoint)}`);
  }
  if (settings.redisUrl === '') {
    if (role === 'worker') throw new Error('refusing to start: `llais worker` runs jobs from the shared queue, and there is none: set LLAIS_REDIS_URL (the same Redis as the `llais serve` nodes)');
    return;
  }
  if (!/^rediss?:\/\//.test(settings.redisUrl)) throw new Error(`refusing to start: LLAIS_REDIS_URL must be a redis:// or rediss:// URL, got ${JSON.stringify(settings.redisUrl)}`);
  if (!settings.sharedDataDir && !settings.databaseUrl) {
    throw new Error(
      'refusing to start: LLAIS_REDIS_URL makes the job queue shared, so a job accepted here may run on another node, which must see the same\n' +
        '  job record, credit reservation and batch; those are in this node\'s SQLite database.\n' +
        '  Share them through Postgres: LLAIS_DATABASE_URL=postgres://… on every node (after `llais migrate`),\n' +
        '  or run every node with the same data directory on one host and say so: LLAIS_SHARED_DATA_DIR=true (--data-dir the same path),\n' +
        '  or unset LLAIS_REDIS_URL to keep this node on its embedded queue. See docs/cluster.md.',
    );
  }
}

/** A configured database URL must be Postgres's; empty keeps the embedded SQLite database. */
export function checkDatabaseUrl(url: string): void {
  if (url !== '' && !/^postgres(ql)?:\/\//.test(url)) {
    throw new Error(`refusing to start: LLAIS_DATABASE_URL must be a postgres:// or postgresql:// URL (only Postgres is supported), got ${JSON.stringify(url.replace(/\/\/[^@/]*@/, '//…@'))}`);
  }
}
