/**
 * Waiting out a full worker pool, for work nobody is on the line for.
 *
 * The pool refuses a task it has no room for with 503 `overloaded` before any of the work starts,
 * which a client on the line retries after `Retry-After`. A job already answered with 202 (async
 * audio tools and transcriptions, local or from the cluster queue) has no such client: failing it
 * `overloaded` would throw away an accepted job because of a burst. It waits its turn instead.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { ApiError } from '../errors.js';

const FIRST_WAIT_MS = 250;
const MAX_WAIT_MS = 2000;

/** Runs `start` until the pool admits it, backing off 250 ms to 2 s between tries; `signal` ends the wait. */
export async function untilAdmitted<T>(signal: AbortSignal, start: () => Promise<T>): Promise<T> {
  for (let wait = FIRST_WAIT_MS; ; wait = Math.min(wait * 2, MAX_WAIT_MS)) {
    try {
      return await start();
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 'overloaded') || signal.aborted) throw err;
    }
    // An abort while waiting: the next try throws it (the pool checks the signal first).
    await sleep(wait, undefined, { signal }).catch(() => {});
  }
}
