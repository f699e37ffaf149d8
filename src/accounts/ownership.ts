/**
 * Which account owns a thing (a job, a conversation, later a batch): one row per owned thing, so
 * the stores of those things need no account column. Things created in open mode or by anonymous
 * callers have no owner and stay capability links (whoever holds the id).
 */
import type { Db } from '../storage/database.js';

export type OwnedKind = 'job' | 'conversation' | 'batch';

export interface OwnershipStore {
  claim(kind: OwnedKind, id: string, accountId: string): void;
  ownerOf(kind: OwnedKind, id: string): string | undefined;
}

export class SqliteOwnershipStore implements OwnershipStore {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      claim: db.prepare('INSERT OR IGNORE INTO resource_owners (kind, id, account_id) VALUES (?, ?, ?)'),
      owner: db.prepare('SELECT account_id FROM resource_owners WHERE kind = ? AND id = ?'),
    };
  }

  claim(kind: OwnedKind, id: string, accountId: string): void {
    this.stmts.claim.run(kind, id, accountId);
  }

  ownerOf(kind: OwnedKind, id: string): string | undefined {
    return (this.stmts.owner.get(kind, id) as { account_id: string } | undefined)?.account_id;
  }
}
