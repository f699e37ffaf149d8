/**
 * Cluster mode (docs/cluster.md): queued TTS jobs per minute with 1, 2 and 3 `llais worker` nodes
 * on one shared Redis queue (a `serve` node that only accepts, jobConcurrency 0), and what the
 * shared queue adds to one job's latency (submit to completed, polled every 5 ms) against the
 * embedded in-process queue, measured in the same run on the same machine.
 *
 * Targets: 2 workers reach ≥ 1.4× the jobs/min of 1 (the queue spreads work; on a 2-core machine
 * a third worker has no core of its own, so 3 is reported, not targeted); the shared queue (results
 * on the shared disk) adds < 50 ms median latency per job. Results on S3 (s3rver here) are shown
 * beside it: the upload of each result is their extra cost.
 */
import { pathToFileURL } from 'node:url';
import { startNode, startRedis, startS3, type ClusterNode } from '../test/helpers/cluster.js';
import { tempDir } from '../test/helpers/app.js';
import { heading, ms, printTable, ratio, verdict } from './lib/report.js';

const JOBS = 30;
const LATENCY_ROUNDS = 10;
/** A few sentences: each job's synthesis, not the polling, should be what the workers share. */
const TEXT = 'A queued job of a few sentences, as a batch item would be. The workers share the queue between them. Each takes the next job when it is free.';
const TARGET_SCALING = 1.4;
const TARGET_ADDED_MS = 50;

async function submit(node: ClusterNode): Promise<string> {
  const res = await fetch(`${node.url}/v1/tts/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: TEXT, voice: 'en-us', format: 'wav' }) });
  if (res.status !== 200) throw new Error(`submit: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { uuid: string }).uuid;
}

async function waitDone(node: ClusterNode, uuid: string, pollMs: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const body = (await (await fetch(`${node.url}/v1/speech/results/?uuid=${uuid}`)).json()) as { status: string };
    if (body.status === 'completed') return;
    if (body.status === 'failed' || Date.now() > deadline) throw new Error(`job ${uuid}: ${body.status}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Jobs per minute: `JOBS` submitted at once, until the last completes. */
async function throughput(serve: ClusterNode): Promise<number> {
  const started = performance.now();
  const uuids = await Promise.all(Array.from({ length: JOBS }, () => submit(serve)));
  await Promise.all(uuids.map((u) => waitDone(serve, u, 10)));
  return JOBS / ((performance.now() - started) / 60_000);
}

/** Median submit-to-completed time of one job at a time. */
async function latency(node: ClusterNode): Promise<number> {
  await waitDone(node, await submit(node), 5); // warm-up
  const times: number[] = [];
  for (let i = 0; i < LATENCY_ROUNDS; i++) {
    const t0 = performance.now();
    await waitDone(node, await submit(node), 5);
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

export async function runCluster(): Promise<void> {
  heading(`cluster: ${JOBS} queued jobs over 1-3 worker nodes (Redis queue, S3 results); queued-job latency vs the embedded queue`);
  const [redis, s3] = await Promise.all([startRedis(), startS3()]);
  const nodes: ClusterNode[] = [];
  try {
    const embedded = await startNode('serve', { dataDir: await tempDir('llais-bench-embedded-'), jobConcurrency: 1 });
    nodes.push(embedded);
    const embeddedMs = await latency(embedded);
    await embedded.close();

    const dataDir = await tempDir('llais-bench-cluster-');
    const cluster = { redisUrl: redis.url, s3: s3.settings, nodeId: '', sharedDataDir: true, lockMs: 30_000 };
    const serve = await startNode('serve', { dataDir, jobConcurrency: 0, cluster: { ...cluster, nodeId: 'serve' } });
    nodes.push(serve);
    const perMinute: number[] = [];
    let clusterMs = 0;
    for (let n = 1; n <= 3; n++) {
      nodes.push(await startNode('worker', { dataDir, jobConcurrency: 1, cluster: { ...cluster, nodeId: `worker-${n}` } }));
      if (n === 1) clusterMs = await latency(serve);
      await throughput(serve); // warm-up of the new worker's engines
      perMinute.push(await throughput(serve));
    }
    const scaling = perMinute[1]! / perMinute[0]!;
    printTable(
      ['workers', 'jobs/min', 'vs 1 worker', 'target', 'verdict'],
      perMinute.map((jpm, i) => [String(i + 1), jpm.toFixed(0), ratio(jpm / perMinute[0]!), i === 1 ? `≥ ${TARGET_SCALING}×` : '-', i === 1 ? verdict(scaling >= TARGET_SCALING) : '-']),
    );
    // The queue hop alone: the same two roles with results on the shared disk instead of S3.
    const diskDir = await tempDir('llais-bench-cluster-disk-');
    // Another Redis database: the first cluster's workers, on another data directory, must not take these jobs.
    const diskCluster = { ...cluster, redisUrl: `${redis.url}/1`, s3: null };
    const diskServe = await startNode('serve', { dataDir: diskDir, jobConcurrency: 0, cluster: { ...diskCluster, nodeId: 'serve-disk' } });
    nodes.push(diskServe);
    nodes.push(await startNode('worker', { dataDir: diskDir, jobConcurrency: 1, cluster: { ...diskCluster, nodeId: 'worker-disk' } }));
    const diskMs = await latency(diskServe);
    const added = diskMs - embeddedMs;
    printTable(
      ['queue', 'median submit → completed', 'vs embedded', 'target', 'verdict'],
      [
        ['embedded (in-process)', `${ms(embeddedMs)} ms`, '-', '-', '-'],
        ['Redis (serve → worker), results on disk', `${ms(diskMs)} ms`, `+${ms(added)} ms`, `+ < ${TARGET_ADDED_MS} ms`, verdict(added < TARGET_ADDED_MS)],
        ['Redis (serve → worker), results on S3', `${ms(clusterMs)} ms`, `+${ms(clusterMs - embeddedMs)} ms`, '-', '-'],
      ],
    );
    console.log(`the shared queue adds ${ms(added)} ms per job, S3 results ${ms(clusterMs - diskMs)} ms more (medians of ${LATENCY_ROUNDS}); 2 workers / 1: ${ratio(scaling)}`);
  } finally {
    await Promise.all(nodes.map((n) => n.close()));
    await Promise.all([redis.stop(), s3.stop()]);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runCluster().then(() => process.exit(0));
}
