/**
 * The rate and concurrency counters on Redis, held exactly across every node that shares it: each
 * operation is one Lua script, which Redis runs atomically, so 50 requests racing on three nodes
 * cannot pass a limit between a read and a write. The same rules as `MemoryLimitStore`, with two
 * cluster concerns: windows are aligned on the Redis server's clock (one clock for all nodes,
 * whatever their skew), and a concurrency slot is a lease that its node renews while it holds it,
 * so the slots of a node that was killed free themselves within one lease instead of blocking the
 * account.
 *
 * Asynchronous, unlike `LimitStore`: shared-gate.ts admits requests with it (the HTTP guard may
 * return a promise; the body is kept meanwhile).
 */
import type { Redis } from 'ioredis';
import type { WindowState } from './limit-store.js';

const PREFIX = 'llais:limits';

/** KEYS[1] window key prefix; ARGV amount, limit, windowMs, dry (1: peek). Returns {allowed, used, resetMs}. */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local amount, limit, window, dry = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4] == '1'
local start = now - (now % window)
local key = KEYS[1] .. ':' .. start
local used = tonumber(redis.call('GET', key) or '0')
local reset = start + window - now
if dry then return {used < limit and 1 or 0, used, reset} end
if used + amount > limit then return {0, used, reset} end
used = redis.call('INCRBY', key, amount)
redis.call('PEXPIRE', key, reset + 1000)
return {1, used, reset}`;

/** KEYS[1] window key prefix; ARGV amount, windowMs, the caller's nowMs (the window it took in). */
const GIVE_BACK = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
local key = KEYS[1] .. ':' .. (now - (now % window))
local used = tonumber(redis.call('GET', key) or '0')
if used > 0 then redis.call('DECRBY', key, math.min(used, tonumber(ARGV[1]))) end
return 1`;

/** KEYS[1] the slots' sorted set (holder -> lease end); ARGV max, holder, leaseMs. */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1`;

/** KEYS[1] the slots' sorted set; ARGV leaseMs, then the holders to renew (only those still there). */
const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
return 1`;

export interface RedisLimitStoreOptions {
  /**
   * How long a concurrency slot lasts unless renewed; its node renews it every third of this
   * while the request or session holding it runs. A slot of a node that died is free after this.
   */
  slotLeaseMs: number;
}

export class RedisLimitStore {
  private holders = 0;
  /** Slots this node holds, by counter key, renewed until released. */
  private readonly held = new Map<string, Set<string>>();
  private readonly renewer: NodeJS.Timeout;

  constructor(private readonly redis: Redis, private readonly nodeId: string, private readonly opts: RedisLimitStoreOptions) {
    this.renewer = setInterval(() => this.renew(), Math.max(50, Math.floor(opts.slotLeaseMs / 3)));
    this.renewer.unref();
  }

  /** Stops renewing: this node's slots then lapse within one lease (as if it had died). */
  close(): void {
    clearInterval(this.renewer);
  }

  private renew(): void {
    for (const [key, holders] of this.held) {
      this.redis.eval(RENEW, 1, `${PREFIX}:s:${key}`, this.opts.slotLeaseMs, ...holders).catch(() => {});
    }
  }

  /** Whether Redis is connected now (commands fail at once otherwise: no offline queue). */
  get ready(): boolean {
    return this.redis.status === 'ready';
  }

  /** Counts `amount` against `limit` in the current window when it fits; a refused call counts nothing. */
  async take(key: string, amount: number, limit: number, windowMs: number): Promise<WindowState> {
    return this.window(key, amount, limit, windowMs, false);
  }

  /** The window's state without counting. */
  async peek(key: string, limit: number, windowMs: number): Promise<WindowState> {
    return this.window(key, 0, limit, windowMs, true);
  }

  /** Gives back `amount` taken in the current window (a refunded request). */
  async giveBack(key: string, amount: number, windowMs: number): Promise<void> {
    await this.redis.eval(GIVE_BACK, 1, `${PREFIX}:w:${key}:${windowMs}`, amount, windowMs);
  }

  /** Takes one of `max` slots: the holder's token, or null when all are held. */
  async acquire(key: string, max: number): Promise<string | null> {
    const holder = `${this.nodeId}:${++this.holders}`;
    const ok = await this.redis.eval(ACQUIRE, 1, `${PREFIX}:s:${key}`, max, holder, this.opts.slotLeaseMs);
    if (ok !== 1) return null;
    const holders = this.held.get(key) ?? new Set<string>();
    this.held.set(key, holders.add(holder));
    return holder;
  }

  async release(key: string, holder: string): Promise<void> {
    const holders = this.held.get(key);
    holders?.delete(holder);
    if (holders?.size === 0) this.held.delete(key);
    await this.redis.zrem(`${PREFIX}:s:${key}`, holder);
  }

  private async window(key: string, amount: number, limit: number, windowMs: number, dry: boolean): Promise<WindowState> {
    const [allowed, used, resetMs] = (await this.redis.eval(TAKE, 1, `${PREFIX}:w:${key}:${windowMs}`, amount, limit, windowMs, dry ? '1' : '0')) as [number, number, number];
    return { allowed: allowed === 1, limit, remaining: Math.max(0, limit - used), resetMs };
  }
}
