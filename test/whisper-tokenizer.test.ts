/**
 * Whisper's tokenizer against published reference values, with only the vocabulary rows it needs
 * embedded (the fetched files are not committed):
 * - special-token layout: OpenAI's whisper/tokenizer.py (`get_encoding`), github.com/openai/whisper
 *   commit c0d2f624c09dc18e709e37c2ad90c039a4eb72a2; the multilingual ids also as the constants of
 *   Hugging Face transformers' tests/models/whisper/test_tokenization_whisper.py (commit
 *   fd109dbfce7e128a5c68404f4f91511d2d97d234): EN 50259, ES 50262, EOT 50257, SOT 50258,
 *   TRANSLATE 50358, TRANSCRIBE 50359, NOTIMESTAMPS 50363.
 * - token ids of two sentences in both vocabularies: transformers' same test file at commit
 *   001dff24bbb05f8f964e9fdd0b142dda3a86a0df (test_tokenizer_equivalence, test_tokenizer_special);
 *   the Korean sentence is the one OpenAI's tests/test_tokenizer.py round-trips.
 * - split_tokens_on_unicode: OpenAI's tests/test_tokenizer.py (test_split_on_unicode).
 * - vocabulary rows: whisper/assets/{multilingual,gpt2}.tiktoken at c0d2f624…, and the
 *   tokenizer.json form from whisper/assets/{multilingual,gpt2}/{vocab.json,merges.txt} of
 *   OpenAI's first commit 6e3be77e1a105e59086e3e21ff5f609fd6fa89a5 (the files Hugging Face's
 *   tokenizer.json was built from). Each table holds exactly the tokens that a BPE step on the
 *   test sentences can form (every substring of a pre-token that is in the vocabulary), so BPE
 *   over the excerpt takes the same steps as over the whole file; the tiktoken tables also keep
 *   the file's last line, whose rank fixes where the special tokens start.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WHISPER_LANGUAGES, whisperLanguageCode } from '../src/engines/stt/whisper/languages.js';
import { numLanguagesForVocabSize } from '../src/engines/stt/whisper/special-tokens.js';
import { WhisperTokenizer } from '../src/engines/stt/whisper/tokenizer.js';
import { vocabularyFromTiktoken, vocabularyFromTokenizerJson } from '../src/engines/stt/whisper/vocabulary-sources.js';

/** multilingual.tiktoken lines (rank, base64 token), every token a BPE step of the test sentences can form. */
const MULTILINGUAL_TIKTOKEN: [number, string][] = [
  [0, 'IQ=='], [6, 'Jw=='], [30, 'Pw=='], [35, 'RA=='], [39, 'SA=='], [41, 'Sg=='], [58, 'Ww=='],
  [60, 'XQ=='], [64, 'YQ=='], [68, 'ZQ=='], [69, 'Zg=='], [70, 'Zw=='], [72, 'aQ=='], [75, 'bA=='],
  [76, 'bQ=='], [77, 'bg=='], [78, 'bw=='], [79, 'cA=='], [80, 'cQ=='], [81, 'cg=='], [82, 'cw=='],
  [83, 'dA=='], [84, 'dQ=='], [86, 'dw=='], [88, 'eQ=='], [97, 'pA=='], [98, 'pQ=='], [103, 'qg=='],
  [108, 'sA=='], [111, 'sw=='], [112, 'tA=='], [115, 'tw=='], [127, 'ww=='], [159, '4w=='], [165, '6Q=='],
  [166, '6g=='], [167, '6w=='], [168, '7A=='], [169, '7Q=='], [220, 'IA=='], [222, 'gA=='], [223, 'gQ=='],
  [224, 'gg=='], [225, 'gw=='], [229, 'hw=='], [233, 'iw=='], [234, 'jA=='], [238, 'kA=='], [241, 'kw=='],
  [242, 'lA=='], [243, 'lQ=='], [245, 'lw=='], [246, 'mA=='], [252, 'ng=='], [254, 'oA=='], [257, 'IGE='],
  [259, 'aW4='], [263, 'b3U='], [265, 'cmU='], [266, 'b24='], [268, 'ZW4='], [271, 'aXM='], [278, 'aW5n'],
  [279, 'ZXM='], [280, 'IHA='], [283, 'IGY='], [287, 'IGw='], [288, 'IHk='], [289, 'YXI='],
  [291, 'IHlvdQ=='], [305, 'b3c='], [308, 'IGU='], [313, 'aW9u'], [332, 'aW0='], [338, 'ZWw='],
  [358, 'cXU='], [366, 'IGFyZQ=='], [372, 'c3Q='], [377, 'ZXN0'], [389, 'IEg='], [421, 'IHF1'],
  [442, 'ZXNz'], [451, 'IOw='], [487, '44E='], [495, 'cmVz'], [508, 'IEo='], [526, 'w6k='], [543, 'YXJl'],
  [579, 'IGZl'], [582, 'IHBy'], [594, 'IGFy'], [622, 'dWU='], [631, 'IHF1ZQ=='], [634, 'IEhl'],
  [735, 'cmVzcw=='], [785, 'IGVz'], [824, '44I='], [832, '64s='], [841, 'IGZlZWw='], [871, 'IGVzdA=='],
  [872, 'bmc='], [1004, 'aW8='], [1012, 'IEhvdw=='], [1041, 'tOw='], [1077, 'cXVl'], [1155, '6rM='],
  [1170, '7Jc='], [1175, 'IO0='], [1235, '64uk'], [1301, 'YWk='], [1307, 'w6o='], [1313, '6rOg'],
  [1424, 'cHI='], [1517, '7JeQ'], [1653, 'ZWU='], [1688, 'bGluZw=='], [1911, 'IEhleQ=='], [2030, 'ZXk='],
  [2081, 'bGk='], [2106, 'ZmU='], [2455, 'bXA='], [2633, 'IGZlZWxpbmc='], [2775, 'cmVzc2lvbg=='],
  [2990, 'pOs='], [3210, 'cml0'], [3225, '44KT'], [3631, 'IEhv'], [3712, 'cHJl'], [3722, 'bmk='],
  [3810, 'c3M='], [4311, 'ZXNzaW9u'], [5045, 'bGlu'], [5205, 'SGU='], [5290, 'IHlv'], [5616, 'eW91'],
  [6462, 'SG93'], [6516, 'bXByZQ=='], [6722, '44GV'], [6867, '7YM='], [7057, 'SGV5'], [7691, 'c2k='],
  [7827, '7Yw='], [8308, 'eW8='], [8404, 'IGVsbGU='], [8672, '67A='], [8675, 'IO2D'], [8814, 'aW1w'],
  [8926, 'l5A='], [9505, 'IHE='], [9835, '64uk6w=='], [10148, 'ZWxp'], [10661, 'bmlz'],
  [11031, 'ZWxpbmc='], [11089, 'RGU='], [11178, '6YM='], [11637, 'cHJlc3M='], [12054, 'IGZlZQ=='],
  [13431, 'IO2X'], [14508, 'cHJlcw=='], [15519, 'w6p0'], [15567, '44GV44KT'], [15711, 'ZW5p'],
  [16653, '7Zc='], [17974, '7YyM'], [19086, 'tOyXkA=='], [19840, 'IO2DgA=='], [20378, 'b2lyZQ=='],
  [20688, '7LM='], [22373, 'g4A='], [22855, 'now='], [25439, '7YOA'], [27344, 'sJQ='], [31173, 'ZWxpbg=='],
  [35633, 'SG8='], [36107, 'aW1wcmVzc2lvbg=='], [43517, 'IOyz'], [44393, 'IHByw6p0'], [47053, '67CU'],
  [50256, '='],
];
/** multilingual/vocab.json entries for the same tokens. */
const MULTILINGUAL_VOCAB_JSON: Record<string, number> = {
  "!": 0, "'": 6, "?": 30, "D": 35, "H": 39, "J": 41, "[": 58, "]": 60, "a": 64, "e": 68, "f": 69, "g": 70,
  "i": 72, "l": 75, "m": 76, "n": 77, "o": 78, "p": 79, "q": 80, "r": 81, "s": 82, "t": 83, "u": 84,
  "w": 86, "y": 88, "¤": 97, "¥": 98, "ª": 103, "°": 108, "³": 111, "´": 112, "·": 115, "Ã": 127, "ã": 159,
  "é": 165, "ê": 166, "ë": 167, "ì": 168, "í": 169, "Ġ": 220, "Ģ": 222, "ģ": 223, "Ĥ": 224, "ĥ": 225,
  "ĩ": 229, "ĭ": 233, "Į": 234, "Ĳ": 238, "ĵ": 241, "Ķ": 242, "ķ": 243, "Ĺ": 245, "ĺ": 246, "ŀ": 252,
  "ł": 254, "Ġa": 257, "in": 259, "ou": 263, "re": 265, "on": 266, "en": 268, "is": 271, "ing": 278,
  "es": 279, "Ġp": 280, "Ġf": 283, "Ġl": 287, "Ġy": 288, "ar": 289, "Ġyou": 291, "ow": 305, "Ġe": 308,
  "ion": 313, "im": 332, "el": 338, "qu": 358, "Ġare": 366, "st": 372, "est": 377, "ĠH": 389, "Ġqu": 421,
  "ess": 442, "Ġì": 451, "ãģ": 487, "res": 495, "ĠJ": 508, "Ã©": 526, "are": 543, "Ġfe": 579, "Ġpr": 582,
  "Ġar": 594, "ue": 622, "Ġque": 631, "ĠHe": 634, "ress": 735, "Ġes": 785, "ãĤ": 824, "ëĭ": 832,
  "Ġfeel": 841, "Ġest": 871, "ng": 872, "io": 1004, "ĠHow": 1012, "´ì": 1041, "que": 1077, "ê³": 1155,
  "ìĹ": 1170, "Ġí": 1175, "ëĭ¤": 1235, "ai": 1301, "Ãª": 1307, "ê³ł": 1313, "pr": 1424, "ìĹĲ": 1517,
  "ee": 1653, "ling": 1688, "ĠHey": 1911, "ey": 2030, "li": 2081, "fe": 2106, "mp": 2455, "Ġfeeling": 2633,
  "ression": 2775, "¤ë": 2990, "rit": 3210, "ãĤĵ": 3225, "ĠHo": 3631, "pre": 3712, "ni": 3722, "ss": 3810,
  "ession": 4311, "lin": 5045, "He": 5205, "Ġyo": 5290, "you": 5616, "How": 6462, "mpre": 6516,
  "ãģķ": 6722, "íĥ": 6867, "Hey": 7057, "si": 7691, "íĮ": 7827, "yo": 8308, "Ġelle": 8404, "ë°": 8672,
  "Ġíĥ": 8675, "imp": 8814, "ĹĲ": 8926, "Ġq": 9505, "ëĭ¤ë": 9835, "eli": 10148, "nis": 10661,
  "eling": 11031, "De": 11089, "éĥ": 11178, "press": 11637, "Ġfee": 12054, "ĠíĹ": 13431, "pres": 14508,
  "Ãªt": 15519, "ãģķãĤĵ": 15567, "eni": 15711, "íĹ": 16653, "íĮĮ": 17974, "´ìĹĲ": 19086, "ĠíĥĢ": 19840,
  "oire": 20378, "ì³": 20688, "ĥĢ": 22373, "ŀĮ": 22855, "íĥĢ": 25439, "°Ķ": 27344, "elin": 31173,
  "Ho": 35633, "impression": 36107, "Ġì³": 43517, "ĠprÃªt": 44393, "ë°Ķ": 47053,
};
/** multilingual/merges.txt lines among those tokens, in the file's order. */
const MULTILINGUAL_MERGES: string[] = [
  "Ġ a", "i n", "o u", "r e", "o n", "e n", "i s", "in g", "e s", "Ġ p", "Ġ f", "Ġ l", "Ġ y", "a r",
  "Ġy ou", "o w", "Ġ e", "i on", "i m", "e l", "q u", "Ġa re", "s t", "es t", "Ġ H", "Ġ qu", "es s", "Ġ ì",
  "ã ģ", "re s", "Ġ J", "a re", "Ġf e", "Ġp r", "Ġa r", "u e", "Ġqu e", "ĠH e", "res s", "Ġ es", "ã Ĥ",
  "ë ĭ", "Ġfe el", "Ġ est", "n g", "i o", "ĠH ow", "´ ì", "qu e", "ê ³", "ì Ĺ", "Ġ í", "ëĭ ¤", "a i",
  "Ã ª", "ê³ ł", "p r", "ìĹ Ĳ", "e e", "l ing", "ĠHe y", "e y", "l i", "f e", "m p", "Ġfeel ing",
  "ress ion", "¤ ë", "ãĤ ĵ", "ĠH o", "p re", "n i", "s s", "ess ion", "l in", "H e", "Ġy o", "y ou",
  "H ow", "mp re", "ãģ ķ", "í ĥ", "H ey", "s i", "í Į", "y o", "ë °", "Ġí ĥ", "im p", "Ĺ Ĳ", "Ġ q",
  "ëĭ¤ ë", "el i", "n is", "el ing", "D e", "é ĥ", "p ress", "Ġfe e", "Ġí Ĺ", "p res", "Ãª t", "ãģķ ãĤĵ",
  "en i", "í Ĺ", "íĮ Į", "´ì ĹĲ", "Ġíĥ Ģ", "ì ³", "ĥ Ģ", "ŀ Į", "íĥ Ģ", "° Ķ", "el in", "H o",
  "imp ression", "Ġì ³", "Ġpr Ãªt", "ë° Ķ",
];
/** gpt2.tiktoken lines (rank, base64 token), every token a BPE step of the test sentences can form. */
const GPT2_TIKTOKEN: [number, string][] = [
  [0, 'IQ=='], [6, 'Jw=='], [30, 'Pw=='], [35, 'RA=='], [39, 'SA=='], [41, 'Sg=='], [58, 'Ww=='],
  [60, 'XQ=='], [64, 'YQ=='], [68, 'ZQ=='], [69, 'Zg=='], [70, 'Zw=='], [72, 'aQ=='], [75, 'bA=='],
  [76, 'bQ=='], [77, 'bg=='], [78, 'bw=='], [79, 'cA=='], [80, 'cQ=='], [81, 'cg=='], [82, 'cw=='],
  [83, 'dA=='], [84, 'dQ=='], [86, 'dw=='], [88, 'eQ=='], [97, 'pA=='], [98, 'pQ=='], [103, 'qg=='],
  [108, 'sA=='], [111, 'sw=='], [112, 'tA=='], [115, 'tw=='], [127, 'ww=='], [159, '4w=='], [165, '6Q=='],
  [166, '6g=='], [167, '6w=='], [168, '7A=='], [169, '7Q=='], [220, 'IA=='], [222, 'gA=='], [223, 'gQ=='],
  [224, 'gg=='], [225, 'gw=='], [229, 'hw=='], [233, 'iw=='], [234, 'jA=='], [238, 'kA=='], [241, 'kw=='],
  [242, 'lA=='], [243, 'lQ=='], [245, 'lw=='], [252, 'ng=='], [254, 'oA=='], [257, 'IGE='], [259, 'aW4='],
  [260, 'cmU='], [261, 'b24='], [268, 'ZW4='], [271, 'aXM='], [274, 'ZXM='], [277, 'IGY='], [278, 'aW5n'],
  [279, 'IHA='], [280, 'b3U='], [283, 'YXI='], [295, 'aW9u'], [300, 'IGw='], [301, 'c3Q='], [304, 'IGU='],
  [320, 'aW0='], [322, 'b3c='], [331, 'IHk='], [345, 'IHlvdQ=='], [367, 'IEg='], [389, 'IGFyZQ=='],
  [395, 'ZXN0'], [408, 'ZXNz'], [411, 'cmVz'], [417, 'ZWw='], [421, 'cXU='], [449, 'IEo='], [518, 'dWU='],
  [533, 'YXJl'], [601, 'cmVzcw=='], [610, 'IGFy'], [627, 'IHF1'], [679, 'IEhl'], [730, 'IGZl'],
  [778, 'IHBy'], [782, 'bmc='], [824, 'c3M='], [952, 'aW8='], [1050, 'cHI='], [1254, 'IGZlZWw='],
  [1359, 'bGluZw=='], [1374, 'IEhvdw=='], [1453, 'ZWU='], [1544, 'SGU='], [1556, 'IGVzdA=='],
  [1658, 'IGVz'], [1792, '44I='], [1872, 'YWk='], [2234, 'cmVzc2lvbg=='], [2437, 'SG93'], [2515, '44E='],
  [2521, 'ZXNzaW9u'], [2815, 'bGlu'], [2959, 'ZXk='], [3149, 'bXA='], [3866, 'cHJl'], [4188, 'cXVl'],
  [4203, 'IGZlZWxpbmc='], [4528, 'bGk='], [5005, 'RGU='], [5036, 'ZmU='], [5832, 'eW91'],
  [6838, 'IGZlZQ=='], [8226, 'eW8='], [8358, 'IHF1ZQ=='], [8439, 'cHJlc3M='], [8461, 'bmk='],
  [9544, 'IEhv'], [10662, 'IHE='], [10809, 'ZWxpbmc='], [10814, 'SGV5'], [11011, 'aW1w'], [13396, 'c2k='],
  [14690, 'IEhleQ=='], [16268, 'IOk='], [18302, 'cHJlcw=='], [21306, 'RGVu'], [21361, 'bmlz'],
  [22174, '44KT'], [23821, 'IOw='], [25792, 'w6o='], [27176, 'ZWxpbg=='], [27406, 'IHlv'], [28900, 'SG8='],
  [32849, '6YM='], [36410, 'ZmVlbA=='], [39071, 'ZmVl'], [43357, '44GV'], [43733, 'ZWxp'], [43850, 'ZW5p'],
  [46695, '64s='], [50255, 'IGdhemVk'],
];
/** gpt2/vocab.json entries for the same tokens. */
const GPT2_VOCAB_JSON: Record<string, number> = {
  "!": 0, "'": 6, "?": 30, "D": 35, "H": 39, "J": 41, "[": 58, "]": 60, "a": 64, "e": 68, "f": 69, "g": 70,
  "i": 72, "l": 75, "m": 76, "n": 77, "o": 78, "p": 79, "q": 80, "r": 81, "s": 82, "t": 83, "u": 84,
  "w": 86, "y": 88, "¤": 97, "¥": 98, "ª": 103, "°": 108, "³": 111, "´": 112, "·": 115, "Ã": 127, "ã": 159,
  "é": 165, "ê": 166, "ë": 167, "ì": 168, "í": 169, "Ġ": 220, "Ģ": 222, "ģ": 223, "Ĥ": 224, "ĥ": 225,
  "ĩ": 229, "ĭ": 233, "Į": 234, "Ĳ": 238, "ĵ": 241, "Ķ": 242, "ķ": 243, "Ĺ": 245, "ŀ": 252, "ł": 254,
  "Ġa": 257, "in": 259, "re": 260, "on": 261, "en": 268, "is": 271, "es": 274, "Ġf": 277, "ing": 278,
  "Ġp": 279, "ou": 280, "ar": 283, "ion": 295, "Ġl": 300, "st": 301, "Ġe": 304, "im": 320, "ow": 322,
  "Ġy": 331, "Ġyou": 345, "ĠH": 367, "Ġare": 389, "est": 395, "ess": 408, "res": 411, "el": 417, "qu": 421,
  "ĠJ": 449, "ue": 518, "are": 533, "ress": 601, "Ġar": 610, "Ġqu": 627, "ĠHe": 679, "Ġfe": 730,
  "Ġpr": 778, "ng": 782, "ss": 824, "io": 952, "pr": 1050, "Ġfeel": 1254, "ling": 1359, "ĠHow": 1374,
  "ee": 1453, "He": 1544, "Ġest": 1556, "Ġes": 1658, "ãĤ": 1792, "ai": 1872, "ression": 2234, "How": 2437,
  "ãģ": 2515, "ession": 2521, "lin": 2815, "ey": 2959, "mp": 3149, "pre": 3866, "que": 4188,
  "Ġfeeling": 4203, "li": 4528, "De": 5005, "fe": 5036, "you": 5832, "Ġfee": 6838, "yo": 8226,
  "Ġque": 8358, "press": 8439, "ni": 8461, "ĠHo": 9544, "Ġq": 10662, "eling": 10809, "Hey": 10814,
  "imp": 11011, "si": 13396, "ĠHey": 14690, "Ġé": 16268, "pres": 18302, "Den": 21306, "nis": 21361,
  "ãĤĵ": 22174, "Ġì": 23821, "Ãª": 25792, "elin": 27176, "Ġyo": 27406, "Ho": 28900, "éĥ": 32849,
  "feel": 36410, "fee": 39071, "ãģķ": 43357, "eli": 43733, "eni": 43850, "ëĭ": 46695,
};
/** gpt2/merges.txt lines among those tokens, in the file's order. */
const GPT2_MERGES: string[] = [
  "Ġ a", "i n", "r e", "o n", "e n", "i s", "e s", "Ġ f", "in g", "Ġ p", "o u", "a r", "i on", "Ġ l",
  "s t", "Ġ e", "i m", "o w", "Ġ y", "Ġy ou", "Ġ H", "Ġa re", "es t", "es s", "re s", "e l", "q u", "Ġ J",
  "u e", "a re", "res s", "Ġa r", "Ġ qu", "ĠH e", "Ġf e", "Ġp r", "n g", "s s", "i o", "p r", "Ġfe el",
  "l ing", "ĠH ow", "e e", "H e", "Ġ est", "Ġ es", "ã Ĥ", "a i", "ress ion", "H ow", "ã ģ", "ess ion",
  "l in", "e y", "m p", "p re", "qu e", "Ġfeel ing", "l i", "D e", "f e", "y ou", "Ġfe e", "y o", "Ġqu e",
  "p ress", "n i", "ĠH o", "Ġ q", "el ing", "He y", "im p", "s i", "ĠHe y", "Ġ é", "p res", "D en", "n is",
  "ãĤ ĵ", "Ġ ì", "Ã ª", "el in", "Ġy o", "H o", "é ĥ", "fe el", "f ee", "ãģ ķ", "el i", "en i", "ë ĭ",
];

