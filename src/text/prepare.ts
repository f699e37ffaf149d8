/**
 * The text pipeline's one entry point: request text in, the language and the chunks to
 * synthesize out. Steps, in order: SSML to plain text, pronunciation overrides, sentence
 * splitting. Numbers in plain text are left to the engine, which reads digits in each of its
 * languages; only `<say-as>` forces them into words.
 */
import { invalidParam } from '../errors.js';
import { detectLanguage } from './language.js';
import { normalizeLanguageTag } from './language-tag.js';
import { applyPronunciations, type PronunciationRule } from './pronunciations.js';
import { splitPieces } from './sentences.js';
import { parseSsml, renderSsmlDocument, ssmlTextContent } from './ssml.js';

/** Text ready for the engines. */
export interface PreparedText {
  /** The whole plain text, whitespace-normalised. */
  text: string;
  /** Normalised language tag, e.g. `en`, `en-us`, `cy`. */
  language: string;
  /** Pieces to synthesize in order; the first is short so audio starts early. */
  chunks: string[];
  /** For each piece: it ends inside its sentence, so the next one joins it without a pause. */
  midSentence: boolean[];
}

/** Inputs besides the text; chunk sizes default as in `splitSentences`. */
export interface PrepareOptions {
  /** The request's `language`; detected from the text when absent or `auto`. */
  language?: string;
  pronunciations?: PronunciationRule[];
  firstChunkMaxChars?: number;
  maxChars?: number;
}

function requestLanguage(language: string | undefined): string | undefined {
  if (language === undefined || language.trim() === '' || language.trim().toLowerCase() === 'auto') return undefined;
  const tag = normalizeLanguageTag(language);
  if (!tag) throw invalidParam('language', `language ${JSON.stringify(language.slice(0, 40))} is not a language code such as "en" or "en-us"`);
  return tag;
}

/**
 * SSML → plain text, then pronunciations, then sentence split. The language is the request's
 * (normalised, region kept), else the SSML's `xml:lang`, else detected from the text. Throws
 * 400 on `text` for malformed SSML or text with nothing to speak, on `language` for a tag
 * that is not one.
 */
export function prepareText(input: string, opts: PrepareOptions = {}): PreparedText {
  const doc = parseSsml(input);
  const language = requestLanguage(opts.language) ?? doc.language ?? detectLanguage(ssmlTextContent(doc.nodes));
  const plain = applyPronunciations(renderSsmlDocument(doc, language), opts.pronunciations ?? [], language);
  const { chunks, midSentence } = splitPieces(plain, { firstChunkMaxChars: opts.firstChunkMaxChars, maxChars: opts.maxChars });
  if (chunks.length === 0) throw invalidParam('text', 'text has nothing to speak', 'empty_text');
  return { text: plain.replace(/\s+/g, ' ').trim(), language, chunks, midSentence };
}
