/**
 * Pronunciation overrides: whole-word replacements applied to plain text before synthesis.
 * They come from the request (`pronunciations`) and from the account's saved dictionary; the
 * server passes both in one list, account entries first, and a later entry for the same word
 * wins, so a request can override a saved entry.
 */
import { invalidParam } from '../errors.js';
import { normalizeLanguageTag, primarySubtag } from './language-tag.js';

/** One override. `language` limits it to text in that language (primary subtag match). */
export interface PronunciationRule {
  word: string;
  replacement: string;
  caseSensitive: boolean;
  language?: string;
}

/** The API's per-account and per-request limit. */
export const MAX_PRONUNCIATIONS = 200;
export const MAX_WORD_CHARS = 100;
export const MAX_REPLACEMENT_CHARS = 500;

const PARAM = 'pronunciations';
const SHAPE = 'pronunciations must be an object such as {"GIF": "jiff"} or an array of {"word", "replacement", "case_sensitive"}';

function checkWord(word: unknown, where: string): string {
  if (typeof word !== 'string' || !word.trim()) throw invalidParam(PARAM, `${where} word must be a non-empty string`);
  if (word.trim().length > MAX_WORD_CHARS) throw invalidParam(PARAM, `${where} word is longer than ${MAX_WORD_CHARS} characters`);
  return word.trim();
}

function checkReplacement(replacement: unknown, where: string): string {
  // An empty replacement would silently delete the word, which is almost always a client bug.
  if (typeof replacement !== 'string' || !replacement.trim()) {
    throw invalidParam(PARAM, `${where} replacement must be a non-empty string`);
  }
  if (replacement.length > MAX_REPLACEMENT_CHARS) {
    throw invalidParam(PARAM, `${where} replacement is longer than ${MAX_REPLACEMENT_CHARS} characters`);
  }
  return replacement.trim();
}

/**
 * Validates the request's `pronunciations` field: an object `{"GIF": "jiff"}` or an array of
 * `{word, replacement, case_sensitive?, language?}`. Absent (undefined/null) means none.
 * Throws 400 on `pronunciations` for anything else.
 */
export function parsePronunciations(value: unknown): PronunciationRule[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'object') throw invalidParam(PARAM, SHAPE);
  const entries = Array.isArray(value) ? value : Object.entries(value);
  if (entries.length > MAX_PRONUNCIATIONS) {
    throw invalidParam(PARAM, `pronunciations has ${entries.length} entries; at most ${MAX_PRONUNCIATIONS} are allowed`);
  }
  if (!Array.isArray(value)) {
    return (entries as [string, unknown][]).map(([word, replacement]) => {
      const where = `pronunciations[${JSON.stringify(word.slice(0, 40))}]`;
      return { word: checkWord(word, where), replacement: checkReplacement(replacement, where), caseSensitive: false };
    });
  }
  return value.map((entry: unknown, i) => {
    const where = `pronunciations[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw invalidParam(PARAM, `${where} must be an object; ${SHAPE}`);
    const { word, replacement, case_sensitive: caseSensitive, language } = entry as Record<string, unknown>;
    if (caseSensitive !== undefined && caseSensitive !== null && typeof caseSensitive !== 'boolean') {
      throw invalidParam(PARAM, `${where} case_sensitive must be a boolean`);
    }
    const rule: PronunciationRule = {
      word: checkWord(word, where),
      replacement: checkReplacement(replacement, where),
      caseSensitive: caseSensitive === true,
    };
    if (language !== undefined && language !== null && language !== '') {
      const tag = typeof language === 'string' ? normalizeLanguageTag(language) : null;
      if (!tag) throw invalidParam(PARAM, `${where} language must be a language code such as "en" or "en-gb"`);
      rule.language = tag;
    }
    return rule;
  });
}

// Letters, digits, combining marks and "_" are word characters, in every script.
const WORD_CHAR = '[\\p{L}\\p{N}\\p{M}_]';
const STARTS_WITH_WORD_CHAR = new RegExp(`^${WORD_CHAR}`, 'u');
const ENDS_WITH_WORD_CHAR = new RegExp(`${WORD_CHAR}$`, 'u');

function wordPattern(word: string): string {
  const body = word
    .split(/\s+/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
    .join('\\s+');
  // A boundary is only needed where the word itself starts or ends with a word character:
  // "C++" and "Dr." carry their own boundary at the punctuation end.
  const before = STARTS_WITH_WORD_CHAR.test(word) ? `(?<!${WORD_CHAR})` : '';
  const after = ENDS_WITH_WORD_CHAR.test(word) ? `(?!${WORD_CHAR})` : '';
  return `${before}${body}${after}`;
}

/**
 * Applies rules on word boundaries in one left-to-right pass (a replacement is never
 * replaced again). Where several rules match at one place, the longest word wins, then a
 * language-specific rule, then a case-sensitive one, then the later rule.
 */
export function applyPronunciations(text: string, rules: PronunciationRule[], language: string): string {
  const lang = primarySubtag(language);
  const active = rules
    .map((rule, index) => ({ rule, index }))
    .filter(({ rule }) => !rule.language || primarySubtag(rule.language) === lang)
    .sort((a, b) =>
      b.rule.word.length - a.rule.word.length ||
      Number(Boolean(b.rule.language)) - Number(Boolean(a.rule.language)) ||
      Number(b.rule.caseSensitive) - Number(a.rule.caseSensitive) ||
      b.index - a.index)
    .map(({ rule }) => ({ rule, pattern: new RegExp(wordPattern(rule.word), rule.caseSensitive ? 'uy' : 'iuy') }));
  if (active.length === 0 || !text) return text;

  // Rules by the first character of their word, in every case it can match in, so each text
  // position tries only the few rules that could start there (one big alternation of 200
  // lookbehind patterns is ~10x slower on long text).
  const byFirstChar = new Map<string, typeof active>();
  for (const entry of active) {
    const first = String.fromCodePoint(entry.rule.word.codePointAt(0)!);
    const keys = entry.rule.caseSensitive ? [first] : [first, first.toLowerCase(), first.toUpperCase()];
    for (const key of new Set(keys)) {
      const list = byFirstChar.get(key) ?? [];
      list.push(entry);
      byFirstChar.set(key, list);
    }
  }

  let out = '';
  let copied = 0;
  for (let at = 0; at < text.length;) {
    const ch = String.fromCodePoint(text.codePointAt(at)!);
    let next = at + ch.length;
    for (const { rule, pattern } of byFirstChar.get(ch) ?? []) {
      pattern.lastIndex = at;
      const match = pattern.exec(text);
      if (!match) continue;
      out += text.slice(copied, at) + rule.replacement;
      copied = next = at + match[0].length;
      break;
    }
    at = next;
  }
  return out + text.slice(copied);
}
