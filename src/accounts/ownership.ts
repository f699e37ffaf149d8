/**
 * Which account owns a thing (a job, a conversation, later a batch): one row per owned thing, so
 * the stores of those things need no account column. Things created in open mode or by anonymous
 * callers have no owner and stay capability links (whoever holds the id).
 */
import type { Db } from '../storage/database.js';

export type OwnedKind = 'job' | 'conversation' | 'batch';

export interface OwnershipStore {
  /**
   * Records `accountId` as the owner of each id, in one statement (a batch claims all its jobs
   * at once). The first claim of a thing wins; a later one, by any account, changes nothing.
   */
  claim(kind: OwnedKind, ids: readonly string[], accountId: string): Promise<void>;
  ownerOf(kind: OwnedKind, id: string): Promise<string | undefined>;
}

export class SqliteOwnershipStore implements OwnershipStore {
  private readonly stmts;
  private readonly claimTx;

  constructor(db: Db) {
    this.stmts = {
      claim: db.prepare('INSERT OR IGNORE INTO resource_owners (kind, id, account_id) VALUES (?, ?, ?)'),
      owner: db.prepare('SELECT account_id FROM resource_owners WHERE kind = ? AND id = ?'),
    };
    this.claimTx = db.transaction((kind: OwnedKind, ids: readonly string[], accountId: string) => {
      for (const id of ids) this.stmts.claim.run(kind, id, accountId);
    });
  }

  async claim(kind: OwnedKind, ids: readonly string[], accountId: string): Promise<void> {
    this.claimTx(kind, ids, accountId);
  }

  async ownerOf(kind: OwnedKind, id: string): Promise<string | undefined> {
    return (this.stmts.owner.get(kind, id) as { account_id: string } | undefined)?.account_id;
  }
}