const KOREAN = '다람쥐 헌 쳇바퀴에 타고파';
const KOREAN_MULTILINGUAL = [9835, 22855, 168, 98, 238, 13431, 234, 43517, 229, 47053, 169, 222, 19086, 19840, 1313, 17974];
const KOREAN_GPT2 = [
  46695, 97, 167, 252, 234, 168, 98, 238, 220, 169, 245, 234, 23821, 111, 229, 167, 108, 242, 169, 222, 112, 168, 245, 238,
  220, 169, 225, 222, 166, 111, 254, 169, 234, 234,
];
const MIXED = "[Denis] Hey! How are you feeling? J'ai l'impression que 郷さん est prêt";
const MIXED_MULTILINGUAL = [58, 35, 268, 271, 60, 1911, 0, 1012, 366, 291, 2633, 30, 508, 6, 1301, 287, 6, 36107, 631, 220, 11178, 115, 15567, 871, 44393];
const MIXED_GPT2 = [
  58, 21306, 271, 60, 14690, 0, 1374, 389, 345, 4203, 30, 449, 6, 1872, 300, 6, 11011, 2234, 8358, 16268, 225, 115, 43357,
  22174, 1556, 778, 25792, 83,
];

const tiktokenText = (rows: [number, string][]): string => rows.map(([rank, b64]) => `${b64} ${rank}`).join('\n') + '\n';
const multilingual = (numLanguages = 99): WhisperTokenizer =>
  new WhisperTokenizer(vocabularyFromTiktoken(tiktokenText(MULTILINGUAL_TIKTOKEN)), { numLanguages });
