/**
 * An account's saved pronunciations (`/api/v1/pronunciations/`): at most 200 per account, read
 * with every synthesis of that account and applied before the request's own entries. Entries
 * are only ever read and deleted together with their account id, so no account sees another's.
 */
import { ApiError } from '../errors.js';
import type { Db } from '../storage/database.js';
import { MAX_PRONUNCIATIONS, type PronunciationRule } from '../text/pronunciations.js';

export interface SavedPronunciation extends PronunciationRule {
  id: number;
  createdAt: number;
}

export interface PronunciationStore {
  /** Oldest first (the order they apply in: a later entry for the same word wins). */
  list(accountId: string): Promise<SavedPronunciation[]>;
  /** 409 `too_many_pronunciations` when the account already has the maximum. */
  add(accountId: string, rule: PronunciationRule): Promise<SavedPronunciation>;
  /** False when the account has no entry with that id. */
  remove(accountId: string, id: number): Promise<boolean>;
}

/** A stored row: `case_sensitive` is 0/1 in SQLite, a boolean in Postgres. */
export interface Row { id: number; word: string; replacement: string; language: string | null; case_sensitive: number | boolean; created_at: number }

export function fromRow(r: Row): SavedPronunciation {
  const saved: SavedPronunciation = { id: r.id, word: r.word, replacement: r.replacement, caseSensitive: r.case_sensitive === 1 || r.case_sensitive === true, createdAt: r.created_at };
  if (r.language) saved.language = r.language;
  return saved;
}

export function tooManyPronunciations(): ApiError {
  return new ApiError('too_many_pronunciations', `The account already has ${MAX_PRONUNCIATIONS} saved pronunciations, the most allowed; delete some first`);
}

export class SqlitePronunciationStore implements PronunciationStore {
  private readonly stmts;
  private readonly addTx;

  constructor(db: Db) {
    this.stmts = {
      list: db.prepare('SELECT * FROM pronunciations WHERE account_id = ? ORDER BY id'),
      count: db.prepare('SELECT COUNT(*) AS n FROM pronunciations WHERE account_id = ?'),
      insert: db.prepare('INSERT INTO pronunciations (account_id, word, replacement, language, case_sensitive, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
      byId: db.prepare('SELECT * FROM pronunciations WHERE id = ?'),
      remove: db.prepare('DELETE FROM pronunciations WHERE account_id = ? AND id = ?'),
    };
    // The count and the insert in one transaction: two concurrent adds cannot both take the last place.
    this.addTx = db.transaction((accountId: string, rule: PronunciationRule): SavedPronunciation => {
      const { n } = this.stmts.count.get(accountId) as { n: number };
      if (n >= MAX_PRONUNCIATIONS) throw tooManyPronunciations();
      const info = this.stmts.insert.run(accountId, rule.word, rule.replacement, rule.language ?? null, rule.caseSensitive ? 1 : 0, Date.now());
      return fromRow(this.stmts.byId.get(info.lastInsertRowid) as Row);
    });
  }

  async list(accountId: string): Promise<SavedPronunciation[]> {
    return (this.stmts.list.all(accountId) as Row[]).map(fromRow);
  }

  async add(accountId: string, rule: PronunciationRule): Promise<SavedPronunciation> {
    return this.addTx.immediate(accountId, rule);
  }

  async remove(accountId: string, id: number): Promise<boolean> {
    return this.stmts.remove.run(accountId, id).changes === 1;
  }
}
