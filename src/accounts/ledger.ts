/**
 * The credits ledger. Every change of a balance is a row (grant, reserve, commit, refund), and a
 * balance is the sum of its account's rows, so any balance can be audited line by line.
 *
 * A paid request reserves its estimated charge before any work (refused when the balance is
 * short), then either commits (a commit row holds the difference between the estimate and the
 * real charge, often 0) or is refunded (the reservation given back). A reservation is settled
 * once: a second commit or refund of the same reference does nothing.
 */
import type { Db } from '../storage/database.js';

export type LedgerKind = 'grant' | 'reserve' | 'commit' | 'refund';

export interface LedgerEntry {
  id: number;
  accountId: string;
  delta: number;
  kind: LedgerKind;
  /** The reservation a reserve/commit/refund row belongs to. */
  ref: string | null;
  note: string | null;
  createdAt: number;
}

export type Reservation = { ok: true; balance: number } | { ok: false; balance: number };

export interface LedgerStore {
  grant(accountId: string, credits: number, note: string | null): Promise<LedgerEntry>;
  balance(accountId: string): Promise<number>;
  /**
   * Holds `credits` under the unique reference `ref` when the balance covers them: the check and
   * the row are one transaction, so concurrent reserves (other processes, other nodes) cannot
   * both spend the same credits.
   */
  reserve(accountId: string, credits: number, ref: string, note: string | null): Promise<Reservation>;
  /**
   * Settles a reservation as spent. `actual` (default: the reserved amount) is the real charge;
   * the difference is returned or taken in the commit row. Returns the balance after, or null
   * when `ref` was already settled or never reserved.
   */
  commit(ref: string, actual?: number): Promise<number | null>;
  /** Gives a reservation back; null when it was already settled or never reserved. */
  refund(ref: string, note: string | null): Promise<number | null>;
  /** Newest first. */
  history(accountId: string, limit: number): Promise<LedgerEntry[]>;
}

export interface Row { id: number; account_id: string; delta: number; kind: LedgerKind; ref: string | null; note: string | null; created_at: number }

export const entry = (r: Row): LedgerEntry => ({ id: r.id, accountId: r.account_id, delta: r.delta, kind: r.kind, ref: r.ref, note: r.note, createdAt: r.created_at });

export class SqliteLedgerStore implements LedgerStore {
  private readonly stmts;
  private readonly reserveTx;
  private readonly settleTx;

  constructor(db: Db) {
    this.stmts = {
      insert: db.prepare('INSERT INTO credit_ledger (account_id, delta, kind, ref, note, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
      byId: db.prepare('SELECT * FROM credit_ledger WHERE id = ?'),
      balance: db.prepare('SELECT COALESCE(SUM(delta), 0) AS balance FROM credit_ledger WHERE account_id = ?'),
      rowsOf: db.prepare('SELECT * FROM credit_ledger WHERE ref = ?'),
      history: db.prepare('SELECT * FROM credit_ledger WHERE account_id = ? ORDER BY id DESC LIMIT ?'),
    };
    // IMMEDIATE: another process (the CLI granting credits) cannot interleave between the check and the row.
    this.reserveTx = db.transaction((accountId: string, credits: number, ref: string, note: string | null): Reservation => {
      const balance = this.balanceNow(accountId);
      if (balance < credits) return { ok: false, balance };
      if ((this.stmts.rowsOf.all(ref) as Row[]).length > 0) throw new Error(`ledger: reference ${ref} already used`);
      this.stmts.insert.run(accountId, -credits, 'reserve', ref, note, Date.now());
      return { ok: true, balance: balance - credits };
    });
    this.settleTx = db.transaction((ref: string, kind: 'commit' | 'refund', actual: number | undefined, note: string | null): number | null => {
      const rows = this.stmts.rowsOf.all(ref) as Row[];
      const reserved = rows.find((r) => r.kind === 'reserve');
      if (!reserved || rows.some((r) => r.kind === 'commit' || r.kind === 'refund')) return null;
      const held = -reserved.delta;
      const delta = kind === 'refund' ? held : held - (actual ?? held);
      this.stmts.insert.run(reserved.account_id, delta, kind, ref, note, Date.now());
      return this.balanceNow(reserved.account_id);
    });
  }

  async grant(accountId: string, credits: number, note: string | null): Promise<LedgerEntry> {
    const id = Number(this.stmts.insert.run(accountId, credits, 'grant', null, note, Date.now()).lastInsertRowid);
    return entry(this.stmts.byId.get(id) as Row);
  }

  async balance(accountId: string): Promise<number> {
    return this.balanceNow(accountId);
  }

  private balanceNow(accountId: string): number {
    return (this.stmts.balance.get(accountId) as { balance: number }).balance;
  }

  async reserve(accountId: string, credits: number, ref: string, note: string | null): Promise<Reservation> {
    return this.reserveTx.immediate(accountId, credits, ref, note);
  }

  async commit(ref: string, actual?: number): Promise<number | null> {
    return this.settleTx.immediate(ref, 'commit', actual, null);
  }

  async refund(ref: string, note: string | null): Promise<number | null> {
    return this.settleTx.immediate(ref, 'refund', undefined, note);
  }

  async history(accountId: string, limit: number): Promise<LedgerEntry[]> {
    return (this.stmts.history.all(accountId, limit) as Row[]).map(entry);
  }
}
