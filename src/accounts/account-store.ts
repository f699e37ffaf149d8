/**
 * Accounts and their API keys. `AccountStore` and `KeyStore` are what the rest of the server
 * sees; SQLite is the first implementation (Postgres would sit behind the same calls). Key
 * lookups read the database every time, so a key created or revoked by `llais keys` in another
 * process counts at once: an indexed lookup by hash costs microseconds.
 */
import type { Db } from '../storage/database.js';
import { hashApiKey, keyPrefix, sameHash } from './api-key.js';

export interface Account {
  id: string;
  plan: string;
  createdAt: number;
}

export interface ApiKeyInfo {
  id: number;
  accountId: string;
  /** The key's first characters, for people to tell keys apart. */
  prefix: string;
  createdAt: number;
  revokedAt: number | null;
}

export interface AccountStore {
  get(id: string): Promise<Account | undefined>;
  /** Creates the account, or returns it as it is; `plan` is only used for a new account. */
  ensure(id: string, plan: string): Promise<{ account: Account; created: boolean }>;
  setPlan(id: string, plan: string): Promise<void>;
  list(): Promise<Account[]>;
}

export interface KeyStore {
  /** Stores the hash of `key` for `accountId`. */
  add(accountId: string, key: string): Promise<ApiKeyInfo>;
  /** The account of an active key, or undefined for an unknown or revoked one. */
  accountOf(key: string): Promise<string | undefined>;
  /** Revokes by key id; false when there is no such active key. */
  revoke(id: number): Promise<boolean>;
  list(accountId?: string): Promise<ApiKeyInfo[]>;
  /** Whether any key was ever created (revoked ones count: revoking every key must not reopen a server). */
  anyEverCreated(): Promise<boolean>;
}

export interface AccountRow { id: string; plan: string; created_at: number }
export interface KeyRow { id: number; account_id: string; key_hash: Buffer; prefix: string; created_at: number; revoked_at: number | null }

export const account = (r: AccountRow): Account => ({ id: r.id, plan: r.plan, createdAt: r.created_at });
export const keyInfo = (r: KeyRow): ApiKeyInfo => ({ id: r.id, accountId: r.account_id, prefix: r.prefix, createdAt: r.created_at, revokedAt: r.revoked_at });

export class SqliteAccountStore implements AccountStore {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      get: db.prepare('SELECT * FROM accounts WHERE id = ?'),
      insert: db.prepare('INSERT OR IGNORE INTO accounts (id, plan, created_at) VALUES (?, ?, ?)'),
      setPlan: db.prepare('UPDATE accounts SET plan = ? WHERE id = ?'),
      list: db.prepare('SELECT * FROM accounts ORDER BY id'),
    };
  }

  async get(id: string): Promise<Account | undefined> {
    return this.getNow(id);
  }

  private getNow(id: string): Account | undefined {
    const row = this.stmts.get.get(id) as AccountRow | undefined;
    return row ? account(row) : undefined;
  }

  async ensure(id: string, plan: string): Promise<{ account: Account; created: boolean }> {
    const created = this.stmts.insert.run(id, plan, Date.now()).changes === 1;
    return { account: this.getNow(id)!, created };
  }

  async setPlan(id: string, plan: string): Promise<void> {
    this.stmts.setPlan.run(plan, id);
  }

  async list(): Promise<Account[]> {
    return (this.stmts.list.all() as AccountRow[]).map(account);
  }
}

export class SqliteKeyStore implements KeyStore {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      insert: db.prepare('INSERT INTO api_keys (account_id, key_hash, prefix, created_at) VALUES (?, ?, ?, ?)'),
      byId: db.prepare('SELECT * FROM api_keys WHERE id = ?'),
      byHash: db.prepare('SELECT * FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL'),
      revoke: db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      all: db.prepare('SELECT * FROM api_keys ORDER BY id'),
      ofAccount: db.prepare('SELECT * FROM api_keys WHERE account_id = ? ORDER BY id'),
      any: db.prepare('SELECT EXISTS (SELECT 1 FROM api_keys) AS found'),
    };
  }

  async add(accountId: string, key: string): Promise<ApiKeyInfo> {
    const id = Number(this.stmts.insert.run(accountId, hashApiKey(key), keyPrefix(key), Date.now()).lastInsertRowid);
    return keyInfo(this.stmts.byId.get(id) as KeyRow);
  }

  async accountOf(key: string): Promise<string | undefined> {
    const hash = hashApiKey(key);
    const row = this.stmts.byHash.get(hash) as KeyRow | undefined;
    // The index found the row by hash; the comparison that decides is constant-time.
    return row && sameHash(row.key_hash, hash) ? row.account_id : undefined;
  }

  async revoke(id: number): Promise<boolean> {
    return this.stmts.revoke.run(Date.now(), id).changes === 1;
  }

  async list(accountId?: string): Promise<ApiKeyInfo[]> {
    const rows = (accountId === undefined ? this.stmts.all.all() : this.stmts.ofAccount.all(accountId)) as KeyRow[];
    return rows.map(keyInfo);
  }

  async anyEverCreated(): Promise<boolean> {
    return this.anyEverCreatedNow();
  }

  /** Synchronous reads for `llais doctor`, which only reads the embedded database. */
  anyEverCreatedNow(): boolean {
    return (this.stmts.any.get() as { found: number }).found === 1;
  }

  activeCountNow(): number {
    return (this.stmts.all.all() as KeyRow[]).filter((k) => k.revoked_at === null).length;
  }
}

/** Per-account secrets that sign completion webhooks (`whsec_…`); open mode keeps one for its single user. */
export interface WebhookSecretStore {
  /** The account's secret, made on first use. */
  secretOf(accountId: string): Promise<string>;
  /** Replaces the account's secret with `secret` (receivers must switch to it) and returns it. */
  rotate(accountId: string, secret: string): Promise<string>;
}

/** The SQLite `WebhookSecretStore` (table `webhook_secrets`; secrets kept as they are, since signing needs them). */
export class SqliteWebhookSecretStore implements WebhookSecretStore {
  private readonly stmts;

  /** `generate` makes a new secret (src/batch/webhook-signature.ts). */
  constructor(db: Db, private readonly generate: () => string) {
    this.stmts = {
      get: db.prepare('SELECT secret FROM webhook_secrets WHERE account_id = ?'),
      insert: db.prepare('INSERT OR IGNORE INTO webhook_secrets (account_id, secret, created_at) VALUES (?, ?, ?)'),
      replace: db.prepare('INSERT OR REPLACE INTO webhook_secrets (account_id, secret, created_at) VALUES (?, ?, ?)'),
    };
  }

  async secretOf(accountId: string): Promise<string> {
    // INSERT OR IGNORE first: two processes (server and CLI) asking at once end with one secret.
    this.stmts.insert.run(accountId, this.generate(), Date.now());
    return (this.stmts.get.get(accountId) as { secret: string }).secret;
  }

  async rotate(accountId: string, secret: string): Promise<string> {
    this.stmts.replace.run(accountId, secret, Date.now());
    return secret;
  }
}
