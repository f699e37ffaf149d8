/**
 * The parts of the Kokoro engine below the HTTP API: eSpeak's separated IPA re-tied as eSpeak
 * itself ties it (espeak-ng dictionary.c `GetTranslatedPhonemeString`), the whole front end on
 * the shipped eSpeak against misaki's published output, the ONNX file check against what
 * onnxruntime reads from the same file, the style row of a mix, and the registry's choices.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { readOnnxFileSignature } from '../src/engines/onnx/onnx-file-signature.js';
import { EspeakCore } from '../src/engines/tts/espeak/espeak-core.js';
import { phonemizeSentences } from '../src/engines/tts/espeak/phonemize.js';
import { tieSeparatedIpa } from '../src/engines/tts/kokoro/espeak-ties.js';
import { styleRow } from '../src/engines/tts/kokoro/kokoro-core.js';
import { espeakToKokoro } from '../src/engines/tts/kokoro/phonemes.js';
import { KokoroRegistry } from '../src/engines/tts/kokoro/registry.js';
import { STYLE_DIM, STYLE_ROWS } from '../src/engines/tts/kokoro/voices.js';
import { tempDir } from './helpers/app.js';
import { tinyPiperModel } from './helpers/piper-model.js';
import { tinyKokoroModel, voicesArchive, writeKokoroOnnxLayout, writeOnnxCommunityLayout } from './helpers/kokoro-model.js';

describe('separated eSpeak IPA -> tied IPA (espeak-ng GetTranslatedPhonemeString)', () => {
  const cases: [string, string, string][] = [
    ['a tie before each later letter of one phoneme', 'h_ə_l_ˈoʊ', 'həlˈo^ʊ'],
    ['stress marks come before the phoneme, never tied', 'tʃ_ˈɪ_p_s', 't^ʃˈɪps'],
    ['modifier letters (U+02B0–U+036F) take no tie: length', 'w_ˈɜː_l_d', 'wˈɜːld'],
    ['a letter after a length mark is tied', 'ˈɑːɹ', 'ˈɑː^ɹ'],
    ['combining marks take no tie', 'b_ɔ̃_ʒ', 'bɔ̃ʒ'],
    ['a phoneme without a separator before it (it starts with a modifier) joins the previous one', 't_ʰa', 'tʰ^a'],
    ['words and clause lines are kept', 'aɪ l_ˈaɪ_k\nt_ə', 'a^ɪ lˈa^ɪk\ntə'],
    ['empty phonemes vanish', 'p_s__ æ', 'ps æ'],
  ];
  for (const [name, separated, tied] of cases) it(name, () => assert.equal(tieSeparatedIpa(separated), tied));
});

describe('the Kokoro front end on the shipped eSpeak NG', () => {
  it("gives misaki's published phonemes for 'Hello world!' (American and British)", async () => {
    const espeak = await EspeakCore.load();
    const kokoro = (text: string, identifier: string, lang: string) =>
      phonemizeSentences(text, (clause) => tieSeparatedIpa(espeak.ipa(clause, identifier)), false).map((s) => espeakToKokoro(s, lang));
    // misaki README / kokoro-front-end.test.ts: "Hello world!" -> həlˈO wˈɜɹld! (en-us).
    assert.deepEqual(kokoro('Hello world!', 'gmw/en-US', 'en-us'), ['həlˈO wˈɜɹld!']);
    // British keeps the length mark and has misaki's Q for əʊ.
    assert.deepEqual(kokoro('Hello world!', 'gmw/en-GB-x-rp', 'en-gb'), ['həlˈQ wˈɜːld!']);
    // Tied affricates and diphthongs reach their one-symbol forms; commas stay.
    assert.deepEqual(kokoro('I like chips and judges, today.', 'gmw/en-US', 'en-us'), ['I lˈIk ʧˈɪps ænd ʤˈʌʤᵻz, tədˈA.']);
  });
});

describe('reading an ONNX file signature without loading it', () => {
  it('reads what onnxruntime reads, for both exports', async () => {
    const dir = await tempDir('llais-onnx-sig-');
    for (const id of ['kokoro-onnx', 'onnx-community'] as const) {
      const path = join(dir, `${id}.onnx`);
      await writeFile(path, tinyKokoroModel(id));
      const session = await ort.InferenceSession.create(path);
      const signature = readOnnxFileSignature(path);
      assert.deepEqual(JSON.parse(JSON.stringify(signature.inputs)), JSON.parse(JSON.stringify(session.inputMetadata)), id);
      assert.deepEqual(JSON.parse(JSON.stringify(signature.outputs)), JSON.parse(JSON.stringify(session.outputMetadata)), id);
      await session.release();
    }
  });

  it('finds a file cut anywhere, and refuses bytes that are no model', async () => {
    const dir = await tempDir('llais-onnx-sig-');
    const whole = tinyKokoroModel('kokoro-onnx');
    for (const length of [1, 20, Math.floor(whole.length / 2), whole.length - 1]) {
      const path = join(dir, `cut-${length}.onnx`);
      await writeFile(path, whole.subarray(0, length));
      assert.throws(() => readOnnxFileSignature(path), /truncated|no graph/, `cut at ${length} of ${whole.length}`);
    }
    await writeFile(join(dir, 'empty.onnx'), '');
    assert.throws(() => readOnnxFileSignature(join(dir, 'empty.onnx')), /empty/);
    await writeFile(join(dir, 'text.onnx'), 'not a model at all, just some text');
    assert.throws(() => readOnnxFileSignature(join(dir, 'text.onnx')));
  });
});

describe('the style vector of a voice or mix', () => {
  const table = (base: number) => {
    const t = new Float32Array(STYLE_ROWS * STYLE_DIM);
    for (let r = 0; r < STYLE_ROWS; r++) for (let c = 0; c < STYLE_DIM; c++) t[r * STYLE_DIM + c] = base + r;
    return t;
  };

  it('is row n for n tokens, the last row past the table, weighted by the mix', () => {
    assert.equal(styleRow([{ table: table(0), weight: 1 }], 7)[0], 7);
    assert.equal(styleRow([{ table: table(0), weight: 1 }], 10_000)[STYLE_DIM - 1], STYLE_ROWS - 1);
    const mixed = styleRow([{ table: table(0), weight: 3 }, { table: table(1000), weight: 1 }], 4);
    assert.equal(mixed.length, STYLE_DIM);
    assert.ok(Math.abs(mixed[0]! - 254) < 1e-3, String(mixed[0]));
  });
});

describe('the Kokoro registry', () => {
  it('prefers kokoro-v1.0.onnx, lists voices of both voice layouts, and names each broken file', async () => {
    const dir = join(await tempDir('llais-kokoro-reg-'), 'kokoro');
    const espeak = await EspeakCore.load();
    const registry = new KokoroRegistry(dir, espeak.listVoices());
    assert.equal(registry.installed(), false);
    await writeOnnxCommunityLayout(dir, { am_adam: 0.1 }, 'model.onnx');
    await writeKokoroOnnxLayout(dir, { af_bella: 0.2, af_sky: 0.3 });
    assert.equal(registry.installed(), true);
    assert.deepEqual(registry.entries().map((e) => e.voice.id), ['af_bella', 'af_sky', 'am_adam']);
    assert.equal(registry.workerRef('af_bella', 1)?.modelPath, join(dir, 'kokoro-v1.0.onnx'));
    assert.equal(registry.entry('af_bella(2)+am_adam')?.voice.language, 'en-us');
    assert.equal(registry.entry('af_bella+af_nobody'), undefined);
    // A voice with a prefix Kokoro does not publish, and a broken archive beside good files.
    await mkdir(join(dir, 'voices'), { recursive: true });
    await writeFile(join(dir, 'voices', 'xx_odd.bin'), Buffer.alloc(STYLE_ROWS * STYLE_DIM * 4));
    await writeFile(join(dir, 'voices-v1.0.bin'), voicesArchive({ af_bella: 0.2 }).subarray(0, 5000));
    const failures = new Map(registry.failures().map((f) => [f.voice, f.reason]));
    assert.match(failures.get('voices-v1.0.bin') ?? '', /zip/);
    assert.match(failures.get('xx_odd') ?? '', /language prefix/);
    assert.deepEqual(registry.entries().map((e) => e.voice.id), ['am_adam']);
    assert.match(registry.failureOf('af_bella')?.reason ?? '', /voices-v1\.0\.bin/);
  });

  it('refuses a model file that is another model, naming what differs, and uses the next candidate', async () => {
    const dir = join(await tempDir('llais-kokoro-reg-'), 'kokoro');
    const espeak = await EspeakCore.load();
    const registry = new KokoroRegistry(dir, espeak.listVoices());
    await writeKokoroOnnxLayout(dir, { af_bella: 0.2 });
    await writeFile(join(dir, 'kokoro-v1.0.onnx'), tinyPiperModel(false));
    assert.deepEqual(registry.entries(), []);
    assert.match(registry.failures()[0]!.reason, /^kokoro-v1\.0\.onnx: not a Kokoro v1\.0 ONNX export: .*no input named 'tokens'/);
    assert.match(registry.failureOf('af_bella')!.reason, /not a Kokoro/);
    await writeOnnxCommunityLayout(dir, {}, 'model_q4.onnx');
    assert.deepEqual(registry.entries().map((e) => e.voice.id), ['af_bella']);
    assert.equal(registry.workerRef('af_bella', 1)?.modelPath, join(dir, 'onnx', 'model_q4.onnx'));
  });
});
