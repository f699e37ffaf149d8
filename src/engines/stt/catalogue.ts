/**
 * Every speech-to-text model the server knows about: the built-in PocketSphinx recognizer, and
 * the models that would have to be installed into the models directory first. The shape follows
 * the TTS catalogue (`src/engines/tts/catalogue.ts`), so `llais models pull|list` can read both.
 *
 * No engine in this build runs Whisper, Faster-Whisper or SenseVoice yet. They are catalogued so
 * that a request naming one gets "not installed, here is how" (424) rather than "unknown model"
 * (400); none has `downloads` pinned yet, so `llais models pull <id>` refuses with
 * `no_download_source` until an engine and its files are added together.
 */
import type { InstallableModel } from '../model-files.js';
import type { SttCapabilities } from './types.js';
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

function whisper(size: string, name: string): SttModelInfo {
  const id = `whisper-${size}`;
  return { id, name, type: 'stt', languages: WHISPER_LANGUAGE_CODES, capabilities: WHISPER_CAPABILITIES, builtin: false, install_hint: `llais models pull ${id}`, manual_install: NO_ENGINE_YET };
}

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
  whisper('tiny', 'Whisper tiny'),
  whisper('base', 'Whisper base'),
  whisper('small', 'Whisper small'),
  whisper('medium', 'Whisper medium'),
  whisper('large-v3', 'Whisper large-v3'),
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
 * Names that stand for a catalogued model. API.md's `whisper` names the family; it means the base
 * size, the usual CPU default of Whisper ports.
 */
export const STT_MODEL_ALIASES: Readonly<Record<string, string>> = { whisper: 'whisper-base' };

/**
 * OpenAI's model names, accepted so its clients work unchanged. They name no engine of ours:
 * they mean "whichever installed model serves this request".
 */
export const OPENAI_STT_MODELS: ReadonlySet<string> = new Set(['whisper-1', 'gpt-4o-transcribe', 'gpt-4o-mini-transcribe']);
