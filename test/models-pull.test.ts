/**
 * `llais models pull` against a real HTTP server on 127.0.0.1 serving generated files: the
 * download path, resume with Range, verification, the errors, and the CLI end to end.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { isInstalled, type ModelDownload } from '../src/engines/model-files.js';
import { MODEL_CATALOGUE, type ModelInfo } from '../src/engines/tts/catalogue.js';
import { PARTIAL_SUFFIX } from '../src/models/download-file.js';
import { ModelsError, type ModelsErrorCode } from '../src/models/errors.js';
import { pullModel, type PullProgress } from '../src/models/pull.js';
import { cliArgs, REPO_ROOT } from './helpers/repo.js';

interface Served {
  body: Buffer;
  /** Answer 200 with the whole file even when asked for a range. */
  ignoreRange?: boolean;
  /** Send this many bytes, then hold the connection open (the test cuts it). */
  stallAfterBytes?: number;
}

const served = new Map<string, Served>();
const requests: Array<{ path: string; range?: string; status: number }> = [];
const stalled = new Set<ServerResponse>();
let server: Server;
let base: string;
let closedPortUrl: string;
let tmpRoot: string;

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Serves `body` at `/mirror/<id>/<file>` and returns its catalogue download (url without mirror: via a redirect). */
function serveFile(id: string, file: string, body: Buffer, opts: Omit<Served, 'body'> & { pin?: boolean } = {}): ModelDownload {
  served.set(`/mirror/${id}/${file}`, { body, ...opts });
  const pin = opts.pin ?? true;
  return { file, url: `${base}/redirect/${id}/${file}`, ...(pin ? { sha256: sha256(body), bytes: body.length } : {}) };
}

function entry(id: string, downloads: ModelDownload[], extra: Partial<ModelInfo> = {}): ModelInfo {
  return {
    id,
    name: id,
    type: 'tts',
    tier: 'free',
    languages: ['en'],
    supports_cloning: false,
    supports_streaming: true,
    credits_per_1k_chars: 1,
    builtin: false,
    files: downloads.map((d) => d.file),
    downloads,
    ...extra,
  };
}

async function modelsDir(): Promise<string> {
  return mkdtemp(join(tmpRoot, 'models-'));
}

