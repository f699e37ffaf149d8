/**
 * Counters behind the rate limits: requests per window, work in flight, and characters per day.
 * `LimitStore` is the seam a cluster would put Redis behind (INCR with EXPIRE, a counter per
 * key); `MemoryLimitStore` serves one process. Its operations are synchronous and complete in one
 * call, so on Node's single thread no interleaving can let an extra request past a limit.
 *
 * Windows are fixed and aligned to multiples of their length since the epoch (a minute starts
 * on the minute, a day at 00:00 UTC), so `resetMs` is the same for every client.
 */

export interface WindowState {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until the window resets. */
  resetMs: number;
}

export interface LimitStore {
  /** Counts `amount` against `limit` in the current window when it fits; a refused call counts nothing. */
  take(key: string, amount: number, limit: number, windowMs: number, nowMs: number): WindowState;
  /** The window's state without counting. */
  peek(key: string, limit: number, windowMs: number, nowMs: number): WindowState;
  /** Gives back `amount` taken in the window that contains `nowMs` (a refunded anonymous request). */
  giveBack(key: string, amount: number, windowMs: number, nowMs: number): void;
  /** Takes one of `max` slots; false when all are held. */
  acquire(key: string, max: number): boolean;
  release(key: string): void;
}

interface Window { start: number; used: number; windowMs: number }

export class MemoryLimitStore implements LimitStore {
  private readonly windows = new Map<string, Window>();
  private readonly slots = new Map<string, number>();
  private lastSweepMs = 0;

  take(key: string, amount: number, limit: number, windowMs: number, nowMs: number): WindowState {
    this.sweep(nowMs);
    const w = this.current(key, windowMs, nowMs);
    const allowed = w.used + amount <= limit;
    if (allowed) w.used += amount;
    return this.state(w, allowed, limit, nowMs);
  }

  peek(key: string, limit: number, windowMs: number, nowMs: number): WindowState {
    const w = this.windows.get(`${key}|${windowMs}`);
    const live = w && w.start === alignedStart(windowMs, nowMs) ? w : { start: alignedStart(windowMs, nowMs), used: 0, windowMs };
    return this.state(live, live.used < limit, limit, nowMs);
  }

  giveBack(key: string, amount: number, windowMs: number, nowMs: number): void {
    const w = this.windows.get(`${key}|${windowMs}`);
    if (w && w.start === alignedStart(windowMs, nowMs)) w.used = Math.max(0, w.used - amount);
  }

  acquire(key: string, max: number): boolean {
    const held = this.slots.get(key) ?? 0;
    if (held >= max) return false;
    this.slots.set(key, held + 1);
    return true;
  }

  release(key: string): void {
    const held = this.slots.get(key) ?? 0;
    if (held <= 1) this.slots.delete(key);
    else this.slots.set(key, held - 1);
  }

  private current(key: string, windowMs: number, nowMs: number): Window {
    const id = `${key}|${windowMs}`;
    const start = alignedStart(windowMs, nowMs);
    let w = this.windows.get(id);
    if (!w || w.start !== start) {
      w = { start, used: 0, windowMs };
      this.windows.set(id, w);
    }
    return w;
  }

  private state(w: Window, allowed: boolean, limit: number, nowMs: number): WindowState {
    return { allowed, limit, remaining: Math.max(0, limit - w.used), resetMs: w.start + w.windowMs - nowMs };
  }

  /** Drops finished windows at most once a minute, so idle clients cost no memory. */
  private sweep(nowMs: number): void {
    if (nowMs - this.lastSweepMs < SWEEP_INTERVAL_MS) return;
    this.lastSweepMs = nowMs;
    for (const [id, w] of this.windows) if (w.start + w.windowMs <= nowMs) this.windows.delete(id);
  }
}

/** Finished windows are dropped this often; a minute keeps the map near the number of active clients. */
const SWEEP_INTERVAL_MS = 60_000;

function alignedStart(windowMs: number, nowMs: number): number {
  return nowMs - (nowMs % windowMs);
}
