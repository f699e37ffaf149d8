/**
 * `GET | POST | DELETE /api/v1/pronunciations/`: the caller's saved pronunciation dictionary
 * (API.md). Entries belong to one account and are applied to its synthesis automatically; in
 * open mode the single user's entries live under one local owner.
 */
import { z } from 'zod';
import { OPEN_MODE_ACCOUNT } from '../accounts/accounts.js';
import type { Caller } from '../accounts/gate.js';
import type { SavedPronunciation } from '../accounts/pronunciation-store.js';
import { ApiError } from '../errors.js';
import { readJsonObject } from '../http/body.js';
import type { HttpExchange } from '../http/exchange.js';
import type { Router } from '../http/router.js';
import { parseBody } from '../schema.js';
import { normalizeLanguageTag } from '../text/language-tag.js';
import { MAX_REPLACEMENT_CHARS, MAX_WORD_CHARS, type PronunciationRule } from '../text/pronunciations.js';
import { callerOf } from './access.js';
import type { ApiContext } from './context.js';

const NewEntry = z.object({
  word: z.string().trim().min(1, { error: "'word' must not be empty" }).max(MAX_WORD_CHARS, { error: `'word' is longer than ${MAX_WORD_CHARS} characters` }),
  // An empty replacement would silently delete the word, which is almost always a client bug.
  replacement: z.string().trim().min(1, { error: "'replacement' must not be empty" }).max(MAX_REPLACEMENT_CHARS, { error: `'replacement' is longer than ${MAX_REPLACEMENT_CHARS} characters` }),
  language: z.string().nullish(),
  case_sensitive: z.boolean().optional(),
});

/** The dictionary owner of a caller: its account, or the local owner in open mode. Anonymous callers never get here (the route needs a key). */
export function dictionaryOwner(caller: Caller): string | null {
  if (caller.kind === 'account') return caller.accountId;
  return caller.kind === 'open' ? OPEN_MODE_ACCOUNT : null;
}

function ownerOf(ex: HttpExchange): string {
  const owner = dictionaryOwner(callerOf(ex));
  if (owner === null) throw new ApiError('missing_api_key', 'Saved pronunciations belong to an account: send "Authorization: Bearer sk-tts-…"');
  return owner;
}

function shape(e: SavedPronunciation): Record<string, unknown> {
  return { id: e.id, word: e.word, replacement: e.replacement, language: e.language ?? null, case_sensitive: e.caseSensitive, created_at: new Date(e.createdAt).toISOString() };
}

export function registerPronunciationRoutes(router: Router, ctx: ApiContext): void {
  const store = ctx.accounts.pronunciations;
  router.get('/api/v1/pronunciations', async (ex) => {
    const entries = await store.list(ownerOf(ex));
    ex.json(200, { pronunciations: entries.map(shape), total: entries.length });
  });
  router.post('/api/v1/pronunciations', async (ex) => {
    const owner = ownerOf(ex);
    const body = parseBody(NewEntry, await readJsonObject(ex, ctx.config.maxJsonBodyBytes));
    const rule: PronunciationRule = { word: body.word, replacement: body.replacement, caseSensitive: body.case_sensitive === true };
    if (body.language) {
      const tag = normalizeLanguageTag(body.language);
      if (!tag) throw new ApiError('invalid_value', "'language' must be a language code such as \"en\" or \"en-gb\", or empty for every language", 'language');
      rule.language = tag;
    }
    ex.json(200, shape(await store.add(owner, rule)));
  });
  router.delete('/api/v1/pronunciations', async (ex) => {
    const owner = ownerOf(ex);
    const raw = ex.query.get('id') ?? '';
    if (!raw) throw new ApiError('missing_required_parameter', "Missing required query parameter 'id'", 'id');
    const id = Number(raw);
    if (!Number.isSafeInteger(id) || id <= 0) throw new ApiError('invalid_value', "'id' must be the id of one of your saved pronunciations", 'id');
    // Another account's entry is not found, exactly like one that never existed.
    if (!(await store.remove(owner, id))) throw new ApiError('pronunciation_not_found', `No saved pronunciation with id ${id}`, 'id');
    ex.json(200, { id, deleted: true });
  });
}

/** The new entry's schema, for the OpenAPI document (src/api/openapi/). */
export { NewEntry as newPronunciationSchema };