const english = (): WhisperTokenizer => new WhisperTokenizer(vocabularyFromTiktoken(tiktokenText(GPT2_TIKTOKEN)), { numLanguages: 99 });
/** A tokenizer.json as the Hub's whisper repositories shape it, around the excerpt. */
function tokenizerJson(vocab: Record<string, number>, merges: string[], added: Record<string, number>): unknown {
  return {
    version: '1.0',
    added_tokens: Object.entries(added).map(([content, id]) => ({ id, content, special: true })),
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', vocab, merges },
  };
}

describe('Whisper special tokens (tokenizer.py get_encoding order)', () => {
  test('multilingual, 99 languages: eot 50257, sot 50258, en 50259 … first timestamp 50364, logits 51865', () => {
    const s = multilingual().special;
    assert.deepEqual(
      [s.eot, s.sot, s.languages.get('en'), s.languages.get('es'), s.languages.get('su'), s.translate, s.transcribe, s.sotLm, s.sotPrev, s.noSpeech, s.noTimestamps, s.timestampBegin, s.vocabSize],
      [50257, 50258, 50259, 50262, 50357, 50358, 50359, 50360, 50361, 50362, 50363, 50364, 51865],
    );
    assert.equal(s.languages.size, 99);
    assert.equal(s.languages.has('yue'), false);
  });

  test('large-v3, 100 languages: yue 50358 shifts translate to 50359, transcribe 50360, notimestamps 50364', () => {
    const s = multilingual(100).special;
    assert.deepEqual(
      [s.sot, s.languages.get('yue'), s.translate, s.transcribe, s.noSpeech, s.noTimestamps, s.timestampBegin, s.vocabSize],
      [50258, 50358, 50359, 50360, 50363, 50364, 50365, 51866],
    );
  });

  test('English-only (gpt2 vocabulary): eot 50256, sot 50257, notimestamps 50362, first timestamp 50363, logits 51864', () => {
    const s = english().special;
    assert.deepEqual(
      [s.eot, s.sot, s.languages.get('en'), s.translate, s.transcribe, s.noSpeech, s.noTimestamps, s.timestampBegin, s.vocabSize],
      [50256, 50257, 50258, 50357, 50358, 50361, 50362, 50363, 51864],
    );
    assert.equal(english().multilingual, false);
    assert.equal(multilingual().multilingual, true);
  });

  test('the language count follows from the decoder logits size', () => {
    assert.equal(numLanguagesForVocabSize(51865, 50257), 99);
    assert.equal(numLanguagesForVocabSize(51866, 50257), 100);
    assert.equal(numLanguagesForVocabSize(51864, 50256), 99);
  });

  test('languages in LANGUAGES order with tokenizer.py names and aliases', () => {
    assert.equal(WHISPER_LANGUAGES.length, 100);
    assert.deepEqual(WHISPER_LANGUAGES.slice(0, 7).map(([c]) => c), ['en', 'zh', 'de', 'es', 'ru', 'ko', 'fr']);
    assert.deepEqual(WHISPER_LANGUAGES.slice(-3).map(([c]) => c), ['jw', 'su', 'yue']);
    assert.equal(whisperLanguageCode('English'), 'en');
    assert.equal(whisperLanguageCode('mandarin'), 'zh');
    assert.equal(whisperLanguageCode('klingon'), undefined);
  });
});

