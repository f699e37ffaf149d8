/**
 * Which speech-to-text model serves a request: the one rule every STT endpoint and live session
 * goes through. A named model must be catalogued (else 400 `model_not_found`) and installed (else
 * 424 `model_not_installed`, with the command that installs it); it must speak the language and
 * do what is asked (word times, translation, live decoding, speaker labels). With no model named
 * (or one of OpenAI's names, which name none of ours), the first installed model that qualifies
 * serves; when none does, the 424 names a catalogued model that would, and how to install it.
 */
import { OPENAI_STT_MODELS, STT_MODEL_ALIASES, type SttModelInfo } from '../engines/stt/catalogue.js';
import type { SttCapabilities } from '../engines/stt/types.js';
import { ApiError, invalidParam } from '../errors.js';

/** A catalogue entry and whether this server has it installed. */
export interface SttModelStatus extends SttModelInfo {
  installed: boolean;
  /** Loaded by a worker (built-in engines count as loaded when installed). */
  loaded?: boolean;
  /** Installed but unusable (a corrupt or mismatched file): the 424 message that says why and how to fix it. */
  failed?: string;
}

export interface SttModelQuery {
  /** As the client sent it; undefined when not sent. */
  model?: string;
  /** ISO 639-1 (a region is ignored), or `auto`. */
  language: string;
  task: 'transcribe' | 'translate';
  wordTimestamps: boolean;
  diarize: boolean;
  /** A live session: needs incremental decoding. */
  live: boolean;
}

export interface ResolvedSttModel {
  /** The catalogue id of the model that serves the request. */
  model: string;
}

/** The language field's form: `auto`, or a code such as `en`, `en-US`, `pt_BR`. */
const LANGUAGE_TAG = /^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$/;

/** Validates a language field's form (400 `invalid_value`, param `language`); returns it trimmed, `auto` when empty. */
export function sttLanguage(raw: string | undefined): string {
  const language = raw?.trim() || 'auto';
  if (language !== 'auto' && !LANGUAGE_TAG.test(language)) {
    throw invalidParam('language', `'language' must be a language code such as 'en', or 'auto'; got ${JSON.stringify(language)}`);
  }
  return language;
}

const CAPABILITY_WORDS: Record<keyof SttCapabilities, string> = {
  wordTimestamps: 'word timestamps',
  translation: 'translation into English',
  live: 'live (incremental) transcription',
  diarization: 'speaker labels (diarization)',
};

/**
 * Throws the ApiError that says why no model can serve `q` (see the module comment).
 * `defaultModel` (config `sttDefaultModel`) is used as if named when the request names none or
 * one of OpenAI's names; `auto` (or absent) leaves the choice to what is installed.
 */
