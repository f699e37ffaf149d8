/**
 * Admission to the pool's workers in two lanes. Live voice turns (a user is waiting for the reply)
 * start before queued file transcriptions, whatever order they came in; and for a while after the
 * last live turn (`LIVE_RESERVE_MS`), file work may hold at most all workers but one, so the next
 * turn does not wait behind a long upload. A server with no live sessions keeps every worker for
 * files.
 *
 * This sits in front of Piscina rather than as its `taskQueue`: Piscina keeps abortable tasks
 * that find no free worker in an internal skip-queue that a custom task queue never sees, and
 * every task here is abortable.
 */
export type Lane = 'live' | 'batch';

/** How long after a live turn a worker stays kept for the next one: a conversation's pauses. */
export const LIVE_RESERVE_MS = 60_000;

interface Waiter {
  lane: Lane;
  start: () => void;
}

export class WorkerSlots {
  private readonly running: Record<Lane, number> = { live: 0, batch: 0 };
  private readonly waiting: Waiter[] = [];
  private lastLiveAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly threads: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Tasks waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Whether a slot is free for a task of `lane` (ignoring who else is waiting). */
  canStart(lane: Lane): boolean {
    if (this.running.live + this.running.batch >= this.threads) return false;
    if (lane === 'live') return true;
    const reserving = this.now() - this.lastLiveAt < LIVE_RESERVE_MS;
    const batchMax = reserving && this.threads > 1 ? this.threads - 1 : this.threads;
    return this.running.batch < batchMax;
  }

  /**
   * Resolves with the slot's release function once a task of `lane` may run; rejects with
   * `signal.reason` if aborted while waiting (the task then leaves the queue).
   */
  acquire(lane: Lane, signal: AbortSignal): Promise<() => void> {
    signal.throwIfAborted();
    if (lane === 'live') this.lastLiveAt = this.now();
    const take = (): (() => void) => {
      this.running[lane]++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        this.running[lane]--;
        this.pump();
      };
    };
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        lane,
        start: () => {
          signal.removeEventListener('abort', onAbort);
          resolve(take());
        },
      };
      const onAbort = (): void => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal.reason);
        this.pump();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
      this.pump();
    });
  }

  /** Starts waiting tasks while slots allow: live ones first, each lane in arrival order. */
  pump(): void {
    for (;;) {
      const live = this.waiting.find((w) => w.lane === 'live');
      const next = live ? (this.canStart('live') ? live : undefined) : this.waiting.find((w) => this.canStart(w.lane));
      if (!next) return;
      this.waiting.splice(this.waiting.indexOf(next), 1);
      next.start();
    }
  }

  /** Starts every waiting task at once (the pool is closing; they fail as they start). */
  releaseAll(): void {
    for (const w of this.waiting.splice(0)) w.start();
  }
}
