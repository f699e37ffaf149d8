/**
 * Aborts a running task at moments swept across its worker's module load, then closes the pool
 * while the replacement may still be loading: the two moments a worker is least safe to terminate.
 * Prints "survived N rounds" and exits 0 when the process lives. Without the pool's guards
 * (pool-shutdown.ts) about one run in five ended in SIGABRT ("v8::Module::IsGraphAsync must be
 * used on an instantiated module", or "terminate called after throwing Napi::Error").
 */
import { WorkerPool } from '../../src/workers/pool.js';

const FIRST_MS = Number(process.argv[2] ?? 40);
const LAST_MS = Number(process.argv[3] ?? 400);
const STEP_MS = 15;
let rounds = 0;
for (let delayMs = FIRST_MS; delayMs <= LAST_MS; delayMs += STEP_MS, rounds++) {
  const pool = WorkerPool.start({ threads: 1, maxQueue: 2 });
  const hold = new AbortController();
  const running = pool.selftest({ sleepMs: 60_000 }, hold.signal).catch(() => {});
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  hold.abort(new Error('replace the worker'));
  await running;
  await pool.close();
}
console.log(`survived ${rounds} rounds`);
