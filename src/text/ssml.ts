/**
 * SSML in request text, reduced to plain speakable text.
 *
 * `<say-as>` is rendered to words (say-as.ts), `<sub alias>` to its alias, `<break>` to a
 * comma or full stop (the engines pause at punctuation), `<p>`/`<s>` end a sentence, and every
 * other element is replaced by its text content. The parser is lenient where plain text is
 * concerned: a "<" only starts markup when it looks like a tag (`<name …>`, `</name>`,
 * `<name/>`), so "a < b" or "I <3 you" pass through. Once something is markup, it must be
 * well formed; errors are 400 `invalid_ssml` on `text`.
 */
import { invalidSsml, quote } from './invalid-ssml.js';
import { normalizeLanguageTag } from './language-tag.js';
import { sayAs } from './say-as.js';
import { decodeEntities } from './xml-entities.js';

/** A parsed piece of request text. */
export type SsmlNode =
  | { type: 'text'; value: string }
  | { type: 'element'; name: string; attributes: Record<string, string>; children: SsmlNode[] };

/** Request text as parsed: its nodes, and whether it contained any markup at all. */
export interface SsmlDocument {
  nodes: SsmlNode[];
  isMarkup: boolean;
  /** `xml:lang` of the outermost `<speak>`, normalised, when it has one. */
  language?: string;
}

