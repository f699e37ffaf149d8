/**
 * The streamed overlap-add (src/engines/separation/overlap-add.ts) against a direct, whole-file
 * computation of Demucs' apply_model weighting: any chunking of the input gives the same output,
 * as long as the input, whether shorter than one segment or many segments long.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { OverlapAdd, triangleWeight } from '../src/engines/separation/overlap-add.js';

/** Segment k answers its input plus k + 1 (so the cross-fade between segments is visible). */
function runner(): (x: Float32Array[]) => Promise<Float32Array[]> {
  let k = 0;
  return async (x) => {
    k++;
    return [Float32Array.from(x[0]!, (v) => v + k), Float32Array.from(x[0]!, (v) => -v)];
  };
}

/** The whole-file computation: segments every stride, zero-padded, weights summed. */
function direct(input: Float32Array, segment: number, stride: number): Float32Array[] {
  const n = input.length;
  const acc = [new Float64Array(n), new Float64Array(n)];
  const wsum = new Float64Array(n);
  const w = triangleWeight(segment);
  for (let start = 0, k = 1; start < n; start += stride, k++) {
    for (let i = 0; i < segment && start + i < n; i++) {
      acc[0]![start + i]! += w[i]! * (input[start + i]! + k);
      acc[1]![start + i]! += w[i]! * -input[start + i]!;
      wsum[start + i]! += w[i]!;
    }
  }
  return acc.map((a) => Float32Array.from(a, (v, i) => v / wsum[i]!));
}

async function streamed(input: Float32Array, segment: number, chunk: number): Promise<Float32Array[]> {
  const ola = new OverlapAdd(segment, 1, 2, runner());
  const parts: Float32Array[][] = [];
  for (let at = 0; at < input.length; at += chunk) parts.push(await ola.push([input.subarray(at, at + chunk)]));
  parts.push(await ola.flush());
  return [0, 1].map((c) => Float32Array.from(parts.flatMap((p) => [...p[c]!])));
}

describe('streamed overlap-add', () => {
  const segment = 100;
  const stride = Math.floor(0.75 * segment);
  for (const [frames, chunk] of [[0, 10], [37, 7], [100, 100], [1000, 33], [1001, 1000], [2345, 1]]) {
    it(`${frames} frames in chunks of ${chunk}: the same as the whole-file computation`, async () => {
      const input = Float32Array.from({ length: frames }, (_, i) => Math.sin(i * 0.37));
      const got = await streamed(input, segment, chunk);
      const want = direct(input, segment, stride);
      for (const c of [0, 1]) {
        assert.equal(got[c]!.length, frames);
        for (let i = 0; i < frames; i++) assert.ok(Math.abs(got[c]![i]! - want[c]![i]!) < 1e-4, `channel ${c} frame ${i}: ${got[c]![i]} vs ${want[c]![i]}`);
      }
    });
  }
});
