/**
 * The Whisper ONNX adapter (src/engines/stt/whisper/onnx-model.ts, load-model.ts) on generated
 * exports with the real names, types and ranks (test/helpers/whisper-model.ts): shapes, the KV
 * cache (one token at a time gives what all at once gives), beam row selection, the decoder
 * pair, cross-attention, precisions, and files that are corrupt, truncated or mismatched.
 */
import assert from 'node:assert/strict';
import { readFile, rm, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createSession, DEFAULT_ONNX_SETTINGS } from '../src/engines/onnx/settings.js';
import { exportFiles, whisperVariantFrom } from '../src/engines/stt/whisper/export-files.js';
import { checkWhisperFolder, loadWhisper, WhisperLoadError, type LoadedWhisper } from '../src/engines/stt/whisper/load-model.js';
import type { DecoderCache } from '../src/engines/stt/whisper/model.js';
import { floatData, floatTensor } from '../src/engines/stt/whisper/onnx-tensors.js';
import { transcribeWhisper } from '../src/engines/stt/whisper/transcribe.js';
import { tempDir } from './helpers/app.js';
import { TINY_AUDIO_CTX, TINY_EOT, TINY_N_MELS, TINY_SEGMENT_END_S, TINY_TEXT, TINY_VOCAB_SIZE, tinyConfig, tinyTokens, writeTinyWhisper } from './helpers/whisper-model.js';

const V = TINY_VOCAB_SIZE;
let root: string;
let merged: LoadedWhisper;
let pair: LoadedWhisper;

/** A mel window that is not all zeros, so the encoder output (and the logits) depend on it. */
function melWindow(seed: number): Float32Array {
  return Float32Array.from({ length: TINY_N_MELS * 3000 }, (_, i) => Math.sin(i * 0.001 * seed) * 0.5);
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  assert.ok(worst < 1e-4, `${what}: max difference ${worst}`);
}

before(async () => {
  root = await tempDir('llais-whisper-onnx-');
  await writeTinyWhisper(join(root, 'merged'), { crossAttentions: true });
  await writeTinyWhisper(join(root, 'pair'), { layout: 'pair' });
  merged = await loadWhisper(join(root, 'merged'), 'auto', DEFAULT_ONNX_SETTINGS);
  pair = await loadWhisper(join(root, 'pair'), 'auto', DEFAULT_ONNX_SETTINGS);
});

after(async () => {
  await merged?.model.release();
  await pair?.model.release();
  await rm(root, { recursive: true, force: true });
});

describe('shapes and names', () => {
  test('dims come from config.json and the tokenizer from tokenizer.json with the language count the vocabulary size gives', () => {
    assert.deepEqual(merged.model.dims, { nMels: 80, nAudioCtx: TINY_AUDIO_CTX, nTextCtx: 448, nVocab: V });
    assert.equal(merged.tokenizer.special.eot, TINY_EOT);
    assert.equal(merged.tokenizer.special.vocabSize, V);
    assert.equal(merged.tokenizer.multilingual, true, 'generation_config.json says is_multilingual');
    assert.deepEqual(merged.tokenizer.encode(TINY_TEXT), tinyTokens(TINY_TEXT));
    assert.equal(merged.model.hasCrossAttention, true);
    assert.equal(pair.model.hasCrossAttention, false, 'no cross_attentions outputs');
    assert.deepEqual(merged.model.alignmentHeads, [[1, 0], [1, 1]]);
  });

  test('decode gives [rows, positions, vocab] logits and a cache that counts the tokens fed', async () => {
    const audio = await merged.model.encode(melWindow(1));
    const prompt = merged.tokenizer.sotSequence({ language: 'en', task: 'transcribe', timestamps: true });
    const step = await merged.model.decode(audio, [prompt, prompt], null);
    assert.equal(step.rows, 2);
    assert.equal(step.positions, prompt.length);
    assert.equal(step.logits.length, 2 * prompt.length * V);
    assert.equal(step.cache.length, prompt.length);
    const next = await merged.model.decode(audio, [[1], [2]], step.cache);
    assert.equal(next.logits.length, 2 * V);
    assert.equal(next.cache.length, prompt.length + 1);
    await assert.rejects(merged.model.decode(audio, [[1, 2], [3]], null), /equal/);
    await assert.rejects(merged.model.encode(new Float32Array(10)), /mel window/);
  });
});

