import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { TurnDetector, type TurnEvent, type TurnDetectorOptions } from '../src/engines/vad/turn-detector.js';

const FRAME_MS = 32;

/** Pushes one probability per frame; returns each event with the frame end time it fired at. */
function run(options: Omit<TurnDetectorOptions, 'frameMs'>, probabilities: number[]): Array<TurnEvent & { atMs: number }> {
  const detector = new TurnDetector({ ...options, frameMs: FRAME_MS });
  const events: Array<TurnEvent & { atMs: number }> = [];
  probabilities.forEach((p, i) => {
    const atMs = (i + 1) * FRAME_MS;
    const event = detector.push(p, atMs);
    if (event) events.push({ ...event, atMs });
  });
  return events;
}

const frames = (count: number, p: number): number[] => Array<number>(count).fill(p);

describe('TurnDetector', () => {
  it('reports one turn: start backed off by the prefix padding, stop after the silence duration', () => {
    // Speech from frame 20 (640 ms) to frame 50 (1600 ms), then 1 s of silence.
    const events = run({}, [...frames(20, 0.05), ...frames(30, 0.9), ...frames(32, 0.05)]);
    assert.deepEqual(events, [
      { type: 'speech_started', audioStartMs: 640 - 300, atMs: 672 },
      { type: 'speech_stopped', audioEndMs: 1600, atMs: 1600 + 16 * FRAME_MS },
    ]);
  });

  it('never reports a start before 0 ms', () => {
    const events = run({ prefixPaddingMs: 1000 }, [...frames(3, 0.1), 0.9]);
    assert.deepEqual(events, [{ type: 'speech_started', audioStartMs: 0, atMs: 4 * FRAME_MS }]);
  });

  it('silenceDurationMs decides whether a pause ends the turn', () => {
    // A 320 ms pause inside speech.
    const probabilities = [...frames(10, 0.9), ...frames(10, 0.1), ...frames(10, 0.9), ...frames(40, 0.1)];
    const short = run({ silenceDurationMs: 200 }, probabilities);
    assert.deepEqual(short.map((e) => e.type), ['speech_started', 'speech_stopped', 'speech_started', 'speech_stopped']);
    const long = run({ silenceDurationMs: 500 }, probabilities);
    assert.deepEqual(long.map((e) => e.type), ['speech_started', 'speech_stopped']);
    const stop = long[1];
    assert.equal(stop.type === 'speech_stopped' && stop.audioEndMs, 30 * FRAME_MS);
    assert.equal(stop.atMs, 30 * FRAME_MS + 16 * FRAME_MS);
  });

  it('threshold decides which frames start a turn', () => {
    const probabilities = [...frames(5, 0.1), ...frames(10, 0.6), ...frames(40, 0.1)];
    assert.equal(run({ threshold: 0.5 }, probabilities).length, 2);
    assert.equal(run({ threshold: 0.7 }, probabilities).length, 0);
  });

  it('holds a turn through dips above the release threshold (hysteresis)', () => {
    // 0.4 is below threshold 0.5 but above the release threshold 0.35: still speech.
    const probabilities = [...frames(5, 0.9), ...frames(30, 0.4), ...frames(5, 0.9), ...frames(20, 0.1)];
    const events = run({ silenceDurationMs: 300 }, probabilities);
    assert.deepEqual(events.map((e) => e.type), ['speech_started', 'speech_stopped']);
    assert.equal(events[1].type === 'speech_stopped' && events[1].audioEndMs, 40 * FRAME_MS);
  });

  it('rejects out-of-range options', () => {
    assert.throws(() => new TurnDetector({ threshold: 1.5, frameMs: FRAME_MS }), RangeError);
    assert.throws(() => new TurnDetector({ silenceDurationMs: -1, frameMs: FRAME_MS }), RangeError);
    assert.throws(() => new TurnDetector({ frameMs: 0 }), RangeError);
  });
});
