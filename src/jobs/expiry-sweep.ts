/** Deletes expired results on a timer; the job row stays, marked `expired`, so polls say why. */
import type { Logger } from '../logger.js';
import type { JobStore } from './job-store.js';
import type { ResultStore } from './result-store.js';

export async function sweepExpired(store: JobStore, results: ResultStore, nowMs: number): Promise<number> {
  const expired = await store.expire(nowMs);
  for (const job of expired) await results.remove(job.uuid);
  return expired.length;
}

export function startExpirySweep(store: JobStore, results: ResultStore, intervalMs: number, logger: Logger): () => void {
  const timer = setInterval(() => {
    sweepExpired(store, results, Date.now())
      .then((n) => {
        if (n > 0) logger.info({ removed: n }, 'expired results removed');
      })
      .catch((err: unknown) => logger.error({ err }, 'expiry sweep failed'));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