export function resolveSttModel(models: readonly SttModelStatus[], q: SttModelQuery, defaultModel = 'auto'): ResolvedSttModel {
  const language = sttLanguage(q.language);
  const primary = language === 'auto' ? null : language.toLowerCase().split(/[-_]/)[0]!;
  const needs = neededCapabilities(q, primary);
  const speaks = (m: SttModelInfo): boolean => primary === null || m.languages.includes(primary);
  const can = (m: SttModelInfo): boolean => needs.every((c) => m.capabilities[c]);
  const installed = models.filter((m) => m.installed && m.failed === undefined);
  const unnamed = q.model === undefined || q.model === '' || OPENAI_STT_MODELS.has(q.model);
  const named = unnamed ? (defaultModel === 'auto' || defaultModel === '' ? undefined : defaultModel) : q.model;

  if (named !== undefined) {
    // `whisper` is the installed Whisper model that would serve, else the alias's size (to install).
    const family = named === 'whisper' ? installed.find((m) => m.id.startsWith('whisper-') && speaks(m) && can(m)) : undefined;
    const id = family?.id ?? STT_MODEL_ALIASES[named] ?? named;
    const m = models.find((x) => x.id === id);
    if (!m) {
      throw new ApiError('model_not_found', `Unknown speech-to-text model '${named}'. Use ${list(installed.map((x) => `'${x.id}'`))} or omit 'model'.`, 'model');
    }
    const called = id === named ? `'${id}'` : `'${named}' (${id})`;
    if (m.failed !== undefined) throw new ApiError('model_not_installed', m.failed, 'model');
    if (!m.installed) {
      throw new ApiError('model_not_installed', `Speech-to-text model ${called} is not installed on this server. Install it with \`${m.install_hint ?? `llais models pull ${id}`}\` and restart, or omit 'model' to use an installed one (${list(installed.map((x) => x.id))}).`, 'model');
    }
    if (!speaks(m)) {
      const others = installed.filter(speaks);
      if (others.length === 0) throw languageNotInstalled(models, language, primary!);
      throw new ApiError('language_not_supported', `Speech-to-text model '${id}' does not recognize '${language}'; installed models that do: ${list(others.map((x) => x.id))}.`, 'language');
    }
    const missing = needs.find((c) => !m.capabilities[c]);
    if (missing !== undefined) {
      throw new ApiError('capability_not_supported', `Speech-to-text model '${id}' does not provide ${CAPABILITY_WORDS[missing]}; omit 'model' to use one that does, if one is installed.`, 'model');
    }
    return { model: id };
  }

  // Installed downloads first: an operator who installed a model means it to be used.
  const ranked = [...installed].sort((a, b) => Number(a.builtin) - Number(b.builtin));
  const serving = ranked.find((m) => speaks(m) && can(m));
  if (serving) return { model: serving.id };
  if (!installed.some(speaks)) throw languageNotInstalled(models, language, primary!);
  const missing = needs.find((c) => !installed.some((m) => speaks(m) && m.capabilities[c]))!;
  const option = suggestion(models, (m) => speaks(m) && can(m));
  if (option === undefined) {
    throw new ApiError('capability_not_supported', `No speech-to-text model this server knows provides ${CAPABILITY_WORDS[missing]} for '${language}'.`, 'model');
  }
  throw new ApiError('capability_not_installed', `No installed speech-to-text model provides ${CAPABILITY_WORDS[missing]} for '${language}'. Install one that does with \`${option.install_hint ?? `llais models pull ${option.id}`}\` and restart.`, 'model');
}

/**
 * Translation is asked for only when the speech is known not to be English already: English
 * "translated" into English is a transcription, which every model does.
 */
function neededCapabilities(q: SttModelQuery, primary: string | null): Array<keyof SttCapabilities> {
  const needs: Array<keyof SttCapabilities> = [];
  if (q.wordTimestamps) needs.push('wordTimestamps');
  if (q.task === 'translate' && primary !== null && primary !== 'en') needs.push('translation');
  if (q.live) needs.push('live');
  if (q.diarize) needs.push('diarization');
  return needs;
}

function languageNotInstalled(models: readonly SttModelStatus[], language: string, primary: string): ApiError {
  const installedLanguages = [...new Set(models.filter((m) => m.installed).flatMap((m) => m.languages))];
  const option = suggestion(models, (m) => m.languages.includes(primary));
  const how = option
    ? ` Install a model that does with \`${option.install_hint ?? `llais models pull ${option.id}`}\` and restart.`
    : ' No speech-to-text model this server knows recognizes it.';
  return new ApiError('language_not_installed', `No installed speech-to-text model speaks '${language}'; the installed recognizers speak: ${installedLanguages.join(', ')}.${how}`, 'language');
}

/** The not-installed model to recommend: the `whisper` alias's target when it fits, else the first that does. */
function suggestion(models: readonly SttModelStatus[], fits: (m: SttModelInfo) => boolean): SttModelStatus | undefined {
  const candidates = models.filter((m) => !m.installed && fits(m));
  return candidates.find((m) => m.id === STT_MODEL_ALIASES.whisper) ?? candidates[0];
}

function list(items: string[]): string {
  return items.length === 0 ? 'none' : items.join(', ');
}
