/**
 * Memory per TTS worker: the server's resident memory (/proc/<pid>/status VmRSS) with 1 and with
 * 3 TTS workers, each warmed up and then having spoken the same texts with every built-in
 * engine; per worker = the difference / 2. Most of it is eSpeak's: its 24 MB data file read into
 * each worker's in-memory filesystem, its wasm2js code and heap. No target yet: the figure is
 * printed so that work to share or lazily load engine data shows up here.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { OPENAI_MODEL, TEXT_200 } from './lib/fixtures.js';
import { heading, printTable } from './lib/report.js';
import { withServer, type BenchServer } from './lib/server.js';

const WORKER_COUNTS = [1, 3] as const;
const VOICES = ['en-us', 'flite-slt', 'pico-en-us'];

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

async function speakEverything(server: BenchServer, workers: number): Promise<void> {
  // Enough parallel requests that every worker gets some of each engine's work.
  await Promise.all(
    Array.from({ length: workers * 2 }, async () => {
      for (const voice of VOICES) {
        const res = await fetch(`${server.url}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: OPENAI_MODEL, input: TEXT_200, voice, response_format: 'pcm' }) });
        if (res.status !== 200) throw new Error(`speech with ${voice}: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
      }
    }),
  );
}

export async function runWorkerMemory(): Promise<void> {
  heading(`TTS worker memory: server RSS with ${WORKER_COUNTS.join(' and ')} TTS workers after speaking with every built-in engine`);
  const rss: number[] = [];
  for (const workers of WORKER_COUNTS) {
    await withServer(async (server) => {
      await speakEverything(server, workers);
      rss.push(rssMb(server.pid));
    }, { env: { LLAIS_TTS_WORKERS: String(workers) } });
  }
  const perWorker = (rss[1]! - rss[0]!) / (WORKER_COUNTS[1] - WORKER_COUNTS[0]);
  printTable(
    ['TTS workers', 'server RSS MB'],
    WORKER_COUNTS.map((w, i) => [String(w), rss[i]!.toFixed(0)]),
  );
  console.log(`per TTS worker: ${perWorker.toFixed(0)} MB (no target yet; issue 11 asks for it to be reported and cut)`);
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await runWorkerMemory();
