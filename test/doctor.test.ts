/**
 * `llais doctor` run as a child process, the way an operator runs it: a healthy install passes
 * with OK lines and exit 0; a missing TLS file, a key that is not the certificate's, a port
 * another program holds, a configured model whose folder is missing, a public address without
 * keys, and a config file that does not load each FAIL with the fix and exit 1. A port held by a
 * running Llais is only a warning.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startTestApp, tempDir } from './helpers/app.js';
import { writeKokoroOnnxLayout } from './helpers/kokoro-model.js';
import { tinyPiperConfig, writeTinyVoice } from './helpers/piper-model.js';
import { selfSignedCert } from './helpers/tls.js';
import { cliArgs, REPO_ROOT } from './helpers/repo.js';

const ROOT = REPO_ROOT;

interface Run { code: number; stdout: string; lines: string[] }

/**
 * `llais doctor …` with a fresh data and models directory (`prepare` may fill the latter) and
 * only PATH (plus `env`) from this environment.
 */
async function doctor(args: string[], env: Record<string, string> = {}, prepare?: (modelsDir: string) => Promise<void>): Promise<Run> {
  const dir = await tempDir();
  await mkdir(join(dir, 'models'));
  await prepare?.(join(dir, 'models'));
  const base = ['--data-dir', join(dir, 'data'), '--models-dir', join(dir, 'models')];
  return new Promise((resolve) => {
    execFile(process.execPath, cliArgs('doctor', ...base, ...args), { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } }, (err, stdout) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, lines: stdout.split('\n') });
    });
  });
}

/** The finding named `name` and the fix line after it, as printed. */
function finding(run: Run, name: string): { line: string; fix: string } {
  const i = run.lines.findIndex((l) => new RegExp(`^(OK  |WARN|FAIL) ${name} `).test(l));
  assert.ok(i >= 0, `no '${name}' line in:\n${run.stdout}`);
  const next = run.lines[i + 1] ?? '';
  return { line: run.lines[i]!, fix: /^\s+fix: /.test(next) ? next.trim() : '' };
}

/** A port no one listens on now. */
async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  s.close();
  await once(s, 'close');
  return port;
}

