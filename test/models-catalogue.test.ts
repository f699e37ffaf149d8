/**
 * The catalogue's download sources, checked without a network: every pullable model downloads
 * the files that make it installed, and what is pinned is well-formed. Plus the pieces the CLI
 * shows: mirror URLs and throttled progress lines.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MODEL_CATALOGUE } from '../src/engines/tts/catalogue.js';
import { createProgressPrinter } from '../src/models/progress-printer.js';
import { mirrorUrl, type PullProgress } from '../src/models/pull.js';

/** The catalogue's `files` pattern rule: `*` matches within one path segment. */
function matches(pattern: string, file: string): boolean {
  const re = pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*');
  return new RegExp(`^${re}$`).test(file);
}

describe('catalogue download sources', () => {
  test('every model with downloads fetches each of its files, from https, under its own folder', () => {
    for (const m of MODEL_CATALOGUE.filter((x) => x.downloads)) {
      assert.equal(m.builtin, false, `${m.id}: built-in models have nothing to pull`);
      const names = m.downloads!.map((d) => d.file);
      assert.equal(new Set(names).size, names.length, `${m.id}: no file twice`);
      for (const pattern of m.files ?? []) assert.ok(names.some((f) => matches(pattern, f)), `${m.id}: '${pattern}' is downloaded`);
      for (const d of m.downloads!) {
        assert.match(d.url, /^https:\/\//, `${m.id}/${d.file}`);
        assert.ok(!d.file.startsWith('/') && !d.file.split('/').includes('..'), `${m.id}/${d.file} stays in its folder`);
        if (d.sha256 !== undefined) assert.match(d.sha256, /^[0-9a-f]{64}$/, `${m.id}/${d.file}`);
        if (d.bytes !== undefined) assert.ok(Number.isInteger(d.bytes) && d.bytes > 0, `${m.id}/${d.file}`);
      }
    }
  });

  test('kokoro and piper are pinned by size and sha256; models without a source say how to install by hand', () => {
    for (const id of ['kokoro', 'piper']) {
      const m = MODEL_CATALOGUE.find((x) => x.id === id);
      assert.ok(m?.downloads?.every((d) => d.sha256 && d.bytes), `${id} is pinned`);
    }
    const piper = MODEL_CATALOGUE.find((x) => x.id === 'piper');
    assert.deepEqual(piper?.downloads?.map((d) => d.file), ['en_US-lessac-medium.onnx', 'en_US-lessac-medium.onnx.json']);
    for (const m of MODEL_CATALOGUE.filter((x) => !x.builtin && !x.downloads)) {
      assert.ok((m.files?.length ?? 0) > 0 || m.manual_install, `${m.id}: a by-hand install is describable`);
    }
  });

  test('mirror URLs are <mirror>/<id>/<file> with each segment escaped', () => {
    assert.equal(mirrorUrl('http://m.lan/models/', 'piper', 'en_US-lessac-medium.onnx'), 'http://m.lan/models/piper/en_US-lessac-medium.onnx');
    assert.equal(mirrorUrl('http://m.lan', 'gpt-sovits', 'a b/s1=1.ckpt'), 'http://m.lan/gpt-sovits/a%20b/s1%3D1.ckpt');
  });
});

describe('progress printer', () => {
  const file = 'model.onnx';
  const progress = (receivedBytes: number, totalBytes?: number): PullProgress => ({ type: 'file.progress', file, receivedBytes, totalBytes });

  test('prints once per 5 % step, not per chunk, when chunks come faster than a second apart', () => {
    const lines: string[] = [];
    const print = createProgressPrinter((l) => lines.push(l), () => 0);
    const total = 1_000_000;
    print({ type: 'file.started', file, url: 'https://x/model.onnx', resumeFromBytes: 0, totalBytes: total });
    for (let got = 1000; got <= total; got += 1000) print(progress(got, total));
    print({ type: 'file.done', file, bytes: total, sha256: 'ab'.repeat(32), pinned: false });
    assert.equal(lines.length, 1 + 20 + 1);
    assert.equal(lines[1], 'model.onnx: 5%  50.0 kB of 1.0 MB');
    assert.equal(lines.at(-1), `model.onnx: done, 1.0 MB, sha256 ${'ab'.repeat(32)}, NOT VERIFIED (the catalogue pins no sha256; installed because of --trust-unpinned)`);
  });

  test('prints once a second when the size is unknown', () => {
    const lines: string[] = [];
    let nowMs = 0;
    const print = createProgressPrinter((l) => lines.push(l), () => nowMs);
    print({ type: 'file.started', file, url: 'https://x/model.onnx', resumeFromBytes: 0 });
    for (let i = 1; i <= 100; i++) {
      nowMs = i * 100; // ten chunks a second
      print(progress(i * 1000));
    }
    assert.equal(lines.length, 1 + 10);
    assert.equal(lines[1], 'model.onnx: 10.0 kB');
  });
});
