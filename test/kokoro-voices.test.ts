/**
 * Kokoro voice files in both published layouts, built here with the real shapes: kokoro-onnx's
 * `voices-v1.0.bin` (an .npz of [510, 1, 256] float32 arrays, written the way numpy's savez
 * writes it) and onnx-community's raw per-voice `.bin`; style selection by token count, mixing,
 * and the metadata a voice id carries.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../src/errors.js';
import { NpzFormatError, readNpyFloat32 } from '../src/engines/tts/kokoro/npz.js';
import {
  MAX_MIX_VOICES, STYLE_DIM, STYLE_ROWS, isZipArchive, kokoroVoiceInfo, mixStyleTables, parseVoiceMix,
  readVoiceBin, readVoicesNpz, styleForTokens, voiceTableFor,
} from '../src/engines/tts/kokoro/voices.js';
import { npy, zip, type ZipOptions } from './helpers/kokoro-model.js';

/** A voice table whose every value says where it is: voice * 1000 + row + column / 1000. */
function table(voice: number): Float32Array {
  const t = new Float32Array(STYLE_ROWS * STYLE_DIM);
  for (let r = 0; r < STYLE_ROWS; r++) for (let c = 0; c < STYLE_DIM; c++) t[r * STYLE_DIM + c] = voice * 1000 + r + c / 1000;
  return t;
}

const SHAPE = [STYLE_ROWS, 1, STYLE_DIM];
const voicesNpz = (opts: ZipOptions = {}) => zip([['af_bella.npy', npy(table(1), SHAPE)], ['bm_george.npy', npy(table(2), SHAPE)]], opts);

