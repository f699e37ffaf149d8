/**
 * Memory per TTS worker, measured on what production runs: the compiled server (`npm start` runs
 * dist/, so no tsx in the process or its workers), built here first. The server's resident memory
 * (/proc/<pid>/status VmRSS) with 1 and with 3 TTS workers at three points: started (every
 * built-in engine loaded and warmed up, no request yet), after speaking with Flite only (the
 * default voice when no neural model is installed), and after speaking with every built-in
 * engine. Per worker = the difference / 2. RSS moves by ±15 MB per worker between runs (when each
 * isolate collects its garbage, malloc arenas), so each worker count runs REPEATS times, in turn,
 * and the table shows the mean and the range.
 *
 * No target yet: issue 11 asks for the figure to be reported and cut. The baseline beside it was
 * measured with this same bench on the code before the engines' data was shared (see BASELINE).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { OPENAI_MODEL, TEXT_200 } from './lib/fixtures.js';
import { heading, printTable } from './lib/report.js';
import { REPO_ROOT, withServer, type BenchServer } from './lib/server.js';

const WORKER_COUNTS = [1, 3] as const;
const REPEATS = 2;
const FLITE_VOICE = 'flite-slt';
/** One voice per built-in engine; Pico's only when its lingware is installed. */
const EVERY_ENGINE = [
  { voice: 'en-us', model: 'espeak' },
  { voice: FLITE_VOICE, model: 'flite' },
  { voice: 'pico-en-us', model: 'pico' },
] as const;

type Stage = 'started' | 'flite' | 'every engine';
const STAGES: readonly Stage[] = ['started', 'flite', 'every engine'];

/**
 * MB per worker at each stage on the code before sharing (commit 30309fa: every worker compiled
 * flite.wasm, kept its own 16 MB pristine image and read espeak-ng.data into its own MEMFS),
 * measured with this bench (`git checkout 30309fa -- src && node --import tsx
 * bench/worker-memory.ts`): mean and range of 4 runs per worker count on 2 shared cores.
 */
const BASELINE: Record<Stage, string> = { started: '116 (106-129)', flite: '115 (108-121)', 'every engine': '112 (95-131)' };

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** `npm run build`: the compiled server the bench starts. */
function build(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`build failed:\n${result.stdout}${result.stderr}`);
}

async function speak(server: BenchServer, workers: number, voices: readonly string[]): Promise<void> {
  // Enough parallel requests that every worker gets some of each engine's work.
  await Promise.all(
    Array.from({ length: workers * 2 }, async () => {
      for (const voice of voices) {
        const res = await fetch(`${server.url}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: OPENAI_MODEL, input: TEXT_200, voice, response_format: 'pcm' }) });
        if (res.status !== 200) throw new Error(`speech with ${voice}: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
      }
    }),
  );
}

/** Server RSS at each stage, one server run with `workers` TTS workers; lists what was not installed. */
async function measure(workers: number): Promise<{ rss: Record<Stage, number>; skipped: string[] }> {
  return withServer(
    async (server) => {
      const started = rssMb(server.pid);
      await speak(server, workers, [FLITE_VOICE]);
      const flite = rssMb(server.pid);
      const installed = EVERY_ENGINE.filter((e) => server.models.includes(e.model));
      await speak(server, workers, installed.map((e) => e.voice));
      const skipped = EVERY_ENGINE.filter((e) => !installed.includes(e)).map((e) => e.model);
      return { rss: { started, flite, 'every engine': rssMb(server.pid) }, skipped };
    },
    { env: { LLAIS_TTS_WORKERS: String(workers) }, built: true },
  );
}

export async function runWorkerMemory(): Promise<void> {
  heading(`TTS worker memory: compiled server's RSS with ${WORKER_COUNTS.join(' and ')} TTS workers, ${REPEATS} runs each`);
  build();
  const [few, many] = WORKER_COUNTS;
  const perWorker: Array<Record<Stage, number>> = [];
  let skipped: string[] = [];
  for (let run = 0; run < REPEATS; run++) {
    const one = await measure(few);
    const three = await measure(many);
    skipped = three.skipped;
    perWorker.push(Object.fromEntries(STAGES.map((s) => [s, (three.rss[s] - one.rss[s]) / (many - few)])) as Record<Stage, number>);
  }
  printTable(
    ['stage', 'per worker MB', 'range MB', 'before sharing MB'],
    STAGES.map((s) => {
      const values = perWorker.map((p) => p[s]);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      return [s, mean.toFixed(0), `${Math.min(...values).toFixed(0)}-${Math.max(...values).toFixed(0)}`, BASELINE[s]];
    }),
  );
  if (skipped.length > 0) console.log(`not installed, not spoken: ${skipped.join(', ')}`);
  console.log('per worker: no target yet (issue 11 asks for it to be reported and cut)');
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await runWorkerMemory();
