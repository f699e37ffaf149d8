/** The cluster settings (file and environment) and the start rule that refuses mixes that cannot be consistent. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { CLUSTER_DEFAULTS, clusterSettingsFrom, nodeIdOf } from '../src/cluster/cluster-config.js';
import { checkClusterStartRule } from '../src/cluster/start-rule.js';
import { loadConfig } from '../src/config.js';
import { cliArgs } from './helpers/repo.js';

const S3_ENV = { LLAIS_S3_ENDPOINT: 'http://127.0.0.1:9000', LLAIS_S3_BUCKET: 'llais', LLAIS_S3_ACCESS_KEY_ID: 'k', LLAIS_S3_SECRET_ACCESS_KEY: 's' };

describe('cluster settings', () => {
  it('default to every backend embedded', () => {
    const { cluster } = loadConfig({}, { env: {} });
    assert.deepEqual(cluster, CLUSTER_DEFAULTS);
    assert.doesNotThrow(() => checkClusterStartRule(cluster, 'serve'));
  });

  it('read LLAIS_REDIS_URL, LLAIS_S3_*, LLAIS_NODE_ID, LLAIS_SHARED_DATA_DIR and LLAIS_CLUSTER_LOCK_MS', () => {
    const { cluster } = loadConfig({}, { env: { LLAIS_REDIS_URL: 'redis://r:6379', LLAIS_NODE_ID: 'n1', LLAIS_SHARED_DATA_DIR: 'true', LLAIS_CLUSTER_LOCK_MS: '2000', ...S3_ENV, LLAIS_S3_FORCE_PATH_STYLE: 'false' } });
    assert.deepEqual(cluster, {
      redisUrl: 'redis://r:6379',
      nodeId: 'n1',
      sharedDataDir: true,
      lockMs: 2000,
      s3: { endpoint: 'http://127.0.0.1:9000', bucket: 'llais', region: 'us-east-1', accessKeyId: 'k', secretAccessKey: 's', forcePathStyle: false },
    });
    assert.equal(nodeIdOf(cluster), 'n1');
    assert.match(nodeIdOf(CLUSTER_DEFAULTS), new RegExp(`-${process.pid}$`));
  });

  it('the environment wins over the config file; unknown keys and bad values are refused', () => {
    const fromFile = clusterSettingsFrom(CLUSTER_DEFAULTS, { redisUrl: 'redis://file:6379', s3: { bucket: 'b', region: 'eu-west-1' } }, { LLAIS_REDIS_URL: 'redis://env:6379' });
    assert.equal(fromFile.redisUrl, 'redis://env:6379');
    assert.equal(fromFile.s3?.region, 'eu-west-1');
    assert.throws(() => clusterSettingsFrom(CLUSTER_DEFAULTS, { redis: 'x' }, {}), /unknown key "cluster.redis"/);
    assert.throws(() => clusterSettingsFrom(CLUSTER_DEFAULTS, undefined, { LLAIS_SHARED_DATA_DIR: 'maybe' }), /LLAIS_SHARED_DATA_DIR must be true or false/);
    assert.throws(() => clusterSettingsFrom(CLUSTER_DEFAULTS, undefined, { LLAIS_CLUSTER_LOCK_MS: '10' }), /at least 500/);
  });
});

describe('the cluster start rule', () => {
  const redis = { ...CLUSTER_DEFAULTS, redisUrl: 'redis://127.0.0.1:6379' };

  it('refuses a shared queue over per-node SQLite, and says what to set', () => {
    assert.throws(() => checkClusterStartRule(redis, 'serve'), (err: Error) => /LLAIS_SHARED_DATA_DIR=true/.test(err.message) && /Postgres/.test(err.message) && /unset LLAIS_REDIS_URL/.test(err.message));
    assert.doesNotThrow(() => checkClusterStartRule({ ...redis, sharedDataDir: true }, 'serve'));
  });

  it('refuses a worker with no queue to consume', () => {
    assert.throws(() => checkClusterStartRule(CLUSTER_DEFAULTS, 'worker'), /llais worker.*set LLAIS_REDIS_URL/s);
    assert.doesNotThrow(() => checkClusterStartRule({ ...redis, sharedDataDir: true }, 'worker'));
  });

  it('`llais worker` without a queue exits 1 with the reason, before starting anything', async () => {
    const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, cliArgs('worker', '--data-dir', '/nonexistent/llais-never-created'), { env: { PATH: process.env.PATH ?? '' } }, (err, _out, stderr) => {
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr });
      });
    });
    assert.equal(code, 1);
    assert.match(stderr, /refusing to start: `llais worker` runs jobs from the shared queue.*LLAIS_REDIS_URL/);
  });

  it('refuses half an S3 configuration and malformed URLs', () => {
    const { cluster } = loadConfig({}, { env: { LLAIS_S3_BUCKET: 'llais' } });
    assert.throws(() => checkClusterStartRule(cluster, 'serve'), /also set LLAIS_S3_ACCESS_KEY_ID, LLAIS_S3_SECRET_ACCESS_KEY/);
    const s3 = loadConfig({}, { env: { ...S3_ENV, LLAIS_S3_ENDPOINT: 'minio:9000' } }).cluster;
    assert.throws(() => checkClusterStartRule(s3, 'serve'), /LLAIS_S3_ENDPOINT must be an http/);
    assert.doesNotThrow(() => checkClusterStartRule(loadConfig({}, { env: S3_ENV }).cluster, 'serve'));
    assert.throws(() => checkClusterStartRule({ ...redis, redisUrl: 'localhost:6379', sharedDataDir: true }, 'serve'), /redis:\/\/ or rediss:\/\//);
  });

  it('takes LLAIS_DATABASE_URL (the environment over cluster.databaseUrl) in place of a shared data directory; refuses a non-Postgres URL', () => {
    const fromFile = clusterSettingsFrom(CLUSTER_DEFAULTS, { databaseUrl: 'postgres://file/llais' }, {});
    assert.equal(fromFile.databaseUrl, 'postgres://file/llais');
    assert.equal(clusterSettingsFrom(CLUSTER_DEFAULTS, { databaseUrl: 'postgres://file/llais' }, { LLAIS_DATABASE_URL: 'postgresql://env/llais' }).databaseUrl, 'postgresql://env/llais');
    assert.doesNotThrow(() => checkClusterStartRule({ ...redis, databaseUrl: 'postgres://db/llais' }, 'serve'));
    assert.doesNotThrow(() => checkClusterStartRule({ ...redis, databaseUrl: 'postgres://db/llais' }, 'worker'));
    assert.throws(() => checkClusterStartRule({ ...redis, databaseUrl: 'mysql://u:secret@db/llais' }, 'serve'), (err: Error) => /must be a postgres:\/\/ or postgresql:\/\/ URL/.test(err.message) && !err.message.includes('secret'));
    assert.throws(() => checkClusterStartRule(redis, 'serve'), /LLAIS_DATABASE_URL=postgres/);
  });

  it('read the presign settings: LLAIS_S3_PRESIGN and LLAIS_S3_PUBLIC_ENDPOINT, or cluster.s3.presign / publicEndpoint', () => {
    const env = { LLAIS_S3_ENDPOINT: 'http://minio:9000', LLAIS_S3_BUCKET: 'b', LLAIS_S3_ACCESS_KEY_ID: 'k', LLAIS_S3_SECRET_ACCESS_KEY: 's' };
    assert.equal(clusterSettingsFrom(CLUSTER_DEFAULTS, undefined, env).s3!.presign, undefined, 'off unless asked for');
    const on = clusterSettingsFrom(CLUSTER_DEFAULTS, undefined, { ...env, LLAIS_S3_PRESIGN: 'true', LLAIS_S3_PUBLIC_ENDPOINT: 'https://files.example.com' }).s3!;
    assert.equal(on.presign, true);
    assert.equal(on.publicEndpoint, 'https://files.example.com');
    const file = clusterSettingsFrom(CLUSTER_DEFAULTS, { s3: { bucket: 'b', presign: true, publicEndpoint: 'https://f' } }, {}).s3!;
    assert.equal(file.presign, true);
    assert.equal(file.publicEndpoint, 'https://f');
    assert.throws(() => clusterSettingsFrom(CLUSTER_DEFAULTS, undefined, { ...env, LLAIS_S3_PRESIGN: 'sometimes' }), /LLAIS_S3_PRESIGN must be true or false/);
  });
});
