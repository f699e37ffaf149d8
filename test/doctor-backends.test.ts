/**
 * `llais doctor`'s backend checks on real servers: a working redis-server and s3rver pass; Redis on
 * a closed port and a bucket that does not exist fail with a message naming the URL (never the
 * password or keys) and the fix; unconfigured backends are reported as embedded.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { loadConfig, type Config } from '../src/config.js';
import { databaseCheck, redisCheck, s3Check } from '../src/doctor/backend-checks.js';
import { tempDir } from './helpers/app.js';
import { clusterSkipReason, startRedis, startS3, type RedisServer, type S3Server } from './helpers/cluster.js';

const skip = clusterSkipReason();
if (skip && process.env.CI) throw new Error(`cluster tests cannot run on CI: ${skip}`);

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe('llais doctor: backend checks', { skip }, () => {
  let redis: RedisServer;
  let s3: S3Server;
  let dataDir: string;

  const config = (cluster: Partial<Config['cluster']>): Config => {
    const c = loadConfig({ dataDir }, { env: {} });
    return { ...c, cluster: { ...c.cluster, ...cluster } };
  };

  before(async () => {
    [redis, s3] = await Promise.all([startRedis(), startS3()]);
    dataDir = await tempDir('llais-doctor-backends-');
  });

  after(async () => {
    await Promise.all([redis?.stop(), s3?.stop()]);
  });

  it('unconfigured backends are embedded', async () => {
    const c = config({});
    assert.match((await redisCheck(c)).detail, /not configured.*embedded/);
    assert.match((await s3Check(c)).detail, /not configured.*embedded/);
    assert.equal((await databaseCheck(c)).status, 'ok');
  });

  it('a real Redis and S3 pass', async () => {
    const c = config({ redisUrl: redis.url, s3: s3.settings });
    const r = await redisCheck(c);
    assert.equal(r.status, 'ok', r.detail);
    assert.match(r.detail, /PING, write, read and delete work/);
    const s = await s3Check(c);
    assert.equal(s.status, 'ok', s.detail);
    assert.match(s.detail, /bucket "llais".*HeadBucket, put, get and delete work/);
  });

  it('Redis on a closed port fails naming the URL without its password, and says what to fix', async () => {
    const port = await closedPort();
    const r = await redisCheck(config({ redisUrl: `redis://:s3cret-pass@127.0.0.1:${port}/0` }));
    assert.equal(r.status, 'fail');
    assert.ok(r.detail.includes(`redis://127.0.0.1:${port}/0`), r.detail);
    assert.ok(!r.detail.includes('s3cret') && !r.fix!.includes('s3cret'));
    assert.match(r.fix!, /LLAIS_REDIS_URL/);
  });

  it('a bucket that does not exist fails naming the bucket and endpoint, and says what to fix', async () => {
    const s = await s3Check(config({ s3: { ...s3.settings, bucket: 'no-such-bucket' } }));
    assert.equal(s.status, 'fail');
    assert.ok(s.detail.includes(`bucket "no-such-bucket" at ${s3.settings.endpoint}`), s.detail);
    assert.match(s.detail, /HeadBucket failed: no such bucket/);
    assert.ok(!s.detail.includes('S3RVER'), 'no credentials');
    assert.match(s.fix!, /LLAIS_S3_BUCKET/);
  });

  it('S3 on a closed port fails too', async () => {
    const port = await closedPort();
    const s = await s3Check(config({ s3: { ...s3.settings, endpoint: `http://127.0.0.1:${port}` } }));
    assert.equal(s.status, 'fail');
    assert.ok(s.detail.includes(`127.0.0.1:${port}`), s.detail);
  });
});
