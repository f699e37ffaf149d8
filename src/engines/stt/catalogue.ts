/**
 * Every speech-to-text model the server knows about: the built-in PocketSphinx recognizer, and
 * the models that would have to be installed into the models directory first. The shape follows
 * the TTS catalogue (`src/engines/tts/catalogue.ts`), so `llais models pull|list` can read both.
 *
 * Whisper runs on onnxruntime (src/engines/stt/whisper/), from the Hugging Face ONNX exports.
 * No engine in this build runs Faster-Whisper or SenseVoice yet. They are catalogued so that a
 * request naming one gets "not installed, here is how" (424) rather than "unknown model" (400);
 * they have no `downloads`, so `llais models pull <id>` refuses with `no_download_source`.
 */
import type { InstallableModel } from '../model-files.js';
import type { SttCapabilities } from './types.js';
import { WHISPER_REQUIRED_FILES } from './whisper/export-files.js';
import { WHISPER_LANGUAGES } from './whisper/languages.js';

export interface SttModelInfo extends InstallableModel {
  type: 'stt';
  /** Primary language codes (ISO 639-1). */
  languages: readonly string[];
  capabilities: SttCapabilities;
}

/** For the catalogued models no engine in this build runs: `models pull` refuses with this. */
const NO_ENGINE_YET =
  'no engine in this version of the server runs this model yet, so there is nothing to install; the built-in `pocketsphinx` recognizer (English) serves speech-to-text meanwhile';

/** Whisper's language codes, in tokenizer.py's order (the table lives with the Whisper front end). */
const WHISPER_LANGUAGE_CODES: readonly string[] = WHISPER_LANGUAGES.map(([code]) => code);

/** Whisper decodes whole 30 s windows: no incremental live decoding, and no speaker labels. */
const WHISPER_CAPABILITIES: SttCapabilities = { wordTimestamps: true, translation: true, live: false, diarization: false };
/** The `.en` checkpoints have no language or task tokens: English only, no translation. */
const WHISPER_EN_CAPABILITIES: SttCapabilities = { ...WHISPER_CAPABILITIES, translation: false };

/**
 * What `llais models pull whisper-<size>` fetches from the export's Hugging Face repository: the
 * configs, the tokenizer and the dynamically quantized (int8) graphs, which every export
 * publishes, are a quarter of the float32 size and run well on CPUs. The other precisions
 * (float32, `_fp16`, `_int8`, ...) are used when copied into `onnx/` by hand (`whisperVariant`).
 * No sha256 or size is pinned: the publishers state none that could be checked here, so the
 * pull needs `--trust-unpinned` and prints each file's sha256 (see src/models/pull.ts).
 */
const WHISPER_DOWNLOADS = ['config.json', 'generation_config.json', 'tokenizer.json', 'onnx/encoder_model_quantized.onnx', 'onnx/decoder_model_merged_quantized.onnx'];

/**
 * `size` as the folder and id say it (`base.en`, `distil-large-v3`), from the repository `repo`;
 * `english`: trained on English only (the `.en` checkpoints, and Distil-Whisper's).
 */
function whisper(size: string, name: string, repo: string, english = size.endsWith('.en')): SttModelInfo {
  const id = `whisper-${size}`;
  return {
    id,
    name,
    type: 'stt',
    languages: english ? ['en'] : WHISPER_LANGUAGE_CODES,
    capabilities: english ? WHISPER_EN_CAPABILITIES : WHISPER_CAPABILITIES,
    builtin: false,
    install_hint: `llais models pull ${id}`,
    files: WHISPER_REQUIRED_FILES,
    downloads: WHISPER_DOWNLOADS.map((file) => ({ file, url: `https://huggingface.co/${repo}/resolve/main/${file}` })),
  };
}

/** The Whisper models, smallest first: with none named, the first installed one serves. */
export const WHISPER_MODELS: readonly SttModelInfo[] = [
  whisper('tiny', 'Whisper tiny', 'onnx-community/whisper-tiny'),
  whisper('tiny.en', 'Whisper tiny.en (English)', 'onnx-community/whisper-tiny.en'),
  whisper('base', 'Whisper base', 'onnx-community/whisper-base'),
  whisper('base.en', 'Whisper base.en (English)', 'onnx-community/whisper-base.en'),
  whisper('small', 'Whisper small', 'onnx-community/whisper-small'),
  whisper('small.en', 'Whisper small.en (English)', 'onnx-community/whisper-small.en'),
  whisper('medium', 'Whisper medium', 'Xenova/whisper-medium'),
  whisper('medium.en', 'Whisper medium.en (English)', 'Xenova/whisper-medium.en'),
  whisper('large-v3', 'Whisper large-v3', 'Xenova/whisper-large-v3'),
  whisper('large-v3-turbo', 'Whisper large-v3-turbo', 'onnx-community/whisper-large-v3-turbo'),
  whisper('distil-large-v3', 'Distil-Whisper large-v3 (English)', 'distil-whisper/distil-large-v3', true),
  whisper('distil-small.en', 'Distil-Whisper small.en (English)', 'distil-whisper/distil-small.en'),
];

export const STT_MODEL_CATALOGUE: readonly SttModelInfo[] = [
  {
    id: 'pocketsphinx',
    name: 'CMU PocketSphinx (US English)',
    type: 'stt',
    languages: ['en'],
    // Speaker labels come from src/stt/diarize.ts, which runs beside any recognizer on the same PCM.
    capabilities: { wordTimestamps: true, translation: false, live: true, diarization: true },
    builtin: true,
  },
  ...WHISPER_MODELS,
  {
    id: 'faster-whisper',
    name: 'Faster-Whisper (CTranslate2)',
    type: 'stt',
    languages: WHISPER_LANGUAGE_CODES,
    capabilities: WHISPER_CAPABILITIES,
    builtin: false,
    install_hint: 'llais models pull faster-whisper',
    manual_install: NO_ENGINE_YET,
  },
  {
    id: 'sensevoice',
    name: 'SenseVoice Small',
    type: 'stt',
    languages: ['zh', 'en', 'yue', 'ja', 'ko'],
    capabilities: { wordTimestamps: false, translation: false, live: false, diarization: false },
    builtin: false,
    install_hint: 'llais models pull sensevoice',
    manual_install: NO_ENGINE_YET,
  },
];

/**
 * Names that stand for a catalogued model. API.md's `whisper` names the family: the installed
 * Whisper model that serves (see src/stt/resolve.ts), else the base size, the usual CPU default
 * of Whisper ports, for the install command.
 */
export const STT_MODEL_ALIASES: Readonly<Record<string, string>> = { whisper: 'whisper-base' };

/**
 * OpenAI's model names, accepted so its clients work unchanged. They name no engine of ours:
 * they mean "whichever installed model serves this request".
 */
export const OPENAI_STT_MODELS: ReadonlySet<string> = new Set(['whisper-1', 'gpt-4o-transcribe', 'gpt-4o-mini-transcribe', 'gpt-realtime-whisper', 'gpt-live-transcribe']);
