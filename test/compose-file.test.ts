/**
 * docs/docker-compose.cluster.yml cannot be run here (no Docker engine on these machines), so its
 * content is checked against the code that will read it: each Llais service's environment (the
 * image's ENV lines from the Dockerfile, then the service's own, YAML anchors and merge keys
 * resolved as Compose does) goes through the real config loader and cluster start rule for its
 * role; the nodes differ in id and data volume; every node waits for `migrate`, Redis and the
 * bucket; and the credentials the nodes use are the ones the Postgres and MinIO services are given.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { checkClusterStartRule, type NodeRole } from '../src/cluster/start-rule.js';
import { loadConfig } from '../src/config.js';
import { REPO_ROOT } from './helpers/repo.js';

interface Service {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
}

const compose = parse(readFileSync(join(REPO_ROOT, 'docs', 'docker-compose.cluster.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
/** The image's environment: the Dockerfile's `ENV k=v …` lines. */
const imageEnv = Object.fromEntries(
  readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('ENV '))
    .flatMap((l) => l.slice(4).trim().split(/\s+/).map((kv) => kv.split('=') as [string, string])),
);
const DOCKERFILE_CMD = ['node', 'dist/src/cli.js', 'serve'];

const llaisServices = Object.entries(compose.services).filter(([, s]) => s.image === 'llais');
const nodes = llaisServices
  .map(([name, s]) => ({ name, s, command: s.command ?? DOCKERFILE_CMD }))
  .filter((n) => n.command[2] === 'serve' || n.command[2] === 'worker');

describe('docs/docker-compose.cluster.yml', () => {
  it('has two serve nodes and a worker, each passing the config loader and the cluster start rule for its role', () => {
    assert.deepEqual(nodes.map((n) => n.command[2]).sort(), ['serve', 'serve', 'worker']);
    for (const { name, s, command } of nodes) {
      assert.deepEqual(command.slice(0, 2), ['node', 'dist/src/cli.js'], `${name}: the image's CLI`);
      const config = loadConfig({}, { env: { ...imageEnv, ...s.environment } });
      assert.doesNotThrow(() => checkClusterStartRule(config.cluster, command[2] as NodeRole), `${name} would refuse to start`);
      assert.match(config.cluster.databaseUrl ?? '', /^postgres:\/\/[^@]+@postgres:5432\//, `${name}: Postgres`);
      assert.match(config.cluster.redisUrl, /^redis:\/\/redis:6379/, `${name}: Redis`);
      assert.equal(config.cluster.s3?.endpoint, 'http://minio:9000', `${name}: MinIO`);
      assert.equal(config.cluster.sharedDataDir, false, `${name}: nothing shared on disk`);
      assert.equal(config.host, '0.0.0.0');
    }
  });

  it('gives every node its own id and data volume, and makes each wait for migrate, Redis and the bucket', () => {
    const ids = nodes.map((n) => n.s.environment!.LLAIS_NODE_ID);
    assert.equal(new Set(ids).size, nodes.length, `distinct node ids: ${ids.join(', ')}`);
    const volumes = nodes.map((n) => n.s.volumes?.find((v) => v.endsWith(':/data')));
    assert.ok(volumes.every((v) => v !== undefined), 'each mounts a volume at the data directory');
    assert.equal(new Set(volumes).size, nodes.length, 'no data volume shared');
    for (const { name, s } of nodes) {
      const deps = s.depends_on as Record<string, { condition: string }>;
      assert.equal(deps.migrate?.condition, 'service_completed_successfully', `${name} starts after the schema is applied`);
      assert.equal(deps.redis?.condition, 'service_healthy', name);
      assert.equal(deps['minio-bucket']?.condition, 'service_completed_successfully', name);
    }
  });

  it('runs `llais migrate` on the nodes\' database, with the credentials Postgres and MinIO are given', () => {
    const { migrate, postgres, minio } = compose.services as Record<string, Service>;
    assert.deepEqual(migrate!.command, ['node', 'dist/src/cli.js', 'migrate']);
    const url = new URL(nodes[0]!.s.environment!.LLAIS_DATABASE_URL!);
    assert.equal(migrate!.environment!.LLAIS_DATABASE_URL, url.href);
    assert.ok(nodes.every((n) => n.s.environment!.LLAIS_DATABASE_URL === url.href), 'one database for every node');
    assert.deepEqual([url.username, url.password, url.pathname.slice(1)], [postgres!.environment!.POSTGRES_USER, postgres!.environment!.POSTGRES_PASSWORD, postgres!.environment!.POSTGRES_DB]);
    const env = nodes[0]!.s.environment!;
    assert.deepEqual([env.LLAIS_S3_ACCESS_KEY_ID, env.LLAIS_S3_SECRET_ACCESS_KEY], [minio!.environment!.MINIO_ROOT_USER, minio!.environment!.MINIO_ROOT_PASSWORD]);
  });
});
