/**
 * The cluster settings: which shared backends a node uses instead of the embedded ones. Kept out
 * of config.ts's flat table because they come as a group (S3 is six values or none) and are
 * checked together by the start rule (start-rule.ts). Read from the config file's `cluster`
 * object and from `LLAIS_REDIS_URL`, `LLAIS_DATABASE_URL`, `LLAIS_S3_*`, `LLAIS_NODE_ID`, `LLAIS_SHARED_DATA_DIR`,
 * `LLAIS_CLUSTER_LOCK_MS`; the environment wins.
 */
import { hostname } from 'node:os';

export interface S3Settings {
  /** `http://minio:9000`; empty: AWS's own endpoint for the region. */
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Path-style URLs (`endpoint/bucket/key`): MinIO, s3rver and most self-hosted servers need it. */
  forcePathStyle: boolean;
  /** Hand out presigned GET URLs for result files, so clients download from the bucket, not through the node. */
  presign?: boolean;
  /** The endpoint clients reach the bucket at, for presigned URLs, when it differs from `endpoint`; empty: `endpoint`. */
  publicEndpoint?: string;
}

export interface ClusterSettings {
  /** `redis://host:6379/0`: the job queue (BullMQ) and the rate/concurrency limits; empty: embedded. */
  redisUrl: string;
  /**
   * `postgres://user:pass@host:5432/llais`: accounts, keys, the ledger, webhook secrets, job
   * records and batches in Postgres, shared by every node; unset or empty: the node's SQLite database.
   */
  databaseUrl?: string;
  /** Result files in an S3-compatible bucket; null: on disk under the data directory. */
  s3: S3Settings | null;
  /** This node's name in logs, health and metrics; empty: `<hostname>-<pid>`. */
  nodeId: string;
  /**
   * The operator's statement that every node uses the same data directory on one host, so the
   * SQLite database (accounts, keys, ledger, job records, batches) is one database. Nodes sharing
   * a queue need it unless those are in Postgres (`databaseUrl`; see docs/cluster.md).
   */
  sharedDataDir: boolean;
  /**
   * How long a node's claim on a running job lasts without renewal: a node killed mid-job
   * leaves the job to another after about this long. Renewed at half of it while the job runs.
   */
  lockMs: number;
}

export const CLUSTER_DEFAULTS: ClusterSettings = { redisUrl: '', s3: null, nodeId: '', sharedDataDir: false, lockMs: 30_000 };

const S3_ENV: Record<string, keyof S3Settings> = {
  LLAIS_S3_ENDPOINT: 'endpoint',
  LLAIS_S3_BUCKET: 'bucket',
  LLAIS_S3_REGION: 'region',
  LLAIS_S3_ACCESS_KEY_ID: 'accessKeyId',
  LLAIS_S3_SECRET_ACCESS_KEY: 'secretAccessKey',
  LLAIS_S3_FORCE_PATH_STYLE: 'forcePathStyle',
  LLAIS_S3_PRESIGN: 'presign',
  LLAIS_S3_PUBLIC_ENDPOINT: 'publicEndpoint',
};

function flag(name: string, raw: unknown): boolean {
  if (typeof raw === 'boolean') return raw;
  const text = String(raw).trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(text)) return true;
  if (['0', 'false', 'no', 'off'].includes(text)) return false;
  throw new Error(`config: ${name} must be true or false, got ${JSON.stringify(raw)}`);
}

function s3From(base: S3Settings | null, values: Partial<Record<keyof S3Settings, unknown>>): S3Settings | null {
  const given = Object.entries(values).filter(([, v]) => v !== undefined && v !== '');
  if (given.length === 0) return base;
  const out: S3Settings = { ...(base ?? { endpoint: '', bucket: '', region: 'us-east-1', accessKeyId: '', secretAccessKey: '', forcePathStyle: true }) };
  for (const [k, v] of given) {
    if (k === 'forcePathStyle') out.forcePathStyle = flag('LLAIS_S3_FORCE_PATH_STYLE', v);
    else if (k === 'presign') out.presign = flag('LLAIS_S3_PRESIGN', v);
    else if (k === 'publicEndpoint') out.publicEndpoint = String(v);
    else if (k in out) (out as unknown as Record<string, string>)[k] = String(v);
    else throw new Error(`config: unknown key "cluster.s3.${k}"`);
  }
  return out;
}

/** `base` with the config file's `cluster` object (if any) and then the environment applied. */
export function clusterSettingsFrom(base: ClusterSettings, file: Record<string, unknown> | undefined, env: NodeJS.ProcessEnv): ClusterSettings {
  const out: ClusterSettings = { ...base };
  for (const [k, v] of Object.entries(file ?? {})) {
    if (k === 's3') out.s3 = v === null ? null : s3From(out.s3, v as Record<string, unknown>);
    else if (k === 'redisUrl' || k === 'nodeId' || k === 'databaseUrl') out[k] = String(v);
    else if (k === 'sharedDataDir') out.sharedDataDir = flag('cluster.sharedDataDir', v);
    else if (k === 'lockMs') out.lockMs = Number(v);
    else throw new Error(`config: unknown key "cluster.${k}"`);
  }
  if (env.LLAIS_REDIS_URL) out.redisUrl = env.LLAIS_REDIS_URL;
  if (env.LLAIS_NODE_ID) out.nodeId = env.LLAIS_NODE_ID;
  if (env.LLAIS_DATABASE_URL) out.databaseUrl = env.LLAIS_DATABASE_URL;
  if (env.LLAIS_SHARED_DATA_DIR) out.sharedDataDir = flag('LLAIS_SHARED_DATA_DIR', env.LLAIS_SHARED_DATA_DIR);
  if (env.LLAIS_CLUSTER_LOCK_MS) out.lockMs = Number(env.LLAIS_CLUSTER_LOCK_MS);
  out.s3 = s3From(out.s3, Object.fromEntries(Object.entries(S3_ENV).map(([name, key]) => [key, env[name]])));
  if (!Number.isInteger(out.lockMs) || out.lockMs < 500) throw new Error(`config: cluster.lockMs (LLAIS_CLUSTER_LOCK_MS) must be a whole number of milliseconds, at least 500; got ${JSON.stringify(out.lockMs)}`);
  return out;
}

/** The node's name: the configured one, else host and process id (unique on one machine and across them). */
export function nodeIdOf(settings: ClusterSettings): string {
  return settings.nodeId || `${hostname()}-${process.pid}`;
}
