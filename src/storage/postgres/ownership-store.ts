/**
 * Which account owns a job, batch or conversation, on Postgres (cluster mode): a thing made with
 * one key on one node is hidden from other keys on every node. As in SQLite the first claim wins
 * (ON CONFLICT DO NOTHING), and a batch's ids are claimed in one statement.
 */
import type { OwnedKind, OwnershipStore } from '../../accounts/ownership.js';
import type { PgPool } from './pool.js';

export class PgOwnershipStore implements OwnershipStore {
  constructor(private readonly pool: PgPool) {}

  async claim(kind: OwnedKind, ids: readonly string[], accountId: string): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      'INSERT INTO resource_owners (kind, id, account_id) SELECT $1, id, $3 FROM UNNEST($2::text[]) AS id ON CONFLICT DO NOTHING',
      [kind, ids, accountId],
    );
  }

  async ownerOf(kind: OwnedKind, id: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ account_id: string }>('SELECT account_id FROM resource_owners WHERE kind = $1 AND id = $2', [kind, id]);
    return rows[0]?.account_id;
  }
}
