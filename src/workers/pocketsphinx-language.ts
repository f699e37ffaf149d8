/**
 * Which installed PocketSphinx language serves a request's language: one rule shared by the pool
 * workers (files) and the live recognition threads (turns), so both refuse the same requests.
 */
import { ApiError } from '../errors.js';

/** Languages with an installed recognizer; `auto` means the first. */
export const RECOGNIZER_LANGUAGES = ['en'] as const;

/** The installed language for `language` (ISO 639-1, a BCP 47 tag or `auto`); 400 `unsupported_language` otherwise. */
export function pocketsphinxLanguage(language: string): (typeof RECOGNIZER_LANGUAGES)[number] {
  const primary = language.toLowerCase() === 'auto' ? RECOGNIZER_LANGUAGES[0] : language.toLowerCase().split('-')[0]!;
  const installed = RECOGNIZER_LANGUAGES.find((l) => l === primary);
  if (installed === undefined) {
    throw new ApiError('unsupported_language', `Speech recognition is not installed for language '${language}'; installed: ${RECOGNIZER_LANGUAGES.join(', ')}.`, 'language');
  }
  return installed;
}