function assertApiError(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ApiError, `expected ApiError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.param, 'voice');
    return true;
  });
}

describe('reading voices-v1.0.bin (.npz of [510, 1, 256] float32)', () => {
  for (const [label, opts] of [['stored', {}], ['deflated', { deflate: true }], ['as numpy savez writes it (ZIP64 local headers)', { numpyZip64: true }]] as const) {
    it(`reads every voice of a ${label} archive, values in place`, () => {
      const bytes = voicesNpz(opts);
      assert.equal(isZipArchive(bytes), true);
      const pack = readVoicesNpz(bytes);
      assert.deepEqual([...pack.keys()], ['af_bella', 'bm_george']);
      assert.deepEqual(pack.get('af_bella'), table(1));
      assert.deepEqual(pack.get('bm_george'), table(2));
    });
  }

  it('reads a 2-D [510, 256] array too, but rejects any other shape', () => {
    assert.deepEqual(readVoicesNpz(zip([['x.npy', npy(table(3), [STYLE_ROWS, STYLE_DIM])]])).get('x'), table(3));
    assert.throws(() => readVoicesNpz(zip([['x.npy', npy(new Float32Array(10 * 256), [10, 1, 256])]])), /shape \[10, 1, 256\]/);
    assert.throws(() => readVoicesNpz(zip([['x.npy', npy(table(3), [STYLE_ROWS, 2, 128])]])), NpzFormatError);
  });

  it('rejects another dtype, naming it', () => {
    assert.throws(() => readVoicesNpz(zip([['x.npy', npy(table(1), [STYLE_ROWS / 2, 1, STYLE_DIM * 2], '<f8')]])), /'<f8', expected little-endian float32/);
  });

  it('reports a truncated, corrupted or foreign file as NpzFormatError with the reason', () => {
    const good = voicesNpz({ deflate: true });
    assert.throws(() => readVoicesNpz(good.subarray(0, good.length - 100)), NpzFormatError);
    assert.throws(() => readVoicesNpz(good.subarray(0, 5000)), NpzFormatError);
    const flipped = Buffer.from(voicesNpz());
    flipped[2000] ^= 0xff; // inside af_bella's data
    assert.throws(() => readVoicesNpz(flipped), /CRC-32/);
    assert.throws(() => readVoicesNpz(Buffer.from('not a zip archive at all, just text')), /no end of central directory/);
    assert.throws(() => readVoicesNpz(zip([['readme.txt', Buffer.from('hi')]])), /no voices/);
  });

  it('reads a single .npy as numpy wrote it', () => {
    const array = readNpyFloat32(npy(Float32Array.from([1.5, -2, 3]), [3]));
    assert.deepEqual(array.shape, [3]);
    assert.deepEqual([...array.data], [1.5, -2, 3]);
  });
});

describe('reading a per-voice .bin (raw float32, 510 x 256)', () => {
  it('reads the 522240-byte table', () => {
    const t = table(4);
    const bytes = Buffer.from(t.buffer);
    assert.equal(bytes.length, 522240);
    assert.equal(isZipArchive(bytes), false);
    assert.deepEqual(readVoiceBin(bytes, 'af_sky'), t);
  });

  it('reads a table that does not start on a 4-byte boundary', () => {
    const padded = Buffer.concat([Buffer.alloc(1), Buffer.from(table(5).buffer)]);
    assert.deepEqual(readVoiceBin(padded.subarray(1), 'af_sky'), table(5));
  });

  it('rejects a file of another size, naming the sizes', () => {
    assert.throws(() => readVoiceBin(Buffer.alloc(522240 - 4), 'af_sky'), /'af_sky.bin' is 522236 bytes, expected 522240/);
  });
});

describe('style vector by token count', () => {
  const t = table(1);
  it('takes row n for n phoneme tokens (pads not counted), as kokoro-onnx and kokoro.js do', () => {
    for (const n of [0, 1, 5, 200, 509]) {
      const style = styleForTokens(t, n);
      assert.equal(style.length, STYLE_DIM);
      assert.equal(style[0], 1000 + n);
      assert.ok(Math.abs(style[255] - (1000 + n + 0.255)) < 1e-3);
    }
  });

  it('clamps past the last row and refuses a negative or fractional count', () => {
    assert.equal(styleForTokens(t, 510)[0], 1000 + 509);
    assert.throws(() => styleForTokens(t, -1), RangeError);
    assert.throws(() => styleForTokens(t, 2.5), RangeError);
  });

  it('returns a copy, so a caller cannot change the voice', () => {
    styleForTokens(t, 3).fill(0);
    assert.equal(t[3 * STYLE_DIM], 1003);
  });
});

describe('voice mixing', () => {
  const pack = new Map([['af_bella', table(1)], ['af_sky', table(3)], ['bm_george', table(7)]]);

  it('reads plain, equal and weighted mixes', () => {
    assert.deepEqual(parseVoiceMix('af_bella'), [{ voice: 'af_bella', weight: 1 }]);
    assert.deepEqual(parseVoiceMix('af_bella+af_sky'), [{ voice: 'af_bella', weight: 1 }, { voice: 'af_sky', weight: 1 }]);
    assert.deepEqual(parseVoiceMix(' af_bella(2) + af_sky(0.5) '), [{ voice: 'af_bella', weight: 2 }, { voice: 'af_sky', weight: 0.5 }]);
    assert.deepEqual(parseVoiceMix('af_bella,af_sky'), [{ voice: 'af_bella', weight: 1 }, { voice: 'af_sky', weight: 1 }]);
  });

  it('a single voice is its own table, unmixed', () => {
    assert.equal(voiceTableFor(pack, 'af_bella'), pack.get('af_bella'));
  });

  it('equal weights give the mean of the tables', () => {
    const mixed = voiceTableFor(pack, 'af_bella+af_sky');
    // (1000 + r + c/1000 + 3000 + r + c/1000) / 2 = 2000 + r + c/1000
    assert.ok(Math.abs(mixed[10 * STYLE_DIM + 7] - (2000 + 10 + 0.007)) < 1e-3);
  });

  it('weights are relative: af_bella(3)+af_sky(1) is 3/4 of one and 1/4 of the other', () => {
    const mixed = voiceTableFor(pack, 'af_bella(3)+af_sky(1)');
    const expected = 0.75 * (1000 + 4) + 0.25 * (3000 + 4);
    assert.ok(Math.abs(mixed[4 * STYLE_DIM] - expected) < 1e-3, `${mixed[4 * STYLE_DIM]} vs ${expected}`);
    assert.deepEqual(voiceTableFor(pack, 'af_bella(6)+af_sky(2)'), mixed, 'scaling all weights changes nothing');
    const three = mixStyleTables([{ table: table(1), weight: 1 }, { table: table(3), weight: 1 }, { table: table(7), weight: 2 }]);
    assert.ok(Math.abs(three[0] - (1000 + 3000 + 2 * 7000) / 4) < 1e-2);
  });

  it('rejects unknown voices with voice_not_found', () => {
    assertApiError(() => voiceTableFor(pack, 'af_nosuch'), 'voice_not_found');
    assertApiError(() => voiceTableFor(pack, 'af_bella+af_nosuch(2)'), 'voice_not_found');
  });

  it('rejects bad weights and malformed mixes with invalid_value', () => {
    for (const bad of ['af_bella(0)+af_sky', 'af_bella(-1)', 'af_bella(x)', 'af_bella()', 'af_bella(1', '', 'af_bella+', '+af_sky', 'af bella', 'af_bella(1e999)']) {
      assertApiError(() => voiceTableFor(pack, bad), 'invalid_value');
    }
    assertApiError(() => parseVoiceMix(new Array(MAX_MIX_VOICES + 1).fill('af_bella').join('+')), 'invalid_value');
    assert.equal(parseVoiceMix(new Array(MAX_MIX_VOICES).fill('af_bella').join('+')).length, MAX_MIX_VOICES);
  });
});

describe('what a voice id says (hexgrad/Kokoro-82M VOICES.md)', () => {
  it('first letter language, second letter gender, the rest the name', () => {
    const cases: [string, string, string, string, string][] = [
      ['af_bella', 'en-us', 'female', 'Bella', 'en-us'],
      ['am_michael', 'en-us', 'male', 'Michael', 'en-us'],
      ['bf_emma', 'en-gb', 'female', 'Emma', 'en-gb'],
      ['bm_george', 'en-gb', 'male', 'George', 'en-gb'],
      ['ef_dora', 'es', 'female', 'Dora', 'es'],
      ['ff_siwis', 'fr', 'female', 'Siwis', 'fr-fr'],
      ['hm_omega', 'hi', 'male', 'Omega', 'hi'],
      ['im_nicola', 'it', 'male', 'Nicola', 'it'],
      ['pm_alex', 'pt-br', 'male', 'Alex', 'pt-br'],
      ['jf_alpha', 'ja', 'female', 'Alpha', 'ja'],
      ['zf_xiaoxiao', 'zh', 'female', 'Xiaoxiao', 'cmn'],
    ];
    for (const [id, language, gender, name, espeakVoice] of cases) {
      assert.deepEqual(kokoroVoiceInfo(id), { language, gender, name, espeakVoice }, id);
    }
  });

  it('says nothing about ids without a published prefix', () => {
    for (const id of ['xf_bella', 'ax_bella', 'af', 'af_', 'Af_bella', 'bella']) assert.equal(kokoroVoiceInfo(id), undefined, id);
  });
});
