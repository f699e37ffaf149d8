/** Config values from the environment are checked and typed, so a typo fails at start, not later. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config.js';

describe('config values', () => {
  it('reads booleans in the usual spellings and refuses anything else', () => {
    for (const [raw, want] of [['0', false], ['false', false], ['off', false], ['No', false], ['1', true], ['true', true], [' yes ', true], ['on', true]] as const) {
      assert.equal(loadConfig({}, { env: { LLAIS_TTS_WARM_UP: raw } }).ttsWarmUp, want, raw);
    }
    assert.equal(loadConfig({}, { env: {} }).ttsWarmUp, true, 'warm-up is on by default');
    assert.throws(() => loadConfig({}, { env: { LLAIS_TTS_WARM_UP: 'maybe' } }), /ttsWarmUp must be true or false/);
  });

  it('still refuses a number that is not one', () => {
    assert.throws(() => loadConfig({}, { env: { LLAIS_TTS_WORKERS: 'many' } }), /ttsWorkers must be a number/);
  });
});
