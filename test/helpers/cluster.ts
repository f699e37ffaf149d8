/**
 * What the cluster tests run on: a real `redis-server` (Debian's package) on a loopback port with
 * a temp dir, s3rver (an S3-compatible server from npm) on port 0, and Llais nodes in child
 * processes (test/helpers/cluster-node.ts) that a test can SIGKILL.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import S3rver from 's3rver';
import type { ClusterSettings } from '../../src/cluster/cluster-config.js';
import type { Config } from '../../src/config.js';
import { tempDir } from './app.js';
import { helperScriptArgs } from './repo.js';

export const REDIS_SERVER = '/usr/bin/redis-server';

/** Why the cluster tests cannot run here, or null when they can. */
export function clusterSkipReason(): string | false {
  if (spawnSync(REDIS_SERVER, ['--version']).status === 0) return false;
  return 'redis-server is not installed (apt-get install redis-server; .ci/run installs it)';
}

/** A loopback port nothing listens on (for servers the tests start: Redis, Postgres). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Starts it again on the same port (after `stop`), empty: no persistence, as after a crash. */
  start(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const dir = await tempDir('llais-redis-');
  let child: ChildProcess | null = null;
  const start = async (): Promise<void> => {
    child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! });
    for await (const line of lines) if (/Ready to accept connections/.test(line)) break;
    child.stdout!.resume();
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop: async () => {
      const c = child;
      if (!c || c.exitCode !== null) return;
      const exited = once(c, 'exit');
      c.kill('SIGKILL');
      await exited;
    },
  };
}

export interface S3Server {
  settings: NonNullable<ClusterSettings['s3']>;
  stop(): Promise<void>;
}

export async function startS3(bucket = 'llais'): Promise<S3Server> {
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: await tempDir('llais-s3-'), configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  return {
    // s3rver's fixed credentials.
    settings: { endpoint: `http://127.0.0.1:${port}`, bucket, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true },
    stop: () => server.close(),
  };
}

export interface ClusterNode {
  /** Its LLAIS_NODE_ID. */
  id: string;
  url: string;
  pid: number;
  role: 'serve' | 'worker';
  /** Every stdout line so far (pino JSON). */
  lines: string[];
  kill(): Promise<void>;
  close(): Promise<void>;
}

export async function startNode(role: 'serve' | 'worker', overrides: Partial<Config> & { dataDir: string }): Promise<ClusterNode> {
  const child = spawn(process.execPath, helperScriptArgs('cluster-node'), {
    // The AWS SDK's notice that its 2027 releases need Node 22 would repeat in every node's stderr.
    env: { ...process.env, LLAIS_TEST_OVERRIDES: JSON.stringify(overrides), LLAIS_TEST_ROLE: role, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const input = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${role} node exited (${code}) before listening`)));
    input.on('line', (line) => {
      lines.push(line);
      const m = /^LLAIS_NODE (.*)$/.exec(line);
      if (m) resolve((JSON.parse(m[1]!) as { port: number }).port);
    });
  });
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  };
  return { id: overrides.cluster?.nodeId ?? '', url: `http://127.0.0.1:${port}`, pid: child.pid!, role, lines, kill: () => stop('SIGKILL'), close: () => stop('SIGTERM') };
}

/**
 * How many of `nodes` logged `job completed` for `uuid`, once one has (up to 5 s) and a moment more
 * for a second to show. A node's log reaches the test through a pipe, so a job can read as completed
 * in the database before the line that says who ran it has arrived.
 */
export async function completedBy(nodes: ClusterNode[], uuid: string): Promise<number> {
  const count = (): number => nodes.reduce((n, node) => n + completions(node, uuid), 0);
  const deadline = Date.now() + 5000;
  while (count() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 100));
  return count();
}

/** The `job completed` log lines of job `uuid` a node wrote. */
export function completions(node: ClusterNode, uuid: string): number {
  return node.lines.filter((l) => l.includes('"job completed"') && l.includes(uuid)).length;
}