describe('the KV cache', () => {
  const tokens = (): number[] => [...merged.tokenizer.sotSequence({ language: 'en', task: 'transcribe', timestamps: true }), merged.tokenizer.special.timestampBegin, ...tinyTokens(' Hello')];

  test('feeding tokens one at a time gives the logits feeding them all at once gives', async () => {
    for (const loaded of [merged, pair]) {
      const audio = await loaded.model.encode(melWindow(2));
      const all = await loaded.model.decode(audio, [tokens()], null);
      let cache: DecoderCache | null = null;
      const stepwise: number[] = [];
      for (const t of tokens()) {
        const step = await loaded.model.decode(audio, [[t]], cache);
        stepwise.push(...step.logits);
        cache = step.cache;
      }
      assertClose(Float32Array.from(stepwise), all.logits, 'stepwise vs at once');
    }
  });

  test('the logits depend on the audio and on the earlier tokens, not only on the position', async () => {
    const a = await merged.model.encode(melWindow(3));
    const b = await merged.model.encode(melWindow(9));
    const seq = tokens();
    const la = (await merged.model.decode(a, [seq], null)).logits.slice(-V);
    const lb = (await merged.model.decode(b, [seq], null)).logits.slice(-V);
    const other = [...seq.slice(0, -1), 33];
    const lc = (await merged.model.decode(a, [other], null)).logits.slice(-V);
    assert.ok(la.some((x, i) => Math.abs(x - lb[i]!) > 1e-3), 'another audio window changes the logits');
    const prev = (await merged.model.decode(a, [[...seq.slice(0, -2), 34, seq.at(-1)!]], null)).logits.slice(-V);
    assert.ok(la.some((x, i) => Math.abs(x - prev[i]!) > 1e-3), 'an earlier token changes the logits');
    assert.ok(la.some((x, i) => Math.abs(x - lc[i]!) > 1e-3));
  });

  test('selectRows reorders and repeats rows: the next step equals decoding the picked row alone', async () => {
    const audio = await merged.model.encode(melWindow(4));
    const prompt = tokens();
    const rowA = [...prompt, 40];
    const rowB = [...prompt, 41];
    const both = await merged.model.decode(audio, [rowA, rowB], null);
    const picked = merged.model.selectRows(both.cache, [1, 1, 0]);
    assert.equal(picked.rows, 3);
    assert.equal(picked.length, rowA.length);
    const next = await merged.model.decode(audio, [[50], [51], [52]], picked);
    const aloneB = await merged.model.decode(audio, [[...rowB, 51]], null);
    const aloneA = await merged.model.decode(audio, [[...rowA, 52]], null);
    assertClose(next.logits.slice(V, 2 * V), aloneB.logits.slice(-V), 'row 1 picked');
    assertClose(next.logits.slice(2 * V), aloneA.logits.slice(-V), 'row 0 picked');
  });

  test('the decoder pair and the merged decoder compute the same network', async () => {
    const seq = tokens();
    const m = await merged.model.decode(await merged.model.encode(melWindow(5)), [seq], null);
    const p = await pair.model.decode(await pair.model.encode(melWindow(5)), [seq], null);
    assertClose(p.logits, m.logits, 'pair vs merged');
  });
});

test('crossAttention gives one [tokens, 1500] map per alignment head, each row a distribution', async () => {
  const audio = await merged.model.encode(melWindow(6));
  const seq = [...merged.tokenizer.sotSequence({ language: 'en', task: 'transcribe', timestamps: false }), ...tinyTokens(' Hello'), TINY_EOT];
  const maps = await merged.model.crossAttention!(audio, seq);
  assert.equal(maps.length, 2);
  for (const map of maps) {
    assert.equal(map.length, seq.length * TINY_AUDIO_CTX);
    const rowSum = map.subarray(0, TINY_AUDIO_CTX).reduce((s, x) => s + x, 0);
    assert.ok(Math.abs(rowSum - 1) < 1e-4, `softmax row sums to ${rowSum}`);
  }
});

test('transcribeWhisper over the adapter: greedy and beam search read the scripted text and its timestamps', async () => {
  const samples = Float32Array.from({ length: 32_000 }, (_, i) => Math.sin(i / 7) * 0.3);
  for (const beamSize of [1, 5]) {
    const t = await transcribeWhisper(pair.model, pair.tokenizer, samples, { language: 'auto', task: 'transcribe', wordTimestamps: false, beamSize });
    assert.equal(t.text, TINY_TEXT.trim());
    assert.equal(t.language, 'en', 'detected from the first window');
    assert.deepEqual(t.segments.map((s) => [s.start, s.end]), [[0, TINY_SEGMENT_END_S]]);
  }
});