describe('Whisper BPE against reference token ids', () => {
  test('multilingual.tiktoken: the Korean and the mixed sentence give the reference ids and decode back', () => {
    const tok = multilingual();
    assert.deepEqual(tok.encode(KOREAN), KOREAN_MULTILINGUAL);
    assert.deepEqual(tok.encode(MIXED), MIXED_MULTILINGUAL);
    assert.equal(tok.decode(KOREAN_MULTILINGUAL), KOREAN);
    assert.equal(tok.decode(MIXED_MULTILINGUAL), MIXED);
  });

  test('gpt2.tiktoken: the same sentences give the English-only reference ids (more of them)', () => {
    const tok = english();
    assert.deepEqual(tok.encode(KOREAN), KOREAN_GPT2);
    assert.deepEqual(tok.encode(MIXED), MIXED_GPT2);
    assert.equal(tok.decode(KOREAN_GPT2), KOREAN);
    assert.equal(tok.decode(MIXED_GPT2), MIXED);
  });

  test('tokenizer.json (vocab.json + merges.txt rows) gives the same ids as the rank files', () => {
    const multi = new WhisperTokenizer(
      vocabularyFromTokenizerJson(tokenizerJson(MULTILINGUAL_VOCAB_JSON, MULTILINGUAL_MERGES, { '<|endoftext|>': 50257 })),
      { numLanguages: 99 },
    );
    assert.deepEqual(multi.encode(KOREAN), KOREAN_MULTILINGUAL);
    assert.deepEqual(multi.encode(MIXED), MIXED_MULTILINGUAL);
    assert.equal(multi.decode(MIXED_MULTILINGUAL), MIXED);
    assert.equal(multi.special.sot, 50258);
    // gpt2/vocab.json carries <|endoftext|> inside the vocabulary; newer files give merges as pairs.
    const pairs = GPT2_MERGES.map((m) => m.split(' '));
    const en = new WhisperTokenizer(vocabularyFromTokenizerJson(tokenizerJson({ ...GPT2_VOCAB_JSON, '<|endoftext|>': 50256 }, pairs as unknown as string[], {})), {
      numLanguages: 99,
    });
    assert.deepEqual(en.encode(KOREAN), KOREAN_GPT2);
    assert.deepEqual(en.encode(MIXED), MIXED_GPT2);
    assert.equal(en.special.sot, 50257);
  });

  test("a tokenizer.json whose special tokens sit elsewhere is refused; '<|nocaptions|>' is nospeech's old name", () => {
    const v3Layout = { '<|endoftext|>': 50257, '<|yue|>': 50358, '<|transcribe|>': 50360 };
    const json = tokenizerJson(MULTILINGUAL_VOCAB_JSON, MULTILINGUAL_MERGES, v3Layout);
    assert.throws(() => new WhisperTokenizer(vocabularyFromTokenizerJson(json), { numLanguages: 99 }), /<\|transcribe\|> has id 50360/);
    assert.equal(new WhisperTokenizer(vocabularyFromTokenizerJson(json), { numLanguages: 100 }).special.transcribe, 50360);
    const old = tokenizerJson(MULTILINGUAL_VOCAB_JSON, MULTILINGUAL_MERGES, { '<|endoftext|>': 50257, '<|nocaptions|>': 50362 });
    assert.equal(new WhisperTokenizer(vocabularyFromTokenizerJson(old), { numLanguages: 99 }).special.noSpeech, 50362);
    assert.throws(() => vocabularyFromTokenizerJson({ model: { type: 'Unigram' } }), /not a BPE tokenizer/);
  });
});

