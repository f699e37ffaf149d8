/**
 * The credits ledger on Postgres (cluster mode): the same rows and answers as SqliteLedgerStore.
 * A reserve is exact across nodes: one transaction takes the account's advisory lock (held to
 * commit), then reads the balance and inserts, so two nodes can never both spend the same credits.
 * A reference is reserved once and settled once by the partial unique indexes, whoever races.
 */
import { entry, type LedgerEntry, type LedgerStore, type Reservation, type Row } from '../../accounts/ledger.js';
import { inTransaction, type PgClient, type PgPool } from './pool.js';

const INSERT = 'INSERT INTO credit_ledger (account_id, delta, kind, ref, note, created_at) VALUES ($1, $2, $3, $4, $5, $6)';
const BALANCE = 'SELECT COALESCE(SUM(delta), 0) AS balance FROM credit_ledger WHERE account_id = $1';
const UNIQUE_VIOLATION = '23505';

async function balanceOn(db: PgPool | PgClient, accountId: string): Promise<number> {
  return (await db.query<{ balance: number }>(BALANCE, [accountId])).rows[0]!.balance;
}

export class PgLedgerStore implements LedgerStore {
  constructor(private readonly pool: PgPool) {}

  async grant(accountId: string, credits: number, note: string | null): Promise<LedgerEntry> {
    const { rows } = await this.pool.query<Row>(`${INSERT} RETURNING *`, [accountId, credits, 'grant', null, note, Date.now()]);
    return entry(rows[0]!);
  }

  balance(accountId: string): Promise<number> {
    return balanceOn(this.pool, accountId);
  }

  async reserve(accountId: string, credits: number, ref: string, note: string | null): Promise<Reservation> {
    try {
      return await inTransaction(this.pool, async (tx) => {
        // Per account: reserves of one account queue here, those of others do not wait.
        await tx.query(`SELECT pg_advisory_xact_lock(hashtext('llais.ledger'), hashtext($1))`, [accountId]);
        const balance = await balanceOn(tx, accountId);
        if (balance < credits) return { ok: false, balance };
        await tx.query(INSERT, [accountId, -credits, 'reserve', ref, note, Date.now()]);
        return { ok: true, balance: balance - credits };
      });
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw new Error(`ledger: reference ${ref} already used`);
      throw err;
    }
  }

  commit(ref: string, actual?: number): Promise<number | null> {
    return this.settle(ref, 'commit', actual ?? null, null);
  }

  refund(ref: string, note: string | null): Promise<number | null> {
    return this.settle(ref, 'refund', null, note);
  }

  async history(accountId: string, limit: number): Promise<LedgerEntry[]> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM credit_ledger WHERE account_id = $1 ORDER BY id DESC LIMIT $2', [accountId, limit]);
    return rows.map(entry);
  }

  /** One conditional insert: the settling row exists at most once per reference (ON CONFLICT on the unique index). */
  private async settle(ref: string, kind: 'commit' | 'refund', actual: number | null, note: string | null): Promise<number | null> {
    const { rows } = await this.pool.query<{ account_id: string }>(
      `INSERT INTO credit_ledger (account_id, delta, kind, ref, note, created_at)
       SELECT account_id, CASE WHEN $2 = 'refund' THEN -delta ELSE -delta - COALESCE($3::bigint, -delta) END, $2, ref, $4, $5
         FROM credit_ledger WHERE ref = $1 AND kind = 'reserve'
       ON CONFLICT DO NOTHING
       RETURNING account_id`,
      [ref, kind, actual, note, Date.now()],
    );
    return rows.length === 0 ? null : balanceOn(this.pool, rows[0]!.account_id);
  }
}