// A well-formed start, end or empty-element tag starting exactly at lastIndex.
const TAG = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/y;
const ATTRIBUTE = /([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
// SSML element names. A malformed tag with one of them that tries to carry attributes was meant
// as markup, so it is an error rather than text.
const SSML_ELEMENTS = new Set([
  'speak', 'say-as', 'break', 'p', 's', 'sub', 'phoneme', 'emphasis', 'prosody', 'voice', 'lang',
  'audio', 'mark', 'w', 'token', 'lexicon', 'meta', 'metadata', 'desc', 'paragraph', 'sentence',
]);
const SUSPECT_TAG = /<\/?([A-Za-z][\w.:-]*)\s[^<>]*=[^<>]*>/y;
// A break of this length or more is a sentence break rather than a comma.
const SENTENCE_BREAK_MS = 750;
const SENTENCE_END = /[.!?…。！？｡]$/u;
const CLAUSE_END = /[,;:，、；：]$/u;

/** Parses request text; throws 400 `invalid_ssml` for malformed markup. */
export function parseSsml(text: string): SsmlDocument {
  const root: SsmlNode[] = [];
  const stack: { name: string; children: SsmlNode[] }[] = [];
  let isMarkup = false;
  let textStart = 0;
  let pos = 0;
  const children = (): SsmlNode[] => stack[stack.length - 1]?.children ?? root;
  const flushText = (end: number): void => {
    if (end > textStart) children().push({ type: 'text', value: decodeEntities(text.slice(textStart, end)) });
  };

  while ((pos = text.indexOf('<', pos)) >= 0) {
    const rest = text.startsWith('<!', pos) || text.startsWith('<?', pos);
    if (rest) {
      const kind = text.startsWith('<!--', pos) ? 'comment'
        : text.startsWith('<![CDATA[', pos) ? 'cdata'
        : /^<\?[A-Za-z]/.test(text.slice(pos, pos + 3)) ? 'instruction'
        : /^<!DOCTYPE\s/i.test(text.slice(pos, pos + 10)) ? 'doctype' : null;
      if (kind) {
        const terminator = { comment: '-->', cdata: ']]>', instruction: '?>', doctype: '>' }[kind];
        const close = text.indexOf(terminator, pos);
        if (close < 0) throw invalidSsml(`SSML ${kind} starting ${quote(text.slice(pos))} is not closed`);
        flushText(pos);
        if (kind === 'cdata') children().push({ type: 'text', value: text.slice(pos + 9, close) });
        isMarkup = true;
        pos = textStart = close + terminator.length;
        continue;
      }
    }
    TAG.lastIndex = pos;
    const match = TAG.exec(text);
    if (!match) {
      SUSPECT_TAG.lastIndex = pos;
      const suspect = SUSPECT_TAG.exec(text);
      if (suspect && SSML_ELEMENTS.has(suspect[1]!.toLowerCase())) {
        throw invalidSsml(`malformed SSML tag ${quote(suspect[0])} (attribute values must be quoted)`);
      }
      pos++;
      continue;
    }
    const [whole, closing, rawName, rawAttributes, selfClosing] = match as unknown as [string, string, string, string, string];
    const name = rawName.toLowerCase();
    flushText(pos);
    isMarkup = true;
    pos = textStart = pos + whole.length;
    if (closing) {
      if (selfClosing || rawAttributes) throw invalidSsml(`malformed SSML end tag ${quote(whole)}`);
      const open = stack.pop();
      if (!open) throw invalidSsml(`SSML end tag </${rawName}> has no matching start tag`);
      if (open.name !== name) throw invalidSsml(`SSML end tag </${rawName}> does not match <${open.name}>`);
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const [, key, doubleQuoted, singleQuoted] of rawAttributes.matchAll(ATTRIBUTE)) {
      attributes[key!.toLowerCase()] = decodeEntities(doubleQuoted ?? singleQuoted ?? '');
    }
    const element: SsmlNode = { type: 'element', name, attributes, children: [] };
    children().push(element);
    if (!selfClosing) stack.push({ name, children: element.children });
  }
  flushText(text.length);
  const unclosed = stack[stack.length - 1];
  if (unclosed) throw invalidSsml(`SSML element <${unclosed.name}> is not closed`);

  const speak = root.find((n) => n.type === 'element' && n.name === 'speak');
  const lang = speak?.type === 'element' ? languageAttribute(speak.attributes) : undefined;
  return lang ? { nodes: root, isMarkup, language: lang } : { nodes: root, isMarkup };
}

function languageAttribute(attributes: Record<string, string>): string | undefined {
  const raw = attributes['xml:lang'] ?? attributes['lang'];
  return raw === undefined ? undefined : normalizeLanguageTag(raw) ?? undefined;
}

/** The text a listener would read, without rendering anything: used to detect the language. */
export function ssmlTextContent(nodes: SsmlNode[]): string {
  return nodes
    .map((n) => (n.type === 'text' ? n.value : ` ${ssmlTextContent(n.children)} `))
    .join('');
}

function breakMark(attributes: Record<string, string>): '' | ',' | '.' {
  const time = attributes['time'];
  if (time !== undefined) {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*$/i.exec(time);
    if (!match) throw invalidSsml(`SSML <break> time ${quote(time)} is not a duration such as "500ms" or "1s"`);
    const ms = Number(match[1]) * (match[2]!.toLowerCase() === 's' ? 1000 : 1);
    if (ms <= 0) return '';
    return ms >= SENTENCE_BREAK_MS ? '.' : ',';
  }
  const strength = (attributes['strength'] ?? 'medium').toLowerCase();
  switch (strength) {
    case 'none':
      return '';
    case 'x-weak':
    case 'weak':
    case 'medium':
      return ',';
    case 'strong':
    case 'x-strong':
      return '.';
    default:
      throw invalidSsml(`SSML <break> strength ${quote(strength)} is not one of none, x-weak, weak, medium, strong, x-strong`);
  }
}

/** Collects rendered text; pauses become punctuation that never doubles up. */
class PlainText {
  text = '';

  pause(mark: '' | ',' | '.'): void {
    if (!mark) return;
    this.text = this.text.trimEnd();
    if (!this.text || SENTENCE_END.test(this.text)) return;
    if (CLAUSE_END.test(this.text)) {
      if (mark === '.') this.text = `${this.text.slice(0, -1)}.`;
    } else {
      this.text += mark;
    }
    this.text += ' ';
  }
}

function render(nodes: SsmlNode[], language: string, out: PlainText): void {
  for (const node of nodes) {
    if (node.type === 'text') {
      out.text += node.value;
      continue;
    }
    const lang = languageAttribute(node.attributes) ?? language;
    switch (node.name) {
      case 'say-as': {
        const interpretAs = node.attributes['interpret-as'];
        if (interpretAs === undefined) throw invalidSsml('SSML <say-as> needs an interpret-as attribute');
        const content = ssmlTextContent(node.children);
        const format = node.attributes['format'];
        out.text += sayAs(interpretAs, content, format === undefined ? { language: lang } : { format, language: lang });
        break;
      }
      case 'sub': {
        const alias = node.attributes['alias'];
        if (alias !== undefined) out.text += alias;
        else render(node.children, lang, out);
        break;
      }
      case 'break':
        out.pause(breakMark(node.attributes));
        break;
      case 's':
      case 'sentence':
        render(node.children, lang, out);
        out.pause('.');
        break;
      case 'p':
      case 'paragraph':
        render(node.children, lang, out);
        out.pause('.');
        out.text += '\n\n';
        break;
      default:
        render(node.children, lang, out);
    }
  }
}

/** Renders parsed text to plain text in `language` (see `renderSsml`). */
export function renderSsmlDocument(doc: SsmlDocument, language: string): string {
  if (!doc.isMarkup) return doc.nodes.map((n) => (n.type === 'text' ? n.value : '')).join('');
  const out = new PlainText();
  render(doc.nodes, language, out);
  // Markup indentation is not text; a blank line (from <p> or the source) stays a paragraph break.
  return out.text
    .replace(/\s+/g, (ws) => (ws.split('\n').length > 2 ? '\n\n' : ' '))
    .trim();
}

/**
 * Turns request text into plain speakable text. Text without markup comes back unchanged
 * apart from decoded character references; markup is rendered as described above.
 */
export function renderSsml(text: string, language: string): string {
  return renderSsmlDocument(parseSsml(text), language);
}
