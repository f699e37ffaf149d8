/**
 * The neural engines' session cache on real onnxruntime sessions (tiny Piper-shaped models):
 * one load per key and version however many callers race for it, a changed file gets a fresh
 * session, and past the memory budget the least recently used idle session goes, never one in use.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { probeProviders } from '../src/engines/onnx/provider-probe.js';
import { DEFAULT_ONNX_SETTINGS, budgetBytesPerThread, createSession, parseProviders, sessionOptions } from '../src/engines/onnx/settings.js';
import { SessionCache, type CachedSession } from '../src/engines/onnx/session-cache.js';
import { startTestApp } from './helpers/app.js';
import { tinyPiperModel } from './helpers/piper-model.js';

const bytes = tinyPiperModel(false);

function loader(log: string[], key: string, size: number): () => Promise<CachedSession<string>> {
  return async () => {
    log.push(key);
    return { session: await createSession(bytes, DEFAULT_ONNX_SETTINGS), extra: key, bytes: size };
  };
}

test('concurrent users of one key share one load; a new version loads again', async () => {
  const cache = new SessionCache<string>(0);
  const loads: string[] = [];
  const results = await Promise.all([1, 2, 3].map(() => cache.use('a', 'v1', loader(loads, 'a', 10), async (s) => s.extra)));
  assert.deepEqual(results, ['a', 'a', 'a']);
  assert.deepEqual(loads, ['a']);
  await cache.use('a', 'v2', loader(loads, 'a', 10), async () => undefined);
  assert.deepEqual(loads, ['a', 'a']);
  assert.deepEqual(cache.keys(), ['a']);
  await cache.clear();
});

test('past the budget the least recently used idle session is released; one in use is kept', async () => {
  const cache = new SessionCache<string>(25);
  const loads: string[] = [];
  await cache.use('a', 'v', loader(loads, 'a', 10), async () => undefined);
  await cache.use('b', 'v', loader(loads, 'b', 10), async () => undefined);
  await cache.use('a', 'v', loader(loads, 'a', 10), async () => undefined); // a is now the most recent
  await cache.use('c', 'v', loader(loads, 'c', 10), async () => undefined);
  assert.deepEqual(cache.keys().sort(), ['a', 'c'], 'b was used longest ago');
  assert.equal(cache.heldBytes(), 20);
  // While `a` runs, a big model arrives: only idle sessions may go, so `c` goes and `a` stays.
  await cache.use('a', 'v', loader(loads, 'a', 10), async () => {
    await cache.use('d', 'v', loader(loads, 'd', 15), async () => undefined);
    assert.deepEqual(cache.keys().sort(), ['a', 'd']);
  });
  assert.deepEqual(loads, ['a', 'b', 'c', 'd']);
  await cache.clear();
});

test('settings: providers are checked at start; cpu sessions get one thread unless told', () => {
  assert.deepEqual(parseProviders('CPU'), ['cpu']);
  assert.deepEqual(parseProviders(''), ['cpu']);
  assert.throws(() => parseProviders('cpu,nosuchprovider'), /nosuchprovider.*not an execution provider/);
  const options = sessionOptions(DEFAULT_ONNX_SETTINGS);
  assert.deepEqual(options.executionProviders, ['cpu']);
  assert.equal(options.intraOpNumThreads, 1);
  assert.equal(sessionOptions({ providers: ['cpu'], threadsPerSession: 4 }).intraOpNumThreads, 4);
  assert.equal(budgetBytesPerThread(1024, 4), 256 * 1024 * 1024);
});

test('the provider probe: cpu runs; an accelerator whose libraries are absent stops the start with the fix', async (t) => {
  await probeProviders(DEFAULT_ONNX_SETTINGS);
  const ortDir = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
  const cudaLibs = readdirSync(join(ortDir, 'bin'), { recursive: true }).map(String).filter((f) => f.includes('providers_cuda'));
  if (cudaLibs.length > 0) return t.skip('this onnxruntime-node has its CUDA provider installed');
  await assert.rejects(probeProviders({ providers: ['cuda'], threadsPerSession: 0 }), /'cuda' execution provider cannot run on this machine .*To fix: install the CUDA/);
  // Before any worker starts: a refused start costs nothing and leaves nothing behind.
  await assert.rejects(startTestApp({ onnxProviders: 'cuda' }), /'cuda' execution provider cannot run/);
  await assert.rejects(startTestApp({ onnxProviders: 'cpu,tpu9000' }), /'tpu9000' is not an execution provider/);
});
