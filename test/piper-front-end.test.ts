import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { EspeakCore } from '../src/engines/tts/espeak/espeak-core.js';
import { phonemizeSentences } from '../src/engines/tts/espeak/phonemize.js';
import { readGraphSignature } from '../src/engines/tts/piper/onnx-signature.js';
import { phonemeIds } from '../src/engines/tts/piper/phoneme-ids.js';
import { parsePiperConfig } from '../src/engines/tts/piper/voice-config.js';
import { tinyPiperConfig, tinyPiperModel } from './helpers/piper-model.js';

/**
 * The entries of `phoneme_id_map` that the reference below needs, as every published Piper
 * eSpeak voice ships them (piper-phonemize's DEFAULT_PHONEME_ID_MAP, which `piper_train`
 * writes into each voice's .onnx.json).
 */
const PUBLISHED_MAP = new Map<string, number[]>([
  ['_', [0]], ['^', [1]], ['$', [2]], ['!', [4]], ['c', [16]], ['l', [24]], ['t', [32]],
  ['ɪ', [74]], ['ˈ', [120]], ['\u0327', [140]],
]);

describe('Piper phoneme ids', () => {
  it('match piper-phonemize\'s reference: German "licht!" phonemized as lˈɪçt! gives 1 0 24 0 120 0 74 0 16 0 140 0 32 0 4 0 2', () => {
    // From rhasspy/piper-phonemize src/test.cpp: ç decomposes (NFD) into c + U+0327.
    assert.deepEqual(phonemeIds('lˈɪçt!', PUBLISHED_MAP), [1, 0, 24, 0, 120, 0, 74, 0, 16, 0, 140, 0, 32, 0, 4, 0, 2]);
  });

  it('skip phonemes the map lacks, and report them', () => {
    const missing = new Set<string>();
    assert.deepEqual(phonemeIds('lʁt', PUBLISHED_MAP, missing), [1, 0, 24, 0, 32, 0, 2]);
    assert.deepEqual([...missing], ['ʁ']);
  });
});

describe('eSpeak NG phonemizer for neural voices', () => {
  let espeak: EspeakCore;
  before(async () => {
    espeak = await EspeakCore.load();
  });
  const phonemize = (text: string, voice: string): string[] => phonemizeSentences(text, (clause) => espeak.ipa(clause, voice));

  it('gives the eSpeak German phonemes of "licht!" that the reference ids above come from', () => {
    assert.deepEqual(phonemize('licht!', 'gmw/de'), ['lˈɪçt!'.normalize('NFD')]);
  });

  it('keeps clause punctuation as Piper does (", " ": " "; ") and splits sentences at . ? !', () => {
    const sentences = phonemize('this, is: a; test. Test 1? Yes!', 'gmw/en-US');
    assert.equal(sentences.length, 3);
    assert.match(sentences[0]!, /^ðˈɪs, ˈ?ɪz: ˈeɪ; tˈɛst\.$/);
    assert.match(sentences[1]!, /^tˈɛst wˈʌn\?$/);
    assert.match(sentences[2]!, /^jˈɛs!$/);
  });

  it('has no separators, language flags or empty sentences in its output', () => {
    for (const sentence of phonemize('Ich mag Computer und das Weekend... ', 'gmw/de')) {
      assert.doesNotMatch(sentence, /[_()\n]/);
      assert.notEqual(sentence.trim(), '');
    }
    assert.deepEqual(phonemize('   ', 'gmw/en-US'), []);
  });

  it('escapes markup characters rather than reading them as SSML', () => {
    const [sentence] = phonemize('a < b & c', 'gmw/en-US');
    assert.ok(sentence && sentence.length > 3, sentence);
  });
});

describe('Piper voice checks', () => {
  it('read a model\'s inputs and output (names, types, ranks) from its bytes', () => {
    const single = readGraphSignature(tinyPiperModel(false));
    assert.deepEqual(single.inputs.map((i) => [i.name, i.elemType, i.rank]), [['input', 7, 2], ['input_lengths', 7, 1], ['scales', 1, 1]]);
    assert.deepEqual(single.outputs.map((o) => [o.name, o.elemType, o.rank]), [['output', 1, 4]]);
    assert.deepEqual(readGraphSignature(tinyPiperModel(true)).inputs.map((i) => i.name), ['input', 'input_lengths', 'scales', 'sid']);
  });

  it('refuse truncated, empty and non-ONNX files with a reason', () => {
    const model = tinyPiperModel(false);
    assert.throws(() => readGraphSignature(model.subarray(0, model.length - 7)), /truncated/);
    assert.throws(() => readGraphSignature(new Uint8Array()), /empty/);
    assert.throws(() => readGraphSignature(new TextEncoder().encode('<html>Not found</html>')), /not an ONNX model|truncated/);
  });

  it('read sample rate, eSpeak voice, scales, speakers and language from the voice JSON', () => {
    const config = parsePiperConfig(JSON.stringify(tinyPiperConfig({ speakers: { p1: 0, p2: 1 }, lengthScale: 1.2, languageCode: 'en_GB', espeakVoice: 'en-gb-x-rp' })));
    assert.equal(config.sampleRateHz, 22_050);
    assert.equal(config.espeakVoice, 'en-gb-x-rp');
    assert.equal(config.language, 'en-gb');
    assert.deepEqual([config.noiseScale, config.lengthScale, config.noiseW], [0.667, 1.2, 0.8]);
    assert.equal(config.multiSpeaker, true);
    assert.deepEqual([...config.speakers], [['p1', 0], ['p2', 1]]);
  });

  it('refuse a voice JSON that is not JSON, lacks fields, or is not eSpeak-phonemized', () => {
    assert.throws(() => parsePiperConfig('{"audio": '), /not valid JSON/);
    assert.throws(() => parsePiperConfig(JSON.stringify({ ...tinyPiperConfig(), audio: {} })), /audio\.sample_rate/);
    assert.throws(() => parsePiperConfig(JSON.stringify({ ...tinyPiperConfig(), phoneme_type: 'text' })), /phoneme_type/);
    assert.throws(() => parsePiperConfig(JSON.stringify({ ...tinyPiperConfig(), phoneme_id_map: { a: [1] } })), /phoneme_id_map has no/);
  });
});
