/**
 * `npm run bench`: every benchmark in turn, against real servers on this machine. It reports:
 * each target is marked PASS or MISS, and a missed target does not fail the run. A benchmark
 * that crashes does (exit 1), after the others have run.
 */
import { runAudioTools } from './audio-tools.js';
import { runAuth } from './auth.js';
import { runCluster } from './cluster.js';
import { runConcurrency } from './concurrency.js';
import { runEngines } from './engines.js';
import { runFirstPhrase } from './first-phrase.js';
import { runHttpCore } from './http-core.js';
import { runLiveCaptions } from './live-captions.js';
import { runLiveSpeakers } from './live-speakers.js';
import { runModels } from './models.js';
import { runRealtime } from './realtime.js';
import { runResample } from './resample.js';
import { runSpawn } from './spawn.js';
import { runStt } from './stt.js';
import { runTtfa } from './ttfa.js';
import { runVoiceIdentity } from './voice-identity.js';
import { runWorkerMemory } from './worker-memory.js';

/** The whole run takes ~9 min on 2 cores; past this something hangs, and the servers are killed on exit. */
const RUN_TIMEOUT_MS = 18 * 60_000;

const BENCHMARKS: ReadonlyArray<[string, () => Promise<void>]> = [
  ['ttfa', runTtfa],
  ['http-core', runHttpCore],
  ['auth', runAuth],
  ['engines', runEngines],
  ['concurrency', runConcurrency],
  ['first-phrase', runFirstPhrase],
  ['stt', runStt],
  ['realtime', runRealtime],
  ['live-speakers', runLiveSpeakers],
  ['live-captions', runLiveCaptions],
  ['models', runModels],
  ['worker-memory', runWorkerMemory],
  ['resample', runResample],
  ['spawn', runSpawn],
  ['audio-tools', runAudioTools],
  ['cluster', runCluster],
  ['voice-identity', runVoiceIdentity],
];

async function main(): Promise<number> {
  const watchdog = setTimeout(() => {
    console.error(`bench: still running after ${RUN_TIMEOUT_MS / 1000} s, giving up`);
    process.exit(1);
  }, RUN_TIMEOUT_MS);
  watchdog.unref();
  const started = performance.now();
  console.log(`llais benchmarks: Node ${process.version}, ${new Date().toISOString()}`);
  let failed = 0;
  for (const [name, run] of BENCHMARKS) {
    try {
      await run();
    } catch (err) {
      failed++;
      console.error(`\nbench ${name} crashed:`, err);
    }
  }
  console.log(`\nbenchmarks done in ${((performance.now() - started) / 1000).toFixed(0)} s${failed ? `, ${failed} crashed` : ''}`);
  return failed === 0 ? 0 : 1;
}

main().then((code) => process.exit(code));
