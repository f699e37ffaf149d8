/**
 * Every text-to-speech model the server knows about: the built-in engines that ship in npm
 * (eSpeak NG, Flite, SVOX Pico) and the neural models that must be installed into the models
 * directory first. `GET /v1/models/` lists this catalogue; tiers and credit rates follow the
 * credits table of the API contract (free 1, standard 2, premium 4 credits per 1,000 chars).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface ModelInfo {
  id: string;
  name: string;
  type: 'tts';
  tier: 'free' | 'standard' | 'premium';
  /** Primary language codes (ISO 639-1 where one exists, else 639-3). */
  languages: string[];
  supports_cloning: boolean;
  supports_streaming: boolean;
  credits_per_1k_chars: number;
  /** Its code ships with the server (it may still need data files, see `files`). */
  builtin: boolean;
  /** How to install when not builtin, e.g. "llais models pull kokoro". */
  install_hint?: string;
  /**
   * Files relative to `<modelsDir>/<id>/` that must exist; `*` matches within one name
   * (`*.onnx`). Absent: nothing to install.
   */
  files?: string[];
  /**
   * Other absolute directories that may hold `files` instead (e.g. a distribution package's
   * data directory); the first one holding them all is used.
   */
  data_dirs?: string[];
}

/** eSpeak NG's languages (primary subtags of its voices), as read from espeak-ng.data 0.3.5. */
const ESPEAK_LANGUAGES = [
  'af', 'am', 'an', 'ar', 'as', 'az', 'ba', 'be', 'bg', 'bn', 'bpy', 'bs', 'ca', 'chr', 'cmn', 'cs',
  'cv', 'cy', 'da', 'de', 'el', 'en', 'eo', 'es', 'et', 'eu', 'fa', 'fi', 'fo', 'fr', 'ga', 'gd',
  'gn', 'grc', 'gu', 'hak', 'haw', 'he', 'hi', 'hr', 'ht', 'hu', 'hy', 'hyw', 'ia', 'id', 'io', 'is',
  'it', 'ja', 'jbo', 'ka', 'kaa', 'kk', 'kl', 'kn', 'ko', 'kok', 'ku', 'ky', 'la', 'lb', 'lfn', 'lt',
  'ltg', 'lv', 'mi', 'mk', 'ml', 'mr', 'ms', 'mt', 'mto', 'my', 'nb', 'nci', 'ne', 'nl', 'nog', 'om',
  'or', 'pa', 'pap', 'piqd', 'pl', 'pt', 'py', 'qdb', 'qu', 'quc', 'qya', 'ro', 'ru', 'sd', 'shn', 'si',
  'sjn', 'sk', 'sl', 'smj', 'sq', 'sr', 'sv', 'sw', 'ta', 'te', 'th', 'ti', 'tk', 'tn', 'tr', 'tt',
  'ug', 'uk', 'ur', 'uz', 'vi', 'xex', 'yue',
];

/** Piper's published voice languages (rhasspy/piper-voices). */
const PIPER_LANGUAGES = [
  'ar', 'ca', 'cs', 'cy', 'da', 'de', 'el', 'en', 'es', 'fa', 'fi', 'fr', 'hu', 'is', 'it', 'ka', 'kk',
  'lb', 'lv', 'ne', 'nl', 'no', 'pl', 'pt', 'ro', 'ru', 'sk', 'sl', 'sr', 'sv', 'sw', 'tr', 'uk', 'vi', 'zh',
];

