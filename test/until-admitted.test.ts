/** untilAdmitted: an accepted job waits out `overloaded`, and only that; its signal ends the wait. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ApiError } from '../src/errors.js';
import { untilAdmitted } from '../src/workers/until-admitted.js';

const overloaded = (): ApiError => new ApiError('overloaded', 'busy');

describe('untilAdmitted', () => {
  it('tries again after `overloaded` until the work is admitted, and returns its result', async () => {
    let tries = 0;
    const result = await untilAdmitted(new AbortController().signal, async () => {
      if (++tries < 3) throw overloaded();
      return 'done';
    });
    assert.deepEqual([result, tries], ['done', 3]);
  });

  it('any other error ends it at once', async () => {
    let tries = 0;
    const failed = new ApiError('unprocessable_audio', 'bad');
    await assert.rejects(
      untilAdmitted(new AbortController().signal, async () => {
        tries++;
        throw failed;
      }),
      (err) => err === failed,
    );
    assert.equal(tries, 1);
  });

  it('an abort while waiting ends the wait: the next try sees the aborted signal (as the pool does)', async () => {
    const controller = new AbortController();
    let tries = 0;
    const run = untilAdmitted(controller.signal, async () => {
      tries++;
      controller.signal.throwIfAborted();
      throw overloaded();
    });
    setTimeout(() => controller.abort(new Error('job cancelled')), 50);
    await assert.rejects(run, /job cancelled/);
    assert.equal(tries, 2);
  });
});
