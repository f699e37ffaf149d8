/**
 * What the HTTP framework costs: `GET /v1/health/` requests per second on a real Llais server
 * (router, request ids, CORS, auth guard, metrics, request logs: everything a request goes
 * through) against a bare uWebSockets.js app and a bare node:http server that answer with the
 * same status, headers and body, in the same run. Each server is a child process on its own; one
 * load generator (bench/lib/http-load.ts, in this process) drives each in turn, rotating the
 * order every round so the machine's noise lands on all three alike. Beside the rate, each
 * server's own CPU time per request (from /proc, all its threads) shows the cost without the
 * load generator's share of the two cores.
 * Targets: Llais ≥ 0.85× bare uWS (framework cost ≤ 15 %) and ≥ 1.15× node:http.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { cpuTimes } from './lib/cpu-time.js';
import { generateLoad } from './lib/http-load.js';
import { heading, printTable, ratio, verdict } from './lib/report.js';
import { REPO_ROOT, withServer } from './lib/server.js';
import { summarize } from './lib/stats.js';

const PATH = '/v1/health/';
/**
 * One request in flight per connection, as HTTP clients send them (none of the common ones
 * pipeline; uWS also closes a connection whose pipelined request arrives while an earlier
 * response is still pending). BENCH_HTTP_PIPELINE > 1 shows the framework's cost with the
 * per-request syscalls amortised, against a health cache that stays warm.
 */
const CONNECTIONS = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 64);
const PIPELINE = Number(process.env.BENCH_HTTP_PIPELINE ?? 1);
const WARMUP_MS = 1_500;
const ROUND_MS = 2_000;
const ROUNDS = 5;
const MIN_VS_UWS = 0.85;
const MIN_VS_NODE = 1.15;
/** Headers every HTTP server writes itself; the bare servers must not write them twice. */
const TRANSPORT_HEADERS = new Set(['date', 'content-length', 'connection', 'keep-alive', 'transfer-encoding', 'uwebsockets']);

async function startBare(kind: 'uws' | 'node', response: object): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/lib/bare-http-server.ts', kind], {
    cwd: REPO_ROOT,
    env: { ...process.env, BARE_RESPONSE: JSON.stringify(response) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.once('exit', () => child.kill('SIGKILL'));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`bare ${kind} server exited with ${code}`)));
  });
  return { port: (JSON.parse(line) as { port: number }).port, child };
}

export async function runHttpCore(): Promise<void> {
  heading(`HTTP core: GET ${PATH} req/s, Llais vs bare uWS vs node:http (${CONNECTIONS} connections × ${PIPELINE} pipelined)`);
  // A cold health cache answers asynchronously, which pipelined connections do not survive.
  await withServer(async (server) => {
    const res = await fetch(`${server.url}${PATH}`);
    const body = await res.text();
    if (res.status !== 200) throw new Error(`health answered ${res.status}: ${body}`);
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      if (!TRANSPORT_HEADERS.has(k)) headers[k] = v;
    });
    const canned = { status: res.status, headers, body };
    const bareUws = await startBare('uws', canned);
    const bareNode = await startBare('node', canned);
    try {
      const llaisPort = Number(new URL(server.url).port);
      const targets = { llais: llaisPort, uws: bareUws.port, node: bareNode.port } as const;
      const pids = { llais: server.pid, uws: bareUws.child.pid!, node: bareNode.child.pid! } as const;
      type Name = keyof typeof targets;
      const names = Object.keys(targets) as Name[];
      const rates: Record<Name, number[]> = { llais: [], uws: [], node: [] };
      const cpuUs: Record<Name, number[]> = { llais: [], uws: [], node: [] };
      const mainUs: Record<Name, number[]> = { llais: [], uws: [], node: [] };
      let non200 = 0;
      const load = (port: number, durationMs: number) =>
        generateLoad({ host: '127.0.0.1', port, path: PATH, connections: CONNECTIONS, pipeline: PIPELINE, durationMs });
      for (const n of names) await load(targets[n], WARMUP_MS);
      for (let round = 0; round < ROUNDS; round++) {
        const order = names.map((_, i) => names[(i + round) % names.length]!);
        for (const n of order) {
          const before = cpuTimes(pids[n]);
          const r = await load(targets[n], ROUND_MS);
          const after = cpuTimes(pids[n]);
          rates[n].push(r.perSecond);
          cpuUs[n].push(((after.processMs - before.processMs) * 1000) / Math.max(1, r.requests));
          mainUs[n].push(((after.mainThreadMs - before.mainThreadMs) * 1000) / Math.max(1, r.requests));
          non200 += r.non200;
        }
      }
      if (non200 > 0) throw new Error(`${non200} responses were not 200: the rate limit or a failure got in the way`);
      const med = (n: Name): number => summarize(rates[n]).median;
      const vsUws = med('llais') / med('uws');
      const vsNode = med('llais') / med('node');
      printTable(
        ['server', 'rounds', 'median req/s', 'min req/s', 'max req/s', 'CPU µs/req', 'main thread µs/req'],
        names.map((n) => {
          const s = summarize(rates[n]);
          const cpu = summarize(cpuUs[n]).median;
          const main = summarize(mainUs[n]).median;
          return [n === 'llais' ? 'Llais (full stack)' : n === 'uws' ? 'bare uWebSockets.js' : 'bare node:http', String(s.n), s.median.toFixed(0), s.min.toFixed(0), s.max.toFixed(0), cpu.toFixed(1), main.toFixed(1)];
        }),
      );
      console.log(`Llais / bare uWS:  ${ratio(vsUws)} (target ≥ ${MIN_VS_UWS}×) ${verdict(vsUws >= MIN_VS_UWS)}`);
      console.log(`Llais / node:http: ${ratio(vsNode)} (target ≥ ${MIN_VS_NODE}×) ${verdict(vsNode >= MIN_VS_NODE)}`);
    } finally {
      bareUws.child.kill('SIGKILL');
      bareNode.child.kill('SIGKILL');
    }
  }, { env: { LLAIS_HEALTH_CACHE_SECONDS: '3600' } });
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await runHttpCore();
