/**
 * RedisLimitStore on a real redis-server: three stores on three connections (three nodes) racing
 * 50 requests at once never let more through than the limit, for the per-window counts and for the
 * concurrency slots; a window resets on time, a refund is given back, and slots are renewed while
 * their node lives and free themselves within a lease once it stops (killed).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisLimitStore } from '../src/accounts/redis-limit-store.js';
import { clusterSkipReason, startRedis, type RedisServer } from './helpers/cluster.js';

const skip = clusterSkipReason();
if (skip && process.env.CI) throw new Error(`cluster tests cannot run on CI: ${skip}`);

describe('RedisLimitStore: exact limits across nodes', { skip }, () => {
  let server: RedisServer;
  let clients: Redis[];
  let stores: RedisLimitStore[];

  before(async () => {
    server = await startRedis();
    clients = [1, 2, 3].map(() => new Redis(server.url));
    stores = clients.map((c, i) => new RedisLimitStore(c, `node-${i}`, { slotLeaseMs: 400 }));
  });

  after(async () => {
    for (const s of stores ?? []) s.close();
    for (const c of clients ?? []) c.disconnect();
    await server?.stop();
  });

  it('50 concurrent takes spread over three nodes: exactly the limit pass', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => stores[i % 3]!.take('ip:10.0.0.1', 1, 20, 60_000)));
    assert.equal(results.filter((r) => r.allowed).length, 20);
    assert.deepEqual([...new Set(results.filter((r) => r.allowed).map((r) => r.remaining))].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
    const peek = await stores[1]!.peek('ip:10.0.0.1', 20, 60_000);
    assert.equal(peek.allowed, false);
    assert.equal(peek.remaining, 0);
    assert.ok(peek.resetMs > 0 && peek.resetMs <= 60_000);
    // A refused amount counts nothing, and a refund makes room for exactly that much.
    await stores[2]!.giveBack('ip:10.0.0.1', 2, 60_000);
    const again = await Promise.all(Array.from({ length: 10 }, (_, i) => stores[i % 3]!.take('ip:10.0.0.1', 1, 20, 60_000)));
    assert.equal(again.filter((r) => r.allowed).length, 2);
  });

  it('a window resets when its time is up', async () => {
    const first = await stores[0]!.take('account:short', 3, 3, 500);
    assert.equal(first.allowed, true);
    assert.equal((await stores[1]!.take('account:short', 1, 3, 500)).allowed, false);
    await new Promise((r) => setTimeout(r, first.resetMs + 20));
    assert.equal((await stores[2]!.take('account:short', 1, 3, 500)).allowed, true);
  });

  it('50 concurrent slot requests over three nodes: exactly max are held; a release frees one; live holders renew, a dead holder\'s lease ends', async () => {
    const held = await Promise.all(Array.from({ length: 50 }, (_, i) => stores[i % 3]!.acquire('account:acme', 7)));
    const tokens = held.filter((t): t is string => t !== null);
    assert.equal(tokens.length, 7);
    assert.equal(new Set(tokens).size, 7);
    assert.equal(await stores[0]!.acquire('account:acme', 7), null);
    const holderStore = stores[Number(/^node-(\d)/.exec(tokens[0]!)![1])]!;
    await holderStore.release('account:acme', tokens[0]!);
    assert.notEqual(await stores[1]!.acquire('account:acme', 7), null);
    assert.equal(await stores[2]!.acquire('account:acme', 7), null);
    // Live nodes renew what they hold: a lease and more later, every slot is still taken.
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(await stores[0]!.acquire('account:acme', 7), null, 'held slots are renewed');
    // Then every node "dies" (stops renewing): within one 400 ms lease the slots are free.
    for (const s of stores) s.close();
    await new Promise((r) => setTimeout(r, 550));
    const after = await Promise.all(Array.from({ length: 10 }, (_, i) => stores[i % 3]!.acquire('account:acme', 7)));
    assert.equal(after.filter((t) => t !== null).length, 7);
  });
});