test('a float16 export (`_fp16`: half inputs, outputs and cache) decodes like the float32 one, cache and beams included', async () => {
  const dir = join(root, 'fp16');
  await writeTinyWhisper(dir, { suffix: '_fp16', float16: true, crossAttentions: true });
  const probe = await createSession(join(dir, 'onnx', 'decoder_model_merged_fp16.onnx'), DEFAULT_ONNX_SETTINGS);
  const types = new Map(probe.inputMetadata.map((m) => [m.name, m.isTensor ? m.type : '']));
  assert.deepEqual([types.get('encoder_hidden_states'), types.get('past_key_values.0.decoder.key')], ['float16', 'float16'], 'the export really is half precision');
  await probe.release();
  const half = await loadWhisper(dir, 'fp16', DEFAULT_ONNX_SETTINGS);
  try {
    const seq = [...half.tokenizer.sotSequence({ language: 'en', task: 'transcribe', timestamps: true }), half.tokenizer.special.timestampBegin];
    const full = await merged.model.decode(await merged.model.encode(melWindow(7)), [seq], null);
    const audio = await half.model.encode(melWindow(7));
    const first = await half.model.decode(audio, [seq, seq], null);
    let worst = 0;
    for (let i = 0; i < full.logits.length; i++) worst = Math.max(worst, Math.abs(first.logits[i]! - full.logits[i]!));
    assert.ok(worst < 0.05, `float16 vs float32 logits differ by ${worst}`);
    const picked = half.model.selectRows(first.cache, [1]);
    const next = await half.model.decode(audio, [[72]], picked);
    assert.equal(next.logits.length, V);
    assert.equal((await half.model.crossAttention!(audio, seq)).length, 2);
    const samples = Float32Array.from({ length: 32_000 }, (_, i) => Math.sin(i / 7) * 0.3);
    const t = await transcribeWhisper(half.model, half.tokenizer, samples, { language: 'en', task: 'transcribe', wordTimestamps: true, beamSize: 2 });
    assert.equal(t.text, TINY_TEXT.trim());
  } finally {
    await half.model.release();
  }
});

test('float16 tensors round-trip float32 values at half precision', () => {
  const values = Float32Array.of(0, 1.5, -2.25, 65504, 1e-5, 0.1);
  const back = floatData(floatTensor('float16', values, [values.length]));
  assert.deepEqual([...back.slice(0, 4)], [0, 1.5, -2.25, 65504]);
  assert.ok(Math.abs(back[4]! - 1e-5) < 1e-7);
  assert.ok(Math.abs(back[5]! - 0.1) < 1e-4);
});

describe('precisions and faults', () => {
  test('auto prefers float32 and falls back to the quantized files; an absent precision lists those present', async () => {
    const dir = join(root, 'variants');
    await writeTinyWhisper(dir, { suffix: '_quantized' });
    assert.equal(exportFiles(dir, 'auto').variant, 'quantized');
    assert.throws(() => exportFiles(dir, 'fp16'), /precisions present: quantized/);
    await writeTinyWhisper(dir);
    assert.equal(exportFiles(dir, 'auto').variant, 'fp32');
    assert.equal(exportFiles(dir, 'quantized').decoder, join(dir, 'onnx', 'decoder_model_merged_quantized.onnx'));
  });

  test('whisperVariant: a published precision or auto; anything else stops the start', () => {
    assert.equal(whisperVariantFrom(' FP16 '), 'fp16');
    assert.equal(whisperVariantFrom(''), 'auto');
    assert.throws(() => whisperVariantFrom('int4'), /whisperVariant: 'int4' is not one of auto, fp32, quantized/);
  });

  const broken = async (name: string, damage: (dir: string) => Promise<void>): Promise<string> => {
    const dir = join(root, name);
    await writeTinyWhisper(dir);
    await damage(dir);
    const error = await loadWhisper(dir, 'auto', DEFAULT_ONNX_SETTINGS).then(
      (loaded) => loaded.model.release().then(() => assert.fail('loaded')),
      (e: unknown) => e,
    );
    assert.ok(error instanceof WhisperLoadError, String(error));
    return error.message;
  };

  test('a truncated decoder fails to load, naming the file', async () => {
    const message = await broken('truncated', async (dir) => {
      const path = join(dir, 'onnx', 'decoder_model_merged.onnx');
      const bytes = await readFile(path);
      await writeFile(path, bytes.subarray(0, bytes.length >> 1));
    });
    assert.match(message, /^decoder_model_merged\.onnx: /);
  });

  test('a config from another model (layers) is a mismatch, found at load', async () => {
    const message = await broken('mismatch', (dir) => writeFile(join(dir, 'config.json'), JSON.stringify({ ...tinyConfig(), decoder_layers: 4 })));
    assert.match(message, /decoder_model_merged\.onnx: .*2 layers.*config\.json says 4/);
  });

  test('a tokenizer whose special tokens sit elsewhere, or a missing file, is refused before any session', async () => {
    const dir = join(root, 'tokenizer');
    await writeTinyWhisper(dir);
    const json = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')) as { added_tokens: Array<{ id: number }> };
    json.added_tokens[1]!.id += 1;
    await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(json));
    assert.throws(() => checkWhisperFolder(dir, 'auto'), (e: unknown) => e instanceof WhisperLoadError && /^tokenizer\.json: /.test(e.message));
    await rename(join(dir, 'config.json'), join(dir, 'config.json.bak'));
    assert.throws(() => checkWhisperFolder(dir, 'auto'), /config\.json is missing/);
    await writeFile(join(dir, 'config.json'), '{"num_mel_bins": 80');
    assert.throws(() => checkWhisperFolder(dir, 'auto'), /^WhisperLoadError: config\.json: config\.json is not JSON|config\.json is not JSON/);
  });
});
