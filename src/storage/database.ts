/** Opens the embedded SQLite database and applies the schema migrations in order. */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export type Db = Database.Database;

/** Each entry runs once, in order; the index is stored in `PRAGMA user_version`. */
const MIGRATIONS: string[] = [
  `CREATE TABLE tts_jobs (
     uuid TEXT PRIMARY KEY,
     job_id TEXT NOT NULL UNIQUE,
     status TEXT NOT NULL CHECK (status IN ('queued','processing','completed','failed','expired')),
     request_json TEXT NOT NULL,
     model TEXT NOT NULL,
     voice TEXT NOT NULL,
     format TEXT NOT NULL,
     chars INTEGER NOT NULL,
     credits_used INTEGER NOT NULL,
     duration_sec REAL,
     error TEXT,
     client_ip TEXT,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     completed_at INTEGER,
     expires_at INTEGER
   );
   CREATE INDEX tts_jobs_status ON tts_jobs(status, created_at);
   CREATE INDEX tts_jobs_expiry ON tts_jobs(expires_at) WHERE status = 'completed';`,
  // Voice chat: a conversation and its messages in order; `seq` numbers them per conversation.
  `CREATE TABLE conversations (
     id TEXT PRIMARY KEY,
     system_prompt TEXT,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE conversation_messages (
     conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
     seq INTEGER NOT NULL,
     role TEXT NOT NULL CHECK (role IN ('user','assistant')),
     content TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     PRIMARY KEY (conversation_id, seq)
   ) WITHOUT ROWID;`,
  // Accounts (src/accounts/): keys stored as sha256 hashes only; every credit change is a ledger
  // row, so a balance is the sum of its rows; owned things map to their account by kind and id.
  `CREATE TABLE accounts (
     id TEXT PRIMARY KEY,
     plan TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE api_keys (
     id INTEGER PRIMARY KEY,
     account_id TEXT NOT NULL REFERENCES accounts(id),
     key_hash BLOB NOT NULL UNIQUE,
     prefix TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     revoked_at INTEGER
   );
   CREATE TABLE credit_ledger (
     id INTEGER PRIMARY KEY,
     account_id TEXT NOT NULL REFERENCES accounts(id),
     delta INTEGER NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('grant','reserve','commit','refund')),
     ref TEXT,
     note TEXT,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX credit_ledger_account ON credit_ledger(account_id, id);
   CREATE INDEX credit_ledger_ref ON credit_ledger(ref) WHERE ref IS NOT NULL;
   CREATE TABLE resource_owners (
     kind TEXT NOT NULL,
     id TEXT NOT NULL,
     account_id TEXT NOT NULL,
     PRIMARY KEY (kind, id)
   ) WITHOUT ROWID;
   CREATE TABLE pronunciations (
     id INTEGER PRIMARY KEY,
     account_id TEXT NOT NULL, -- no foreign key: open mode keeps its single user's entries too
     word TEXT NOT NULL,
     replacement TEXT NOT NULL,
     language TEXT,
     case_sensitive INTEGER NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX pronunciations_account ON pronunciations(account_id, id);`,
  // Batches (src/batch/): each item is an ordinary TTS job; a finished batch with a webhook gets
  // one delivery row holding the signed body and the retry state, so a restart resumes it.
  // Webhook secrets are per account (open mode's single user included, hence no foreign key).
  `CREATE TABLE webhook_secrets (
     account_id TEXT PRIMARY KEY,
     secret TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE tts_batches (
     id TEXT PRIMARY KEY,
     account_id TEXT NOT NULL,
     total INTEGER NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('processing','completed')),
     credits_used INTEGER NOT NULL,
     webhook_url TEXT,
     base_url TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     completed_at INTEGER
   );
   CREATE INDEX tts_batches_status ON tts_batches(status) WHERE status = 'processing';
   CREATE TABLE tts_batch_items (
     batch_id TEXT NOT NULL REFERENCES tts_batches(id),
     idx INTEGER NOT NULL,
     job_uuid TEXT NOT NULL UNIQUE,
     PRIMARY KEY (batch_id, idx)
   ) WITHOUT ROWID;
   CREATE TABLE webhook_deliveries (
     batch_id TEXT PRIMARY KEY REFERENCES tts_batches(id),
     delivery_id TEXT NOT NULL UNIQUE,
     url TEXT NOT NULL,
     body TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('pending','delivered','failed')),
     attempts INTEGER NOT NULL,
     next_attempt_at INTEGER,
     last_error TEXT,
     updated_at INTEGER NOT NULL
   );
   CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status = 'pending';`,
  // Audio tool jobs started with async=true (src/jobs/tool-job-store.ts): kept so a poll after a
  // restart answers the finished result, or `failed` with `interrupted`, never 404.
  `CREATE TABLE audio_tool_jobs (
     id TEXT PRIMARY KEY,
     tool TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('processing','completed','failed','cancelled')),
     total_frames INTEGER NOT NULL,
     result_json TEXT,
     error_json TEXT,
     created_at INTEGER NOT NULL,
     finished_at INTEGER
   );
   CREATE INDEX audio_tool_jobs_finished ON audio_tool_jobs(finished_at) WHERE finished_at IS NOT NULL;`,
  // Who runs an async job (a node's id, or 'queue' for the cluster queue), its progress for polls
  // on other nodes, and what a queue worker needs to run it (src/jobs/tool-job-store.ts).
  `ALTER TABLE audio_tool_jobs ADD COLUMN runner TEXT;
   ALTER TABLE audio_tool_jobs ADD COLUMN progress_frames INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE audio_tool_jobs ADD COLUMN payload_json TEXT;`,
];

export function openDatabase(dataDir: string): Db {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, 'llais.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let i = current; i < MIGRATIONS.length; i++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[i]!);
      db.pragma(`user_version = ${i + 1}`);
    })();
  }
  return db;
}
