/**
 * The F5-TTS engine (src/engines/voice/f5-tts.ts) against tiny graphs with the export's names,
 * types and ranks (helpers/f5-model.ts): the reference audio and the text both reach the model
 * (the output's value follows each), the frame budget follows upstream's formula, all 32
 * flow-matching steps run, the cancel flag stops between steps, and a wrong file is a 424.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { ApiError } from '../src/errors.js';
import { F5_FILES, f5Clone, f5MaxDuration, f5TextIds, parseVocab, type F5Paths } from '../src/engines/voice/f5-tts.js';
import { tempDir } from './helpers/app.js';
import { tinyF5Models, TINY_F5_MELS } from './helpers/f5-model.js';
import { tinySpeakerModel } from './helpers/speaker-model.js';

const VOCAB = [' ', '!', '"', "'", ',', '.', ...'abcdefghijklmnopqrstuvwxyz', ...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'];

function tone(seconds: number, amplitude: number): Int16Array {
  return Int16Array.from({ length: Math.round(seconds * 24_000) }, (_, n) => Math.round(amplitude * Math.sin((2 * Math.PI * 200 * n) / 24_000)));
}

const meanAbs = (pcm: Int16Array): number => pcm.reduce((a, x) => a + Math.abs(x), 0) / pcm.length;

describe('F5-TTS engine (tiny graphs in the DakeQQ/F5-TTS-ONNX layout)', () => {
  let paths: F5Paths;
  before(async () => {
    const dir = join(await tempDir(), 'f5-tts');
    await mkdir(dir, { recursive: true });
    const tiny = tinyF5Models();
    paths = { preprocess: join(dir, F5_FILES.preprocess), transformer: join(dir, F5_FILES.transformer), decode: join(dir, F5_FILES.decode), vocab: join(dir, F5_FILES.vocab) };
    await writeFile(paths.preprocess, tiny.preprocess);
    await writeFile(paths.transformer, tiny.transformer);
    await writeFile(paths.decode, tiny.decode);
    await writeFile(paths.vocab, `${VOCAB.join('\n')}\n`);
  });

  it('tokenizes as upstream: one id per character, line number as id, smart quotes and ; mapped, unknown 0', () => {
    const vocab = parseVocab(`${VOCAB.join('\n')}\n`);
    assert.equal(vocab.size, VOCAB.length);
    assert.deepEqual([...f5TextIds('Hi, “a”;’é', vocab)], [VOCAB.indexOf('H'), VOCAB.indexOf('i'), VOCAB.indexOf(','), VOCAB.indexOf(' '), VOCAB.indexOf('"'), VOCAB.indexOf('a'), VOCAB.indexOf('"'), VOCAB.indexOf(','), VOCAB.indexOf("'"), 0]);
    // 48000 samples: 188 frames; 10 bytes of reference text, 5 of new text: 188 + 94.
    assert.equal(f5MaxDuration(48_000, 'abcdefghij', 'abcde'), 282);
    assert.equal(f5MaxDuration(48_000, 'abcdefghij', 'abcde', 2), 235);
    // Each Chinese pause mark counts 3 more bytes (upstream's zh_pause_punc).
    assert.equal(f5MaxDuration(48_000, 'abcdefghij', '。'), 188 + Math.floor((188 / 10) * 6));
  });

  it('reference and text both reach the model; all 32 steps run; output length is the budget after the reference', async () => {
    const vocab = parseVocab(`${VOCAB.join('\n')}\n`);
    const expect = (ref: Int16Array, refText: string, text: string): { value: number; length: number } => {
      const ids = f5TextIds(refText + text, vocab);
      const meanId = ids.reduce((s, x) => s + x, 0) / ids.length;
      const frames = f5MaxDuration(ref.length, refText, text) - (Math.floor(ref.length / 256) + 1);
      // 32 steps of cat_mel_text / 32 add the mean id once: 31 would leave 1/32 of it out.
      return { value: 100 * (meanAbs(ref) / 32768 + meanId), length: frames * TINY_F5_MELS };
    };
    const [quiet, loud] = [tone(2, 1000), tone(2, 30_000)];
    const cases: Array<[Int16Array, string, string]> = [
      [quiet, 'the birch canoe', 'glue the sheet'],
      [loud, 'the birch canoe', 'glue the sheet'],
      [quiet, 'the birch canoe', 'GLUE THE SHEET'],
      [tone(3, 1000), 'the birch canoe', 'glue the sheet to the dark blue background'],
    ];
    const values: number[] = [];
    for (const [ref, refText, text] of cases) {
      const out = await f5Clone(paths, ref, refText, text);
      const want = expect(ref, refText, text);
      assert.equal(out.length, want.length, 'samples: frames after the reference x mels');
      assert.ok(Math.abs(out[0]! - want.value) <= 1 && Math.abs(out[out.length - 1]! - want.value) <= 1, `value ${out[0]} want ${want.value}`);
      values.push(out[0]!);
    }
    assert.notEqual(values[0], values[1], 'the reference audio reaches the model');
    assert.notEqual(values[0], values[2], 'the text reaches the model');
  });

  it('stops between steps when the cancel flag is set', async () => {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    Atomics.store(flag, 0, 1);
    await assert.rejects(f5Clone(paths, tone(1, 1000), 'a b', 'c d', { cancelFlag: flag }), { name: 'AbortError' });
  });

  it('a file that is not the export is a 424 naming it', async () => {
    const dir = join(await tempDir(), 'f5-bad');
    await mkdir(dir, { recursive: true });
    const bad = { ...paths, transformer: join(dir, F5_FILES.transformer) };
    await writeFile(bad.transformer, tinySpeakerModel());
    await assert.rejects(f5Clone(bad, tone(1, 1000), 'a b', 'c d'), (e: unknown) => e instanceof ApiError && e.status === 424 && /F5_Transformer\.onnx has 1 inputs and 1 outputs/.test(e.message));
  });
});
