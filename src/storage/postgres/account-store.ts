/** Accounts, API keys and webhook secrets on Postgres (cluster mode): the same answers as the SQLite stores. */
import { account, keyInfo, type Account, type AccountRow, type AccountStore, type ApiKeyInfo, type KeyRow, type KeyStore, type WebhookSecretStore } from '../../accounts/account-store.js';
import { hashApiKey, keyPrefix, sameHash } from '../../accounts/api-key.js';
import type { PgPool } from './pool.js';

export class PgAccountStore implements AccountStore {
  constructor(private readonly pool: PgPool) {}

  async get(id: string): Promise<Account | undefined> {
    const { rows } = await this.pool.query<AccountRow>('SELECT * FROM accounts WHERE id = $1', [id]);
    return rows[0] ? account(rows[0]) : undefined;
  }

  async ensure(id: string, plan: string): Promise<{ account: Account; created: boolean }> {
    const inserted = await this.pool.query('INSERT INTO accounts (id, plan, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING', [id, plan, Date.now()]);
    return { account: (await this.get(id))!, created: inserted.rowCount === 1 };
  }

  async setPlan(id: string, plan: string): Promise<void> {
    await this.pool.query('UPDATE accounts SET plan = $1 WHERE id = $2', [plan, id]);
  }

  async list(): Promise<Account[]> {
    return (await this.pool.query<AccountRow>('SELECT * FROM accounts ORDER BY id')).rows.map(account);
  }
}

export class PgKeyStore implements KeyStore {
  constructor(private readonly pool: PgPool) {}

  async add(accountId: string, key: string): Promise<ApiKeyInfo> {
    const { rows } = await this.pool.query<KeyRow>('INSERT INTO api_keys (account_id, key_hash, prefix, created_at) VALUES ($1, $2, $3, $4) RETURNING *', [accountId, hashApiKey(key), keyPrefix(key), Date.now()]);
    return keyInfo(rows[0]!);
  }

  async accountOf(key: string): Promise<string | undefined> {
    const hash = hashApiKey(key);
    const row = (await this.pool.query<KeyRow>('SELECT * FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL', [hash])).rows[0];
    // The index found the row by hash; the comparison that decides is constant-time.
    return row && sameHash(row.key_hash, hash) ? row.account_id : undefined;
  }

  async revoke(id: number): Promise<boolean> {
    return (await this.pool.query('UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [Date.now(), id])).rowCount === 1;
  }

  async list(accountId?: string): Promise<ApiKeyInfo[]> {
    const { rows } = accountId === undefined
      ? await this.pool.query<KeyRow>('SELECT * FROM api_keys ORDER BY id')
      : await this.pool.query<KeyRow>('SELECT * FROM api_keys WHERE account_id = $1 ORDER BY id', [accountId]);
    return rows.map(keyInfo);
  }

  async anyEverCreated(): Promise<boolean> {
    return (await this.pool.query<{ found: boolean }>('SELECT EXISTS (SELECT 1 FROM api_keys) AS found')).rows[0]!.found;
  }
}

export class PgWebhookSecretStore implements WebhookSecretStore {
  /** `generate` makes a new secret (src/batch/webhook-signature.ts). */
  constructor(private readonly pool: PgPool, private readonly generate: () => string) {}

  async secretOf(accountId: string): Promise<string> {
    // Insert-if-absent first: two nodes asking at once end with one secret.
    await this.pool.query('INSERT INTO webhook_secrets (account_id, secret, created_at) VALUES ($1, $2, $3) ON CONFLICT (account_id) DO NOTHING', [accountId, this.generate(), Date.now()]);
    return (await this.pool.query<{ secret: string }>('SELECT secret FROM webhook_secrets WHERE account_id = $1', [accountId])).rows[0]!.secret;
  }

  async rotate(accountId: string, secret: string): Promise<string> {
    await this.pool.query(
      'INSERT INTO webhook_secrets (account_id, secret, created_at) VALUES ($1, $2, $3) ON CONFLICT (account_id) DO UPDATE SET secret = EXCLUDED.secret, created_at = EXCLUDED.created_at',
      [accountId, secret, Date.now()],
    );
    return secret;
  }
}
