/**
 * The stores cluster mode shares between nodes (accounts, keys, webhook secrets, the ledger, job
 * records, batches, async audio tool jobs, ownership, saved pronunciations, voice-chat
 * conversations, stored voices), on the node's SQLite database by default or on Postgres when
 * `LLAIS_DATABASE_URL` is set (docs/cluster.md).
 */
import { SqliteAccountStore, SqliteKeyStore, SqliteWebhookSecretStore, type AccountStore, type KeyStore, type WebhookSecretStore } from '../accounts/account-store.js';
import { SqliteLedgerStore, type LedgerStore } from '../accounts/ledger.js';
import { SqliteBatchStore, type BatchStore } from '../batch/batch-store.js';
import { generateWebhookSecret } from '../batch/webhook-signature.js';
import { SqliteJobStore, type JobStore } from '../jobs/job-store.js';
import { SqliteToolJobStore, type ToolJobStore } from '../jobs/tool-job-store.js';
import { SqliteOwnershipStore, type OwnershipStore } from '../accounts/ownership.js';
import { SqlitePronunciationStore, type PronunciationStore } from '../accounts/pronunciation-store.js';
import { SqliteConversationStore, type ConversationStore } from '../voice-chat/conversation-store.js';
import { SqliteEmbeddingStore, type EmbeddingStore } from '../voice/embedding-store.js';
import type { Db } from './database.js';
import { PgAccountStore, PgKeyStore, PgWebhookSecretStore } from './postgres/account-store.js';
import { PgBatchStore } from './postgres/batch-store.js';
import { PgJobStore } from './postgres/job-store.js';
import { PgLedgerStore } from './postgres/ledger-store.js';
import { PgToolJobStore } from './postgres/tool-job-store.js';
import { PgOwnershipStore } from './postgres/ownership-store.js';
import { PgPronunciationStore } from './postgres/pronunciation-store.js';
import { PgConversationStore } from './postgres/conversation-store.js';
import { PgEmbeddingStore } from './postgres/embedding-store.js';
import { assertMigrated } from './postgres/migrations.js';
import { createPgPool, pgReachable } from './postgres/pool.js';

export interface SharedStores {
  kind: 'sqlite' | 'postgres';
  accounts: AccountStore;
  keys: KeyStore;
  webhookSecrets: WebhookSecretStore;
  ledger: LedgerStore;
  jobs: JobStore;
  batches: BatchStore;
  /** Async audio tool and transcription jobs (`async=true`). */
  toolJobs: ToolJobStore;
  /** Which account owns each job, batch and conversation. */
  ownership: OwnershipStore;
  pronunciations: PronunciationStore;
  conversations: ConversationStore;
  /** Stored voices (speaker embeddings). */
  voices: EmbeddingStore;
  /** Whether the database answers within `timeoutMs` (health). */
  reachable(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

export function sqliteStores(db: Db): SharedStores {
  return {
    kind: 'sqlite',
    accounts: new SqliteAccountStore(db),
    keys: new SqliteKeyStore(db),
    webhookSecrets: new SqliteWebhookSecretStore(db, generateWebhookSecret),
    ledger: new SqliteLedgerStore(db),
    jobs: new SqliteJobStore(db),
    batches: new SqliteBatchStore(db),
    toolJobs: new SqliteToolJobStore(db),
    ownership: new SqliteOwnershipStore(db),
    pronunciations: new SqlitePronunciationStore(db),
    conversations: new SqliteConversationStore(db),
    voices: new SqliteEmbeddingStore(db),
    reachable: async () => true,
    close: async () => {},
  };
}

/**
 * The Postgres stores at `url`; refuses (throws "run `llais migrate`") when the database is not at
 * the latest schema version: a node never migrates on its own start.
 */
export async function postgresStores(url: string): Promise<SharedStores> {
  const pool = createPgPool(url);
  try {
    await assertMigrated(pool);
  } catch (err) {
    await pool.end();
    throw err;
  }
  return {
    kind: 'postgres',
    accounts: new PgAccountStore(pool),
    keys: new PgKeyStore(pool),
    webhookSecrets: new PgWebhookSecretStore(pool, generateWebhookSecret),
    ledger: new PgLedgerStore(pool),
    jobs: new PgJobStore(pool),
    batches: new PgBatchStore(pool),
    toolJobs: new PgToolJobStore(pool),
    ownership: new PgOwnershipStore(pool),
    pronunciations: new PgPronunciationStore(pool),
    conversations: new PgConversationStore(pool),
    voices: new PgEmbeddingStore(pool),
    reachable: (timeoutMs) => pgReachable(pool, timeoutMs),
    close: () => pool.end(),
  };
}

/** The shared stores of a node: Postgres when `databaseUrl` is set, else the SQLite database `db`. */
export function openSharedStores(databaseUrl: string, db: Db): Promise<SharedStores> {
  return databaseUrl === '' ? Promise.resolve(sqliteStores(db)) : postgresStores(databaseUrl);
}
