/**
 * Waits, bounded, for an ioredis connection to be ready. A node that listened before its Redis
 * connections were up answered its first queued requests with 503 `queue_unavailable` (seen on a
 * loaded machine); a node whose Redis is down at start still starts after the wait, since
 * streaming works without it.
 */
import type { Redis } from 'ioredis';

/** True once `redis` is ready, false if `timeoutMs` passes first. */
export function redisReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ready: boolean): void => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      resolve(ready);
    };
    const onReady = (): void => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    redis.on('ready', onReady);
  });
}
