/**
 * The cluster's shared backends, as `llais doctor` sees them: Redis (PING, then a write, read and
 * delete of a probe key, since a read-only replica or a full instance answers PING but cannot hold
 * the queue), S3 (HeadBucket, then a put/get/delete of a small probe object, since listing rights
 * alone do not store results), and the database. A backend that is not configured is reported as
 * embedded. A failure names the URL without its credentials and says what to fix.
 */
import { randomUUID } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import type { S3Settings } from '../cluster/cluster-config.js';
import type { Config } from '../config.js';
import { appliedVersion, LATEST_VERSION } from '../storage/postgres/migrations.js';
import { createPgPool, pgReachable } from '../storage/postgres/pool.js';
import { fail, ok, type CheckResult } from './check.js';
import { firstLine } from './install-checks.js';
import { s3ClientFor } from '../jobs/s3-client.js';

/** Each backend gets this long to answer: a firewalled port should not hang the doctor. */
const TIMEOUT_MS = 3000;

/** `url` without a user name or password (they may hold the Redis password). */
export function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '(an unparsable URL)';
  }
}

export async function redisCheck(config: Config): Promise<CheckResult> {
  const { redisUrl } = config.cluster;
  if (redisUrl === '') return ok('redis', 'not configured: the job queue and limits are embedded (this node only)');
  const shown = withoutCredentials(redisUrl);
  const redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: TIMEOUT_MS, commandTimeout: TIMEOUT_MS, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  redis.on('error', () => {}); // reported through the failed command below
  let step = 'connect';
  try {
    await redis.connect();
    step = 'PING';
    await redis.ping();
    const key = `llais:doctor:${randomUUID()}`;
    step = 'write a probe key';
    await redis.set(key, 'probe', 'PX', 60_000);
    step = 'read the probe key back';
    if ((await redis.get(key)) !== 'probe') throw new Error('the value read back differs from the one written');
    step = 'delete the probe key';
    await redis.del(key);
    return ok('redis', `${shown}: PING, write, read and delete work`);
  } catch (err) {
    return fail('redis', `${shown}: ${step} failed: ${firstLine(err)}`, step === 'connect' || step === 'PING'
      ? 'start Redis or correct LLAIS_REDIS_URL (cluster.redisUrl): host, port, database number and password'
      : 'point LLAIS_REDIS_URL at a writable primary (not a read-only replica) with memory to spare (maxmemory), and a user allowed SET/GET/DEL');
  } finally {
    redis.disconnect();
  }
}

export async function s3Check(config: Config): Promise<CheckResult> {
  const s3 = config.cluster.s3;
  if (!s3) return ok('s3', 'not configured: result files are embedded (on disk in the data directory)');
  const where = `bucket "${s3.bucket}" at ${s3.endpoint ? withoutCredentials(s3.endpoint) : `AWS S3 (${s3.region})`}`;
  const client = clientFor(s3);
  const Bucket = s3.bucket;
  const Key = `llais-doctor/probe-${randomUUID()}`;
  let step = 'HeadBucket';
  try {
    await client.send(new HeadBucketCommand({ Bucket }), { abortSignal: AbortSignal.timeout(TIMEOUT_MS) });
    step = 'put a probe object';
    await client.send(new PutObjectCommand({ Bucket, Key, Body: 'probe' }), { abortSignal: AbortSignal.timeout(TIMEOUT_MS) });
    step = 'get the probe object';
    const got = await client.send(new GetObjectCommand({ Bucket, Key }), { abortSignal: AbortSignal.timeout(TIMEOUT_MS) });
    if ((await got.Body?.transformToString()) !== 'probe') throw new Error('the object read back differs from the one written');
    step = 'delete the probe object';
    await client.send(new DeleteObjectCommand({ Bucket, Key }), { abortSignal: AbortSignal.timeout(TIMEOUT_MS) });
    return ok('s3', `${where}: HeadBucket, put, get and delete work`);
  } catch (err) {
    return fail('s3', `${where}: ${step} failed: ${describe(err)}`, step === 'HeadBucket'
      ? 'start the S3 server or correct LLAIS_S3_ENDPOINT, LLAIS_S3_BUCKET (the bucket must exist), LLAIS_S3_REGION and the access key'
      : 'give the access key (LLAIS_S3_ACCESS_KEY_ID) s3:PutObject, s3:GetObject and s3:DeleteObject on the bucket');
  } finally {
    client.destroy();
  }
}

/**
 * The database backend. The Postgres check (LLAIS_DATABASE_URL: connect, migrations applied, a
 * write) goes here; until then the embedded SQLite database is checked by `sqliteCheck` and the
 * data directory check.
 */
export async function databaseCheck(config: Config): Promise<CheckResult> {
  const url = config.cluster.databaseUrl ?? '';
  if (url === '') return ok('database', 'not configured: accounts, ledger and job records are in SQLite in the data directory');
  const shown = withoutCredentials(url);
  if (!/^postgres(ql)?:\/\//.test(url)) return fail('database', `LLAIS_DATABASE_URL (${shown}) is not a postgres:// URL`, 'Set LLAIS_DATABASE_URL=postgres://user:password@host:5432/llais');
  const pool = createPgPool(url, { max: 1 });
  try {
    if (!(await pgReachable(pool, TIMEOUT_MS))) return fail('database', `Postgres at ${shown} did not answer SELECT 1 within ${TIMEOUT_MS} ms`, 'Check that Postgres runs and LLAIS_DATABASE_URL (host, port, user, password, database) is right');
    const version = await appliedVersion(pool);
    if (version < LATEST_VERSION) return fail('database', `Postgres at ${shown} is at schema version ${version}; this Llais needs ${LATEST_VERSION}`, 'Run `llais migrate` with the same LLAIS_DATABASE_URL');
    return ok('database', `Postgres at ${shown}: reachable, schema version ${version}`);
  } catch (err) {
    return fail('database', `Postgres at ${shown}: ${firstLine(err instanceof Error ? err.message : String(err))}`, 'Check LLAIS_DATABASE_URL and the database user\'s rights');
  } finally {
    await pool.end().catch(() => {});
  }
}

function clientFor(s3: S3Settings): S3Client {
  return s3ClientFor(s3, { maxAttempts: 1 });
}

/** The SDK's error in one line: a HeadBucket 404 has no message, only a name and status. */
function describe(err: unknown): string {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  if (status === 404) return 'no such bucket (HTTP 404)';
  if (status === 403) return 'access denied (HTTP 403)';
  return firstLine(e.message || e.name || err) + (status ? ` (HTTP ${status})` : '');
}