describe('Whisper prompts, timestamps and word splits', () => {
  test('sot sequence: language and task for multilingual, sot alone for English-only, notimestamps appended', () => {
    assert.deepEqual(multilingual().sotSequence({ language: 'fr', task: 'translate', timestamps: false }), [50258, 50265, 50358, 50363]);
    assert.deepEqual(multilingual().sotSequence({ timestamps: true }), [50258, 50259, 50359]);
    assert.deepEqual(multilingual(100).sotSequence({ language: 'cantonese', timestamps: true }), [50258, 50358, 50360]);
    assert.deepEqual(english().sotSequence({ language: 'fr', timestamps: false }), [50257, 50362]);
    assert.throws(() => multilingual().sotSequence({ language: 'yue', timestamps: true }), /unsupported language/);
  });

  test('timestamp tokens decode to seconds and to <|t|> text; plain decode skips every special token', () => {
    const tok = multilingual();
    const ids = [50258, 50259, 50359, 50364, 1911, 0, 50414, 50257];
    assert.equal(tok.decodeWithTimestamps(ids), '<|startoftranscript|><|en|><|transcribe|><|0.00|> Hey!<|1.00|><|endoftext|>');
    assert.equal(tok.decode(ids), ' Hey!');
    assert.equal(tok.timestampSeconds(50364), 0);
    assert.equal(tok.timestampSeconds(50364 + 1500), 30);
    assert.equal(tok.timestampSeconds(50363), undefined);
    assert.equal(tok.timestampSeconds(51865), undefined);
  });

  test('split on unicode: OpenAI test_split_on_unicode tokens give its words', () => {
    const { words, tokens } = multilingual().splitOnUnicode([8404, 871, 287, 6, 246, 526, 3210, 20378]);
    assert.deepEqual(words, [' elle', ' est', ' l', "'", '\ufffd', 'é', 'rit', 'oire']);
    assert.deepEqual(tokens, [[8404], [871], [287], [6], [246], [526], [3210], [20378]]);
  });

  test('split to words: subwords join until a space or punctuation; zh/ja split per character', () => {
    const tok = multilingual();
    const ids = [8404, 871, 287, 6, 246, 526, 3210, 20378];
    assert.deepEqual(tok.splitToWords(ids, 'fr').words, [' elle', ' est', ' l', "'\ufffdéritoire"]);
    assert.deepEqual(tok.splitToWords(ids, 'fr').tokens, [[8404], [871], [287], [6, 246, 526, 3210, 20378]]);
    assert.equal(tok.splitToWords(ids, 'ja').words.length, 8);
    const mixed = tok.splitToWords(MIXED_MULTILINGUAL, 'en').words;
    // '[' opens the first word and 'Denis' has no space, so they join, as split_tokens_on_spaces does.
    assert.deepEqual(mixed.slice(0, 8), ['[Denis', ']', ' Hey', '!', ' How', ' are', ' you', ' feeling']);
    assert.equal(mixed.join(''), MIXED);
  });
});
