import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LIVE_RESERVE_MS, WorkerSlots } from '../src/workers/priority-queue.js';

const never = new AbortController().signal;

describe('WorkerSlots: live turns before files', () => {
  it('without live turns, files may use every worker', async () => {
    const slots = new WorkerSlots(2);
    await slots.acquire('batch', never);
    await slots.acquire('batch', never);
    assert.equal(slots.canStart('batch'), false);
  });

  it('after a live turn one worker stays kept for the next, until the reserve window passes', async () => {
    let now = 0;
    const slots = new WorkerSlots(2, () => now);
    const live = await slots.acquire('live', never);
    live();
    const file1 = await slots.acquire('batch', never);
    assert.equal(slots.canStart('batch'), false, 'second file waits: one worker is kept for live turns');
    const queued = slots.acquire('batch', never);
    assert.equal(slots.queued, 1);
    assert.equal(slots.canStart('live'), true);
    const turn = await slots.acquire('live', never);
    turn();
    now += LIVE_RESERVE_MS + 1;
    slots.pump();
    const file2 = await queued;
    assert.equal(slots.queued, 0);
    file1();
    file2();
  });

  it('a waiting task that is aborted leaves the queue with the abort reason', async () => {
    const slots = new WorkerSlots(1);
    const hold = await slots.acquire('batch', never);
    const controller = new AbortController();
    const waiting = slots.acquire('batch', controller.signal);
    const reason = new Error('gone');
    controller.abort(reason);
    await assert.rejects(waiting, (e) => e === reason);
    assert.equal(slots.queued, 0);
    hold();
    assert.equal(slots.canStart('batch'), true);
  });
});