async function rejectsWith(p: Promise<unknown>, code: ModelsErrorCode, ...fragments: string[]): Promise<ModelsError> {
  const err = await p.then(
    () => assert.fail(`expected a ${code} error`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ModelsError, `a ModelsError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  for (const f of fragments) assert.ok(err.message.includes(f), `message mentions "${f}": ${err.message}`);
  return err;
}

before(async () => {
  tmpRoot = await mkdtemp(join(tmpdir(), 'llais-models-'));
  server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const answer = (status: number, headers: Record<string, string | number> = {}): void => {
      requests.push({ path, range: req.headers.range, status });
      res.writeHead(status, headers);
    };
    if (path.startsWith('/redirect/')) {
      answer(302, { location: path.replace('/redirect/', '/mirror/') });
      res.end();
      return;
    }
    const f = served.get(path);
    if (!f) {
      answer(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    const size = f.body.length;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    let start = 0;
    if (range && !f.ignoreRange) {
      start = Number(range[1]);
      if (start >= size) {
        answer(416, { 'content-range': `bytes */${size}` });
        res.end();
        return;
      }
      answer(206, { 'content-range': `bytes ${start}-${size - 1}/${size}`, 'content-length': size - start });
    } else {
      answer(200, { 'content-length': size });
    }
    const body = f.body.subarray(start);
    if (f.stallAfterBytes !== undefined) {
      const n = f.stallAfterBytes;
      delete f.stallAfterBytes; // only the first request stalls
      stalled.add(res);
      res.write(body.subarray(0, n));
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A port nothing listens on, for connection failures.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPortUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise((resolve) => probe.close(resolve));
});

after(async () => {
  for (const res of stalled) res.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(tmpRoot, { recursive: true, force: true });
});

describe('pullModel', () => {
  test('downloads every file from the mirror with the exact bytes, verified, and the model becomes installed', async () => {
    const a = randomBytes(300_000);
    const b = randomBytes(200_000);
    const m = entry('tiny', [serveFile('tiny', 'a.bin', a), serveFile('tiny', 'sub/b.bin', b)]);
    const dir = await modelsDir();
    assert.equal(isInstalled(m, dir), false);
    const events: PullProgress[] = [];
    const result = await pullModel('tiny', { modelsDir: dir, mirror: `${base}/mirror/`, catalogue: [m], onProgress: (e) => events.push(e) });
    assert.deepEqual(readFileSync(join(dir, 'tiny', 'a.bin')), a);
    assert.deepEqual(readFileSync(join(dir, 'tiny', 'sub', 'b.bin')), b);
    assert.equal(result.installed, true);
    assert.equal(isInstalled(m, dir), true);
    assert.deepEqual(
      result.files.map((f) => [f.file, f.bytes, f.sha256, f.pinned, f.downloaded]),
      [
        ['a.bin', a.length, sha256(a), true, true],
        ['sub/b.bin', b.length, sha256(b), true, true],
      ],
    );
    assert.equal(existsSync(join(dir, 'tiny', `a.bin${PARTIAL_SUFFIX}`)), false);
    const started = events.filter((e) => e.type === 'file.started');
    assert.deepEqual(started.map((e) => e.url), [`${base}/mirror/tiny/a.bin`, `${base}/mirror/tiny/sub/b.bin`]);
    const last = events.filter((e) => e.type === 'file.progress' && e.file === 'a.bin').at(-1);
    assert.deepEqual(last, { type: 'file.progress', file: 'a.bin', receivedBytes: a.length, totalBytes: a.length });
  });

  test('a second pull keeps files whose size and sha256 match, without downloading them again', async () => {
    const a = randomBytes(100_000);
    const m = entry('again', [serveFile('again', 'a.bin', a)]);
    const dir = await modelsDir();
    await pullModel('again', { modelsDir: dir, mirror: `${base}/mirror`, catalogue: [m] });
    const before = requests.length;
    const events: PullProgress[] = [];
    const result = await pullModel('again', { modelsDir: dir, mirror: `${base}/mirror`, catalogue: [m], onProgress: (e) => events.push(e) });
    assert.equal(requests.length, before, 'no request');
    assert.deepEqual(events, [{ type: 'file.present', file: 'a.bin', bytes: a.length, verified: true }]);
    assert.equal(result.files[0]?.downloaded, false);
  });

  test('without a mirror it fetches the upstream URL and follows redirects', async () => {
    const a = randomBytes(50_000);
    const m = entry('upstream', [serveFile('upstream', 'a.bin', a)]);
    const dir = await modelsDir();
    const from = requests.length;
    await pullModel('upstream', { modelsDir: dir, catalogue: [m] });
    assert.deepEqual(readFileSync(join(dir, 'upstream', 'a.bin')), a);
    assert.deepEqual(
      requests.slice(from).map((r) => [r.path, r.status]),
      [
        ['/redirect/upstream/a.bin', 302],
        ['/mirror/upstream/a.bin', 200],
      ],
    );
  });

  test('a file whose sha256 does not match is deleted: no file, no .partial, and the model stays not installed', async () => {
    const a = randomBytes(200_000);
    const d = serveFile('corrupt', 'a.bin', a);
    const m = entry('corrupt', [{ ...d, sha256: sha256(randomBytes(8)) }]);
    const dir = await modelsDir();
    await rejectsWith(pullModel('corrupt', { modelsDir: dir, mirror: `${base}/mirror`, catalogue: [m] }), 'checksum_mismatch', sha256(a), d.url.replace('/redirect/', '/mirror/'));
    assert.equal(existsSync(join(dir, 'corrupt', 'a.bin')), false);
    assert.equal(existsSync(join(dir, 'corrupt', `a.bin${PARTIAL_SUFFIX}`)), false);
    assert.equal(isInstalled(m, dir), false);
  });

  test('a size other than the pinned one fails before downloading and keeps nothing', async () => {
    const d = serveFile('resized', 'a.bin', randomBytes(10_000));
    const m = entry('resized', [{ ...d, bytes: 9_999 }]);
    const dir = await modelsDir();
    await rejectsWith(pullModel('resized', { modelsDir: dir, mirror: `${base}/mirror`, catalogue: [m] }), 'size_mismatch', '10000', '9999');
    assert.equal(existsSync(join(dir, 'resized', `a.bin${PARTIAL_SUFFIX}`)), false);
  });

  test('a connection cut mid-file keeps the .partial, and the next pull resumes it with Range to the exact file', async () => {
    const a = randomBytes(400_000);
    const cutAt = 150_000;
    const m = entry('resume', [serveFile('resume', 'a.bin', a, { stallAfterBytes: cutAt })]);
    const dir = await modelsDir();
    const partial = join(dir, 'resume', `a.bin${PARTIAL_SUFFIX}`);
    // Cut the connection once the client has written everything it was sent.
    const onProgress = (e: PullProgress): void => {
      if (e.type === 'file.progress' && e.receivedBytes === cutAt) for (const res of stalled) res.socket?.destroy();
    };
    await rejectsWith(pullModel('resume', { modelsDir: dir, mirror: `${base}/mirror`, catalogue: [m], onProgress }), 'network_error', `${base}/mirror/resume/a.bin`, `after ${cutAt} of ${a.length} bytes`, 'again to resume');
    assert.equal(statSync(partial).size, cutAt);
    assert.equal(existsSync(join(dir, 'resume', 'a.bin')), false);

    const from = requests.length;
    const events: PullProgress[] = [];
    await pullModel('resume', { modelsDir: dir, mirror: `${base}/mirror`, catalogue: [m], onProgress: (e) => events.push(e) });
    assert.deepEqual(requests.slice(from), [{ path: '/mirror/resume/a.bin', range: `bytes=${cutAt}-`, status: 206 }]);
    assert.deepEqual(readFileSync(join(dir, 'resume', 'a.bin')), a, 'the resumed file is exact');
    assert.equal(existsSync(partial), false);
    assert.deepEqual(events[0], { type: 'file.started', file: 'a.bin', url: `${base}/mirror/resume/a.bin`, resumeFromBytes: cutAt, totalBytes: a.length });
    assert.deepEqual(events.at(-1), { type: 'file.done', file: 'a.bin', bytes: a.length, sha256: sha256(a), pinned: true });
  });

  test('a server that ignores Range answers 200 and the download restarts from byte 0', async () => {
    const a = randomBytes(120_000);
    const m = entry('norange', [serveFile('norange', 'a.bin', a, { ignoreRange: true })]);
    const dir = await modelsDir();
    await mkdir(join(dir, 'norange'), { recursive: true });
    writeFileSync(join(dir, 'norange', `a.bin${PARTIAL_SUFFIX}`), randomBytes(30_000)); // stale bytes
    await pullModel('norange', { modelsDir: dir, mirror: `${base}/mirror`, catalogue: [m] });
    assert.deepEqual(readFileSync(join(dir, 'norange', 'a.bin')), a);
  });

  test('a .partial that already holds the whole file (416) is verified and put in place', async () => {
    const a = randomBytes(60_000);
    const d = serveFile('complete', 'a.bin', a);
    const m = entry('complete', [{ file: d.file, url: d.url, sha256: d.sha256 }]); // size not pinned
    const dir = await modelsDir();
    await mkdir(join(dir, 'complete'), { recursive: true });
    writeFileSync(join(dir, 'complete', `a.bin${PARTIAL_SUFFIX}`), a);
    await pullModel('complete', { modelsDir: dir, mirror: `${base}/mirror`, catalogue: [m] });
    assert.deepEqual(readFileSync(join(dir, 'complete', 'a.bin')), a);
    assert.equal(requests.at(-1)?.status, 416);
  });

  test('HTTP 404 is an http_error naming the URL and the mirror layout', async () => {
    const m = entry('missing', [{ file: 'nope.bin', url: `${base}/nowhere/nope.bin`, sha256: 'ab'.repeat(32) }]);
    const dir = await modelsDir();
    await rejectsWith(pullModel('missing', { modelsDir: dir, mirror: `${base}/mirror`, catalogue: [m] }), 'http_error', `${base}/mirror/missing/nope.bin`, '404', 'missing/nope.bin');
    await rejectsWith(pullModel('missing', { modelsDir: dir, catalogue: [m] }), 'http_error', `${base}/nowhere/nope.bin`, '404');
  });

  test('an unreachable server is a network_error with the URL and the mirror option', async () => {
    const m = entry('offline', [{ file: 'a.bin', url: `${closedPortUrl}/a.bin`, sha256: 'ab'.repeat(32) }]);
    const err = await rejectsWith(pullModel('offline', { modelsDir: await modelsDir(), catalogue: [m] }), 'network_error', `${closedPortUrl}/a.bin`, 'LLAIS_MODELS_MIRROR');
    assert.match(err.message, /ECONNREFUSED/);
  });

  test('an aborted signal stops the pull with code aborted', async () => {
    const m = entry('abort', [serveFile('abort', 'a.bin', randomBytes(1000))]);
    const signal = AbortSignal.abort();
    await rejectsWith(pullModel('abort', { modelsDir: await modelsDir(), mirror: `${base}/mirror`, catalogue: [m], signal }), 'aborted', 'again');
  });

  test('a download without a pinned sha256 is refused before anything is fetched, unless trustUnpinned', async () => {
    const a = randomBytes(30_000);
    const b = randomBytes(20_000);
    const m = entry('unpinned', [serveFile('unpinned', 'a.bin', a), serveFile('unpinned', 'b.bin', b, { pin: false })]);
    const dir = await modelsDir();
    const from = requests.length;
    await rejectsWith(pullModel('unpinned', { modelsDir: dir, mirror: `${base}/mirror`, catalogue: [m] }), 'unpinned_download', 'b.bin', '--trust-unpinned');
    assert.equal(requests.length, from, 'not even the pinned file was fetched');
    assert.equal(existsSync(join(dir, 'unpinned')), false);
    const result = await pullModel('unpinned', { modelsDir: dir, mirror: `${base}/mirror`, catalogue: [m], trustUnpinned: true });
    assert.deepEqual(
      result.files.map((f) => [f.file, f.sha256, f.pinned]),
      [
        ['a.bin', sha256(a), true],
        ['b.bin', sha256(b), false],
      ],
    );
    assert.deepEqual(readFileSync(join(dir, 'unpinned', 'b.bin')), b);
    // Once in place, the unpinned file is kept without asking again: nothing is downloaded.
    const again = await pullModel('unpinned', { modelsDir: dir, mirror: `${base}/mirror`, catalogue: [m] });
    assert.deepEqual(again.files.map((f) => f.downloaded), [false, false]);
  });

  test('an unknown id, a built-in model and a model without a download source each get a clear error', async () => {
    const dir = await modelsDir();
    await rejectsWith(pullModel('nosuch', { modelsDir: dir }), 'unknown_model', "'nosuch'", 'kokoro', 'llais models list');
    await rejectsWith(pullModel('espeak', { modelsDir: dir }), 'builtin_model', "'espeak' is built in", 'nothing to pull');
    // Pico's data files: the system-wide copy (libttspico-data) is left out, so the missing-lingware
    // path is tested whether or not this machine has it; then the found path, from the models dir.
    const pico = MODEL_CATALOGUE.find((m) => m.id === 'pico')!;
    const noSystemPico = [{ ...pico, data_dirs: [] }];
    await rejectsWith(pullModel('pico', { modelsDir: dir, catalogue: noSystemPico }), 'builtin_model', 'None were found', 'apt install libttspico-data', join(dir, 'pico'), 'en-US_ta.bin');
    await mkdir(join(dir, 'pico'), { recursive: true });
    for (const file of pico.files ?? []) writeFileSync(join(dir, 'pico', file.replace('*', 'x')), 'lingware');
    await rejectsWith(pullModel('pico', { modelsDir: dir, catalogue: noSystemPico }), 'builtin_model', `They are installed, in ${join(dir, 'pico')}`);
    await rejectsWith(pullModel('melotts', { modelsDir: dir }), 'no_download_source', 'model.onnx, tokens.txt, lexicon.txt', join(dir, 'melotts'));
    await rejectsWith(pullModel('cosyvoice2', { modelsDir: dir }), 'no_download_source', 'FunAudioLLM/CosyVoice2-0.5B', join(dir, 'cosyvoice2'));
  });
});

describe('llais models (CLI)', () => {
  const run = promisify(execFile);
  const cli = (env: Record<string, string>, ...args: string[]): Promise<{ stdout: string; stderr: string }> =>
    run(process.execPath, cliArgs('models', ...args), {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
    });

  test('pull of the real (unpinned) tortoise entry refuses without --trust-unpinned; with it, fetches from LLAIS_MODELS_MIRROR, says UNVERIFIED and prints the hashes; list and remove see it', async () => {
    const tortoise = MODEL_CATALOGUE.find((m) => m.id === 'tortoise');
    assert.ok(tortoise?.downloads);
    const bodies = new Map(tortoise.downloads.map((d) => [d.file, randomBytes(20_000 + Math.floor(Math.random() * 50_000))]));
    for (const [file, body] of bodies) serveFile('tortoise', file, body);
    const dir = await modelsDir();
    const env = { LLAIS_MODELS_MIRROR: `${base}/mirror`, LLAIS_MODELS_DIR: dir };

    const from = requests.length;
    const refused = await cli(env, 'pull', 'tortoise').then(
      () => assert.fail('expected exit 1 without --trust-unpinned'),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /pins no sha256 for autoregressive\.pth, diffusion_decoder\.pth, clvp2\.pth, vocoder\.pth of 'tortoise'/);
    assert.match(refused.stderr, /llais models pull tortoise --trust-unpinned/);
    assert.equal(requests.length, from, 'nothing was fetched');
    assert.equal(existsSync(join(dir, 'tortoise')), false);

    const pulled = await cli(env, 'pull', 'tortoise', '--trust-unpinned');
    assert.match(pulled.stdout, /installed UNVERIFIED/);
    assert.match(pulled.stderr, /autoregressive\.pth: done, .*NOT VERIFIED/);
    for (const [file, body] of bodies) {
      assert.deepEqual(readFileSync(join(dir, 'tortoise', file)), body);
      assert.ok(pulled.stdout.includes(`${sha256(body)}  tortoise/${file}`), `stdout pins ${file}`);
    }
    const progressLines = pulled.stderr.split('\n').filter((l) => l.startsWith('autoregressive.pth:'));
    assert.ok(progressLines.length >= 2 && progressLines.length <= 23, `throttled progress, got ${progressLines.length} lines`);

    const listed = await cli(env, 'list');
    assert.match(listed.stdout, new RegExp(`^tortoise +premium +installed in ${dir}/tortoise`, 'm'));
    assert.match(listed.stdout, /^kokoro +standard +not installed \(llais models pull kokoro, 353\.7 MB\)$/m);

    const removed = await cli(env, 'remove', 'tortoise');
    assert.match(removed.stdout, /tortoise: removed/);
    assert.match((await cli(env, 'list')).stdout, /^tortoise +premium +not installed/m);
  });

  test('pull exits 1 with the message for an unknown model', async () => {
    const err = await cli({ LLAIS_MODELS_DIR: await modelsDir() }, 'pull', 'nosuch').then(
      () => assert.fail('expected exit 1'),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(err.code, 1);
    assert.match(err.stderr, /^llais: Unknown model 'nosuch'/m);
  });
});