export const MODEL_CATALOGUE: readonly ModelInfo[] = [
  {
    id: 'espeak',
    name: 'eSpeak NG',
    type: 'tts',
    tier: 'free',
    languages: ESPEAK_LANGUAGES,
    supports_cloning: false,
    supports_streaming: true,
    credits_per_1k_chars: 1,
    builtin: true,
  },
  {
    id: 'flite',
    name: 'CMU Flite',
    type: 'tts',
    tier: 'free',
    languages: ['en'],
    supports_cloning: false,
    supports_streaming: true,
    credits_per_1k_chars: 1,
    builtin: true,
  },
  {
    id: 'pico',
    name: 'SVOX Pico',
    type: 'tts',
    tier: 'free',
    languages: ['en', 'de', 'es', 'fr', 'it'],
    supports_cloning: false,
    supports_streaming: true,
    credits_per_1k_chars: 1,
    builtin: true,
    // The engine is in npm, its language data is not. US English is the minimum; every other
    // language whose two files are present is offered too.
    install_hint:
      'apt install libttspico-data, or copy the SVOX Pico lingware (pico/lang/*_ta.bin and *_sg.bin from the picotts sources) into <modelsDir>/pico/',
    files: ['en-US_ta.bin', 'en-US_lh0_sg.bin'],
    data_dirs: ['/usr/share/pico/lang'],
  },
  {
    id: 'kokoro',
    name: 'Kokoro 82M v1.0',
    type: 'tts',
    tier: 'standard',
    languages: ['en', 'es', 'fr', 'hi', 'it', 'ja', 'pt', 'zh'],
    supports_cloning: false,
    supports_streaming: true,
    credits_per_1k_chars: 2,
    builtin: false,
    install_hint: 'llais models pull kokoro',
    files: ['kokoro-v1.0.onnx', 'voices-v1.0.bin'],
  },
  {
    id: 'piper',
    name: 'Piper',
    type: 'tts',
    tier: 'free',
    languages: PIPER_LANGUAGES,
    supports_cloning: false,
    supports_streaming: true,
    credits_per_1k_chars: 1,
    builtin: false,
    install_hint: 'llais models pull piper',
    files: ['*.onnx', '*.onnx.json'],
  },
  {
    id: 'melotts',
    name: 'MeloTTS',
    type: 'tts',
    tier: 'free',
    languages: ['en', 'es', 'fr', 'zh', 'ja', 'ko'],
    supports_cloning: false,
    supports_streaming: true,
    credits_per_1k_chars: 1,
    builtin: false,
    install_hint: 'llais models pull melotts',
    files: ['model.onnx', 'tokens.txt', 'lexicon.txt'],
  },
  {
    id: 'vits',
    name: 'VITS (LJSpeech / VCTK)',
    type: 'tts',
    tier: 'free',
    languages: ['en'],
    supports_cloning: false,
    supports_streaming: true,
    credits_per_1k_chars: 1,
    builtin: false,
    install_hint: 'llais models pull vits',
    files: ['model.onnx', 'tokens.txt'],
  },
  {
    id: 'cosyvoice2',
    name: 'CosyVoice 2 0.5B',
    type: 'tts',
    tier: 'standard',
    languages: ['zh', 'en', 'ja', 'ko', 'yue'],
    supports_cloning: true,
    supports_streaming: true,
    credits_per_1k_chars: 2,
    builtin: false,
    install_hint: 'llais models pull cosyvoice2',
    files: ['cosyvoice2.yaml', 'llm.pt', 'flow.pt', 'hift.pt', 'campplus.onnx', 'speech_tokenizer_v2.onnx'],
  },
  {
    id: 'gpt-sovits',
    name: 'GPT-SoVITS v2',
    type: 'tts',
    tier: 'standard',
    languages: ['zh', 'en', 'ja', 'ko', 'yue'],
    supports_cloning: true,
    supports_streaming: true,
    credits_per_1k_chars: 2,
    builtin: false,
    install_hint: 'llais models pull gpt-sovits',
    files: ['s1v3.ckpt', 's2G488k.pth', 'chinese-hubert-base/pytorch_model.bin', 'chinese-roberta-wwm-ext-large/pytorch_model.bin'],
  },
  {
    id: 'chatterbox',
    name: 'Chatterbox',
    type: 'tts',
    tier: 'premium',
    languages: ['en'],
    supports_cloning: true,
    supports_streaming: true,
    credits_per_1k_chars: 4,
    builtin: false,
    install_hint: 'llais models pull chatterbox',
    files: ['t3_cfg.safetensors', 's3gen.safetensors', 've.safetensors', 'tokenizer.json', 'conds.pt'],
  },
  {
    id: 'tortoise',
    name: 'Tortoise TTS',
    type: 'tts',
    tier: 'premium',
    languages: ['en'],
    supports_cloning: true,
    supports_streaming: false,
    credits_per_1k_chars: 4,
    builtin: false,
    install_hint: 'llais models pull tortoise',
    files: ['autoregressive.pth', 'diffusion_decoder.pth', 'clvp2.pth', 'vocoder.pth'],
  },
];

/** The directory holding all of `m.files`: `<modelsDir>/<id>/` first, then `m.data_dirs`. */
export function modelDataDir(m: ModelInfo, modelsDir: string): string | undefined {
  const dirs = [join(modelsDir, m.id), ...(m.data_dirs ?? [])];
  return dirs.find((dir) => (m.files ?? []).every((pattern) => fileExists(dir, pattern)));
}

export function isInstalled(m: ModelInfo, modelsDir: string): boolean {
  if (m.files === undefined || m.files.length === 0) return m.builtin;
  return modelDataDir(m, modelsDir) !== undefined;
}

function fileExists(dir: string, pattern: string): boolean {
  if (!pattern.includes('*')) return existsSync(join(dir, pattern));
  const slash = pattern.lastIndexOf('/');
  const parent = join(dir, pattern.slice(0, slash + 1));
  const name = pattern.slice(slash + 1);
  const re = new RegExp(`^${name.split('*').map(escapeRegExp).join('[^/]*')}$`);
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return false;
  }
  return names.some((n) => re.test(n));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
