/**
 * `llais models pull piper <voice>`: any voice of the published Piper list, fetched through a
 * mirror (a real HTTP server on 127.0.0.1) laid out as the voice repository is, checked against
 * the list's sizes and MD5 digests, landing where a running server's Piper registry looks.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { ModelsError } from '../src/models/errors.js';
import { pullPiperVoice } from '../src/models/pull-piper-voice.js';
import { tinyPiperConfig, tinyPiperModel } from './helpers/piper-model.js';
import { cliArgs } from './helpers/repo.js';

const VOICE = 'de_DE-thorsten-medium';
const DIR = 'de/de_DE/thorsten/medium';
const model = Buffer.from(tinyPiperModel(false));
const config = Buffer.from(JSON.stringify(tinyPiperConfig({ espeakVoice: 'de', languageCode: 'de_DE' })));
const files = new Map<string, Buffer>([
  [`/piper/${DIR}/${VOICE}.onnx`, model],
  [`/piper/${DIR}/${VOICE}.onnx.json`, config],
]);
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

/** The shape of the published voices.json entry; `corrupt` lists a wrong digest for the model. */
function voiceList(corrupt = false): Record<string, unknown> {
  return {
    [VOICE]: {
      key: VOICE,
      name: 'thorsten',
      aliases: ['de-thorsten-medium'],
      files: {
        [`${DIR}/${VOICE}.onnx`]: { size_bytes: model.length, md5_digest: corrupt ? '0'.repeat(32) : md5(model) },
        [`${DIR}/${VOICE}.onnx.json`]: { size_bytes: config.length, md5_digest: md5(config) },
        [`${DIR}/MODEL_CARD`]: { size_bytes: 10, md5_digest: '0'.repeat(32) },
      },
    },
    'de_DE-eva_k-x_low': { key: 'de_DE-eva_k-x_low', files: {} },
  };
}

let server: Server;
let mirror: string;
let corruptList = false;
const requested: string[] = [];

before(async () => {
  server = createServer((req, res) => {
    requested.push(req.url ?? '');
    if (req.url === '/piper/voices.json') return void res.end(JSON.stringify(voiceList(corruptList)));
    const body = files.get(req.url ?? '');
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('pulls a voice by name (and by alias) into <models>/piper/, verified against the list; a second pull keeps the files', async () => {
  const modelsDir = await mkdtemp(join(tmpdir(), 'llais-piper-pull-'));
  try {
    const first = await pullPiperVoice(VOICE, { modelsDir, mirror });
    assert.equal(first.id, `piper/${VOICE}`);
    assert.deepEqual(first.files.map((f) => [f.file, f.downloaded, f.pinned]), [[`${VOICE}.onnx`, true, true], [`${VOICE}.onnx.json`, true, true]]);
    assert.deepEqual(readFileSync(join(modelsDir, 'piper', `${VOICE}.onnx`)), model);
    assert.deepEqual(readFileSync(join(modelsDir, 'piper', `${VOICE}.onnx.json`)), config);
    assert.ok(!requested.some((u) => u.endsWith('MODEL_CARD')), 'the model card is not needed to speak');
    const again = await pullPiperVoice('de-thorsten-medium', { modelsDir, mirror });
    assert.equal(again.id, `piper/${VOICE}`);
    assert.ok(again.files.every((f) => !f.downloaded && f.pinned));
  } finally {
    await rm(modelsDir, { recursive: true, force: true });
  }
});

test('an unknown voice names the voices of its language; a digest mismatch deletes the download', async () => {
  const modelsDir = await mkdtemp(join(tmpdir(), 'llais-piper-pull-'));
  try {
    await assert.rejects(pullPiperVoice('de_DE-nobody-medium', { modelsDir, mirror }), (err: unknown) => {
      assert.ok(err instanceof ModelsError && err.code === 'unknown_model');
      assert.match(err.message, /de_DE-thorsten-medium, de_DE-eva_k-x_low/);
      return true;
    });
    corruptList = true;
    await assert.rejects(pullPiperVoice(VOICE, { modelsDir, mirror }), (err: unknown) => err instanceof ModelsError && err.code === 'checksum_mismatch');
    assert.ok(!existsSync(join(modelsDir, 'piper', `${VOICE}.onnx`)));
  } finally {
    corruptList = false;
    await rm(modelsDir, { recursive: true, force: true });
  }
});

test('the CLI: `llais models pull piper <voice>` through LLAIS_MODELS_MIRROR', async () => {
  const modelsDir = await mkdtemp(join(tmpdir(), 'llais-piper-pull-'));
  try {
    const { stdout } = await promisify(execFile)(process.execPath, cliArgs('models', 'pull', 'piper', VOICE), {
      env: { ...process.env, LLAIS_MODELS_MIRROR: mirror, LLAIS_MODELS_DIR: modelsDir },
    });
    assert.match(stdout, new RegExp(`piper/${VOICE}: 2 of 2 files downloaded`));
    assert.ok(existsSync(join(modelsDir, 'piper', `${VOICE}.onnx.json`)));
  } finally {
    await rm(modelsDir, { recursive: true, force: true });
  }
});
