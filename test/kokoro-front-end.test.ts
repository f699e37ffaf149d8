/**
 * Kokoro's vocabulary and eSpeak -> Kokoro phoneme mapping, against the published reference:
 * ids from the model's config.json `vocab` (kokoro-onnx src/kokoro_onnx/config.json at
 * 2bfb160), mappings derived by hand from misaki/espeak.py (hexgrad/misaki at fba1236), each
 * step named beside its case.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { espeakToKokoro, phonemeRulesFor } from '../src/engines/tts/kokoro/phonemes.js';
import { KOKORO_VOCAB, MAX_PHONEME_TOKENS, PAD_TOKEN_ID, keepVocabSymbols, tokenId, tokenize, withPads } from '../src/engines/tts/kokoro/vocab.js';

describe('Kokoro vocabulary (config.json vocab of hexgrad/Kokoro-82M)', () => {
  it('has the 114 published symbols, all ids below n_token 178, none twice', () => {
    const ids = Object.values(KOKORO_VOCAB);
    assert.equal(ids.length, 114);
    assert.equal(new Set(ids).size, 114);
    assert.ok(ids.every((id) => id >= 1 && id < 178));
  });

  it('gives the published ids of known symbols', () => {
    const known: [string, number][] = [
      [';', 1], ['.', 4], ['—', 9], ['“', 14], [' ', 16], ['\u0303', 17], ['ʣ', 18], ['A', 24], ['I', 25], ['O', 31],
      ['Q', 33], ['T', 36], ['W', 39], ['Y', 41], ['ᵊ', 42], ['a', 43], ['z', 68], ['ɑ', 69], ['ʤ', 82], ['ə', 83],
      ['ɚ', 85], ['ɡ', 92], ['ɪ', 102], ['ŋ', 112], ['θ', 119], ['ɹ', 123], ['ɾ', 125], ['ʃ', 131], ['ʧ', 133],
      ['ʊ', 135], ['ʌ', 138], ['ʒ', 147], ['ʔ', 148], ['ˈ', 156], ['ˌ', 157], ['ː', 158], ['ʲ', 164], ['↘', 173], ['ᵻ', 177],
    ];
    for (const [symbol, id] of known) assert.equal(tokenId(symbol), id, `id of '${symbol}'`);
    // The model's g is U+0261; ASCII g, and symbols misaki never writes, have no id.
    for (const symbol of ['g', 'ʱ', '‿', 'ˑ', '^', '-']) assert.equal(tokenId(symbol), undefined, `'${symbol}'`);
  });

  it('tokenizes a known phoneme string to the ids read off the table by hand', () => {
    // misaki's "Hello world!" (en-us): h ə l ˈ O ␠ w ˈ ɜ ɹ l d !
    assert.deepEqual(tokenize('həlˈO wˈɜɹld!'), [50, 83, 54, 156, 31, 16, 65, 156, 87, 123, 54, 46, 5]);
    // hexgrad/Kokoro-82M SAMPLES.md, af_heart_0: "ðə skˈI"
    assert.deepEqual(tokenize('ðə skˈI'), [81, 83, 16, 61, 53, 156, 25]);
  });

  it('drops symbols outside the vocabulary, as the references filter them', () => {
    assert.deepEqual(tokenize('ɡg‿a'), [92, 43]);
    assert.equal(keepVocabSymbols('ɡg‿a^'), 'ɡa');
  });

  it('wraps ids in the pad token at both ends, and refuses more than 510', () => {
    assert.equal(PAD_TOKEN_ID, 0);
    assert.deepEqual(withPads([50, 83]), [0, 50, 83, 0]);
    assert.equal(withPads(new Array(MAX_PHONEME_TOKENS).fill(16)).length, 512);
    assert.throws(() => withPads(new Array(MAX_PHONEME_TOKENS + 1).fill(16)), RangeError);
  });
});

describe('eSpeak IPA -> Kokoro phonemes, American English (misaki EspeakFallback, british=False)', () => {
  const us = (ipa: string) => espeakToKokoro(ipa, 'en-us');
  const cases: [string, string, string][] = [
    ['tied oʊ -> O (American rule)', 'həlˈo^ʊ', 'həlˈO'],
    ['U+0361 ties read as ties; ɜː -> ɜɹ', 'həlˈo͡ʊ wˈɜːld', 'həlˈO wˈɜɹld'],
    ['t͡ʃ -> ʧ', 't͡ʃˈɛɹ', 'ʧˈɛɹ'],
    ['d͡ʒ -> ʤ', 'd͡ʒˈʌmp', 'ʤˈʌmp'],
    ['e͡ɪ -> A', 'sˈe͡ɪ', 'sˈA'],
    ['a͡ɪ -> I, a͡ʊ -> W, ɔ͡ɪ -> Y', 'mˈa͡ɪ kˈa͡ʊ bˈɔ͡ɪ', 'mˈI kˈW bˈY'],
    ['ɚ -> əɹ, then the flap ɾ -> T', 'bˈʌɾɚ', 'bˈʌTəɹ'],
    ['ʔn̩ -> ʔn (E2M), then ʔ -> t', 'bˈʌʔn̩', 'bˈʌtn'],
    ['ə͡l -> ᵊl, length dropped, flap -> T', 'bˈɑːɾə͡l', 'bˈɑTᵊl'],
    ['a syllabic consonant becomes ᵊ + consonant', 'bˈʌtn̩', 'bˈʌtᵊn'],
    ['r -> ɹ, x -> k, ç -> k, ɬ -> l', 'rˈʌx ç ɬ', 'ɹˈʌk k l'],
    ['ɐ -> ə', 'ɐbˈa͡ʊt', 'əbˈWt'],
    ['ɪə -> iə', 'nˈɪə', 'nˈiə'],
    ['ʲo -> jo, a lone ʲ dropped', 'nʲˈuː ʲoʊ', 'nˈu jɔʊ'],
    ['untied diphthongs stay letter by letter (kokoro-onnx path)', 'ɹˈaɪt', 'ɹˈaɪt'],
    ['punctuation kept, whitespace collapsed', '  həlˈo͡ʊ ,   wˈɜːld !  ', 'həlˈO , wˈɜɹld !'],
  ];
  for (const [rule, ipa, kokoro] of cases) {
    it(`${rule}: ${ipa} -> ${kokoro}`, () => assert.equal(us(ipa), kokoro));
  }
});

describe('eSpeak IPA -> Kokoro phonemes, British English (misaki EspeakFallback, british=True)', () => {
  const gb = (ipa: string) => espeakToKokoro(ipa, 'en-gb');
  const cases: [string, string, string][] = [
    ['ə͡ʊ -> Q', 'həlˈə͡ʊ', 'həlˈQ'],
    ['length marks kept, NURSE not made rhotic', 'bˈɜːd', 'bˈɜːd'],
    ['iə -> ɪə', 'nˈiə', 'nˈɪə'],
    ['o͡ʊ is not an American O here: o -> ɔ only', 'ɡˈo͡ʊ', 'ɡˈɔʊ'],
    // misaki's first British rule 'e^ə' -> 'ɛː' never fires: E2M already made the e an A.
    ['e͡ə follows the reference literally (A + ə)', 'skwˈe͡ə', 'skwˈAə'],
    ['the flap is T in both Englishes', 'wˈɔːɾə', 'wˈɔːTə'],
  ];
  for (const [rule, ipa, kokoro] of cases) {
    it(`${rule}: ${ipa} -> ${kokoro}`, () => assert.equal(gb(ipa), kokoro));
  }
});

describe('eSpeak IPA -> Kokoro phonemes, other languages (misaki EspeakG2P, version None)', () => {
  const cases: [string, string, string, string][] = [
    ['es', 't͡ʃ -> ʧ; e, o, ɾ kept (English rules do not apply)', 't͡ʃˈiko pˈeɾo', 'ʧˈiko pˈeɾo'],
    ['it', 't͡s -> ʦ, d͡z -> ʣ', 'pˈit͡sa d͡zˈɛta', 'pˈiʦa ʣˈɛta'],
    ['pt-br', 'd͡ʒ -> ʤ; nasal tilde kept (vocab id 17)', 'd͡ʒˈia sˈɐ̃w̃', 'ʤˈia sˈɐ̃w̃'],
    ['pt-br', 'o͡ʊ -> O, e͡ɪ -> A, a͡ɪ -> I', 'vˈo͡ʊ sˈe͡ɪ pˈa͡ɪ', 'vˈO sˈA pˈI'],
    ['fr', 'hyphens dropped, «» become curly quotes', '«bɔ̃-ʒˈuʁ»', '“bɔ̃ʒˈuʁ”'],
    ['fr', 'language-switch flags removed', 'ʒə (en)hˈɛlo͡ʊ(fr) vˈwa', 'ʒə hˈɛlO vˈwa'],
    ['hi', 't͡ʃ -> ʧ; breathy ʱ is not in the vocabulary', 't͡ʃəlˈo ɡʱˈər', 'ʧəlˈo ɡˈər'],
    ['zh', 'tone letters are not in the vocabulary', 'ni˨˩˦ xˈɑʊ˨˩˦', 'ni xˈɑʊ'],
  ];
  for (const [lang, rule, ipa, kokoro] of cases) {
    it(`${lang}: ${rule}: ${ipa} -> ${kokoro}`, () => assert.equal(espeakToKokoro(ipa, lang), kokoro));
  }

  it('never returns a symbol outside the vocabulary', () => {
    const messy = 'ʔˌn̩ t͡ʃ‿ɐ ɬ ç ˑ ʱ ǀ ˀ ɦ ɐ̃ x-y «z» ˥˩ 12';
    for (const lang of ['en-us', 'en-gb', 'es', 'fr', 'hi', 'it', 'pt-br', 'ja', 'zh']) {
      for (const symbol of espeakToKokoro(messy, lang)) assert.notEqual(tokenId(symbol), undefined, `${lang}: '${symbol}'`);
    }
  });

  it('picks the table by language: en-gb British, other English American, the rest generic', () => {
    assert.equal(phonemeRulesFor('en-GB'), 'en-gb');
    assert.equal(phonemeRulesFor('b'), 'en-gb');
    assert.equal(phonemeRulesFor('en'), 'en-us');
    assert.equal(phonemeRulesFor('en_US'), 'en-us');
    assert.equal(phonemeRulesFor('a'), 'en-us');
    for (const lang of ['es', 'fr-fr', 'hi', 'it', 'pt-br', 'ja', 'zh', 'cmn']) assert.equal(phonemeRulesFor(lang), 'espeak');
  });
});
