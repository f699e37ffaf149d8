import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RequestTurns } from '../src/api/request-turns.js';

/** Counts event-loop iterations: a self-rescheduling immediate bumps it once per check phase. */
function loopTicker(): { now(): number; stop(): void } {
  let tick = 0;
  let stopped = false;
  const step = (): void => {
    tick++;
    if (!stopped) setImmediate(step);
  };
  setImmediate(step);
  return { now: () => tick, stop: () => void (stopped = true) };
}

test('requests that arrive together each get their own event-loop turn, in arrival order', async () => {
  const turns = new RequestTurns();
  const ticker = loopTicker();
  const seen: Array<{ request: number; tick: number }> = [];
  await Promise.all(
    Array.from({ length: 5 }, async (_, request) => {
      await turns.next();
      seen.push({ request, tick: ticker.now() });
    }),
  );
  ticker.stop();
  assert.deepEqual(seen.map((s) => s.request), [0, 1, 2, 3, 4]);
  const ticks = seen.map((s) => s.tick);
  assert.equal(new Set(ticks).size, ticks.length, `two requests shared a turn: ${ticks.join(',')}`);
  assert.equal(turns.waiting, 0);
});

test('without the queue the same requests all run in one turn (what the queue prevents)', async () => {
  const ticker = loopTicker();
  const ticks = await Promise.all(Array.from({ length: 5 }, async () => ticker.now()));
  ticker.stop();
  assert.equal(new Set(ticks).size, 1);
});

test('a request on an idle server goes at once, in the same turn', async () => {
  const turns = new RequestTurns();
  const ticker = loopTicker();
  const before = ticker.now();
  await turns.next();
  assert.equal(ticker.now(), before);
  // And once the turn has passed, the next lone request goes at once too.
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  const later = ticker.now();
  await turns.next();
  assert.equal(ticker.now(), later);
  ticker.stop();
});