describe('llais doctor', () => {
  it('a healthy default install: every line OK, exit 0', async () => {
    const run = await doctor(['--port', String(await freePort())]);
    assert.equal(run.code, 0, run.stdout);
    for (const name of ['node', 'npm dependencies', 'sqlite', 'pocketsphinx addon', 'ffmpeg', 'ffprobe', 'config', 'data dir', 'models', 'onnx providers', 'port', 'tls', 'auth', 'redis', 's3', 'database']) {
      assert.match(finding(run, name).line, /^OK {3}/, name);
    }
    assert.doesNotMatch(run.stdout, /^(WARN|FAIL)/m);
    assert.match(finding(run, 'models').line, /pocketsphinx/);
    assert.match(finding(run, 'auth').line, /this machine only/);
    assert.match(run.stdout, /0 failed, 0 warnings, 16 OK/);
  });

  it('a TLS certificate file that is missing: FAIL naming the file, the fix, exit 1', async () => {
    const dir = await tempDir();
    const config = join(dir, 'llais.json');
    const certFile = join(dir, 'nowhere', 'cert.pem');
    await writeFile(config, JSON.stringify({ tls: { certFile, keyFile: join(dir, 'key.pem') } }));
    const run = await doctor(['--config', config, '--port', String(await freePort())]);
    assert.equal(run.code, 1);
    const tls = finding(run, 'tls');
    assert.match(tls.line, new RegExp(`^FAIL .*cannot read the certificate ${certFile} \\(ENOENT\\)`));
    assert.match(tls.fix, /^fix: fix the path in tls\.certFile \(LLAIS_TLS_CERT_FILE\)/);
  });

  it('a key that is not the certificate\'s: FAIL; the matching pair: OK', async () => {
    const a = selfSignedCert(await tempDir());
    const b = selfSignedCert(await tempDir());
    const mismatched = await doctor(['--port', String(await freePort())], { LLAIS_TLS_CERT_FILE: a.certFile, LLAIS_TLS_KEY_FILE: b.keyFile });
    assert.equal(mismatched.code, 1);
    assert.match(finding(mismatched, 'tls').line, /^FAIL .*is not the key of the certificate/);
    assert.match(finding(mismatched, 'tls').fix, /the key the certificate was issued for/);
    const matched = await doctor(['--port', String(await freePort())], { LLAIS_TLS_CERT_FILE: a.certFile, LLAIS_TLS_KEY_FILE: a.keyFile });
    assert.match(finding(matched, 'tls').line, /^WARN .*expires on/, 'the test certificate lives one day');
  });

  it('a port another program holds: FAIL with how to find it and choose another, exit 1', async () => {
    // Not HTTP: it hangs up on every connection, as a database or another service would not answer /v1/health/.
    const other: Server = createServer((socket) => socket.destroy()).listen(0, '127.0.0.1');
    await once(other, 'listening');
    const { port } = other.address() as AddressInfo;
    try {
      const run = await doctor(['--port', String(port)]);
      assert.equal(run.code, 1);
      const found = finding(run, 'port');
      assert.match(found.line, new RegExp(`^FAIL .*127\\.0\\.0\\.1:${port} is in use by another program`));
      assert.match(found.fix, /choose another port: --port N, LLAIS_PORT/);
    } finally {
      other.close();
    }
  });

  it('a port held by a running Llais: a warning, not a failure', async () => {
    const app = await startTestApp();
    try {
      const run = await doctor(['--port', String(new URL(app.url).port)]);
      assert.equal(run.code, 0, run.stdout);
      assert.match(finding(run, 'port').line, /^WARN .*in use by a running Llais server/);
    } finally {
      await app.close();
    }
  });

  it('a default model whose folder is missing: FAIL with the pull command, exit 1', async () => {
    const run = await doctor(['--port', String(await freePort())], { LLAIS_DEFAULT_MODEL: 'kokoro', LLAIS_MODELS_LOAD_AT_START: 'whisper-base' });
    assert.equal(run.code, 1);
    const kokoro = finding(run, 'model kokoro');
    assert.match(kokoro.line, /^FAIL .*defaultModel names 'kokoro', which is not installed: .*models\/kokoro does not exist/);
    assert.match(kokoro.fix, /^fix: llais models pull kokoro/);
    const whisper = finding(run, 'model whisper-base');
    assert.match(whisper.line, /^FAIL .*modelsLoadAtStart/);
    assert.match(whisper.fix, /llais models pull whisper-base/);
  });

  it('installed model files are checked as their engines check them: a usable Kokoro and Piper voice OK, a corrupt Piper voice FAIL', async () => {
    const run = await doctor(['--port', String(await freePort())], { LLAIS_DEFAULT_MODEL: 'kokoro' }, async (modelsDir) => {
      await writeKokoroOnnxLayout(join(modelsDir, 'kokoro'), { af_bella: 0.5, am_adam: 0.3 });
      await writeTinyVoice(join(modelsDir, 'piper'), 'en_US-tiny-medium');
      // A config that is fine beside a model file that is not an ONNX graph at all.
      await writeFile(join(modelsDir, 'piper', 'en_GB-broken-low.onnx'), 'not a model');
      await writeFile(join(modelsDir, 'piper', 'en_GB-broken-low.onnx.json'), JSON.stringify(tinyPiperConfig()));
    });
    assert.equal(run.code, 1, run.stdout);
    assert.match(finding(run, 'model kokoro').line, /^OK {3}.*defaultModel: installed in/);
    assert.match(run.stdout, /^OK {3}model kokoro {7}kokoro-v1\.0\.onnx usable, 2 voices$/m);
    assert.match(run.stdout, /^OK {3}model piper {8}1 of 2 voices in .* usable$/m);
    const broken = run.lines.findIndex((l) => /^FAIL model piper .*voice en_GB-broken-low .*cannot be used: en_GB-broken-low\.onnx/.test(l));
    assert.ok(broken >= 0, run.stdout);
    assert.match(run.lines[broken + 1]!, /fix: llais models pull piper en_GB-broken-low fetches it again/);
  });

  it('a public address with no API key: the start rule FAILs with its fixes', async () => {
    const run = await doctor(['--host', '0.0.0.0', '--port', String(await freePort())]);
    assert.equal(run.code, 1);
    const auth = finding(run, 'auth');
    assert.match(auth.line, /^FAIL .*refusing to listen on 0\.0\.0\.0 with no API keys/);
    assert.match(auth.fix, /llais keys create --account <name>/);
    assert.match(auth.fix, /LLAIS_AUTH=open/);
  });

  it('a data directory under a file: FAIL, exit 1', async () => {
    const file = join(await tempDir(), 'not-a-folder');
    await writeFile(file, 'x');
    const run = await doctor(['--data-dir', join(file, 'data'), '--port', String(await freePort())]);
    assert.equal(run.code, 1);
    const found = finding(run, 'data dir');
    assert.match(found.line, new RegExp(`^FAIL .*${file} is a file`));
    assert.match(found.fix, /--data-dir, LLAIS_DATA_DIR/);
  });

  it('a config file that does not load: FAIL naming the problem, and the checks that need no config still run', async () => {
    const dir = await tempDir();
    const config = join(dir, 'llais.json');
    await writeFile(config, JSON.stringify({ prot: 8080 }));
    const run = await doctor(['--config', config]);
    assert.equal(run.code, 1);
    assert.match(finding(run, 'config').line, /^FAIL .*unknown key "prot"/);
    assert.match(finding(run, 'ffmpeg').line, /^OK/);
  });
});
