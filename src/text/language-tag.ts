/**
 * Language tags as the text pipeline uses them: lower-case BCP-47-ish strings such as `en`,
 * `en-us`, `cy`. The region is kept because some output differs by it (en-gb says dates
 * day-first); everything that only cares about the language compares primary subtags.
 */

const TAG_PATTERN = /^[a-z]{2,3}(?:-[a-z0-9]{1,8})*$/;

/** `'en_US'` / `' EN-us '` → `'en-us'`. Returns null when the result is not a plausible tag. */
export function normalizeLanguageTag(tag: string): string | null {
  const normalized = tag.trim().toLowerCase().replace(/_/g, '-');
  return TAG_PATTERN.test(normalized) ? normalized : null;
}

/** `'en-us'` → `'en'`. */
export function primarySubtag(tag: string): string {
  return tag.trim().toLowerCase().replace(/_/g, '-').split('-')[0] ?? '';
}

/** True for any English tag (`en`, `en-us`, `en-gb`, …). */
export function isEnglish(tag: string): boolean {
  return primarySubtag(tag) === 'en';
}
