/**
 * Saved pronunciations on Postgres (cluster mode): an entry saved through one node applies on
 * every node. The limit per account is exact across nodes: the count and the insert are one
 * transaction holding the account's advisory lock, so two nodes cannot both take the last place.
 */
import { fromRow, tooManyPronunciations, type PronunciationStore, type Row, type SavedPronunciation } from '../../accounts/pronunciation-store.js';
import { MAX_PRONUNCIATIONS, type PronunciationRule } from '../../text/pronunciations.js';
import { inTransaction, type PgPool } from './pool.js';

export class PgPronunciationStore implements PronunciationStore {
  constructor(private readonly pool: PgPool) {}

  async list(accountId: string): Promise<SavedPronunciation[]> {
    return (await this.pool.query<Row>('SELECT * FROM pronunciations WHERE account_id = $1 ORDER BY id', [accountId])).rows.map(fromRow);
  }

  add(accountId: string, rule: PronunciationRule): Promise<SavedPronunciation> {
    return inTransaction(this.pool, async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('llais.pronunciations'), hashtext($1))`, [accountId]);
      const { n } = (await tx.query<{ n: number }>('SELECT COUNT(*) AS n FROM pronunciations WHERE account_id = $1', [accountId])).rows[0]!;
      if (n >= MAX_PRONUNCIATIONS) throw tooManyPronunciations();
      const { rows } = await tx.query<Row>(
        'INSERT INTO pronunciations (account_id, word, replacement, language, case_sensitive, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *',
        [accountId, rule.word, rule.replacement, rule.language ?? null, rule.caseSensitive, Date.now()],
      );
      return fromRow(rows[0]!);
    });
  }

  async remove(accountId: string, id: number): Promise<boolean> {
    return ((await this.pool.query('DELETE FROM pronunciations WHERE account_id = $1 AND id = $2', [accountId, id])).rowCount ?? 0) === 1;
  }
}
