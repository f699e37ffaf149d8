/**
 * The Postgres schema as versioned steps, applied by `llais migrate` and never on a node's start:
 * a node whose database is behind refuses to start and says to run it. Each step runs in its own
 * transaction with its version recorded in `llais_migrations`; concurrent runs (two operators,
 * two deploy jobs) queue on an advisory lock, so each step is applied once.
 *
 * The tables mirror the embedded SQLite schema (src/storage/database.ts) for what cluster mode
 * shares: accounts, keys, the ledger, webhook secrets, TTS jobs, batches and webhook deliveries,
 * ownership, saved pronunciations, voice-chat conversations and stored voices (step 3), async
 * audio tool and transcription jobs (step 4).
 */
import type { PgPool } from './pool.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Ordered; a released step is never edited, a change is a new step. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'accounts, keys, ledger, webhook secrets',
    sql: `CREATE TABLE accounts (
        id TEXT PRIMARY KEY,
        plan TEXT NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE TABLE api_keys (
        id BIGSERIAL PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id),
        key_hash BYTEA NOT NULL UNIQUE,
        prefix TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT
      );
      -- No foreign key to accounts, as in SQLite (which does not enforce it): grants may precede the account row.
      CREATE TABLE credit_ledger (
        id BIGSERIAL PRIMARY KEY,
        account_id TEXT NOT NULL,
        delta BIGINT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('grant','reserve','commit','refund')),
        ref TEXT,
        note TEXT,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX credit_ledger_account ON credit_ledger(account_id, id);
      -- A reference is reserved once and settled once, whatever nodes race to do it.
      CREATE UNIQUE INDEX credit_ledger_reserved ON credit_ledger(ref) WHERE kind = 'reserve';
      CREATE UNIQUE INDEX credit_ledger_settled ON credit_ledger(ref) WHERE kind IN ('commit','refund');
      CREATE TABLE webhook_secrets (
        account_id TEXT PRIMARY KEY,
        secret TEXT NOT NULL,
        created_at BIGINT NOT NULL
      );`,
  },
  {
    version: 2,
    name: 'tts jobs, batches, webhook deliveries',
    sql: `CREATE TABLE tts_jobs (
        uuid TEXT PRIMARY KEY,
        job_id TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL CHECK (status IN ('queued','processing','completed','failed','expired')),
        request_json TEXT NOT NULL,
        model TEXT NOT NULL,
        voice TEXT NOT NULL,
        format TEXT NOT NULL,
        chars INTEGER NOT NULL,
        credits_used INTEGER NOT NULL,
        duration_sec DOUBLE PRECISION,
        error TEXT,
        client_ip TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        completed_at BIGINT,
        expires_at BIGINT
      );
      CREATE INDEX tts_jobs_status ON tts_jobs(status, created_at);
      CREATE INDEX tts_jobs_expiry ON tts_jobs(expires_at) WHERE status = 'completed';
      CREATE TABLE tts_batches (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        total INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('processing','completed')),
        credits_used INTEGER NOT NULL,
        webhook_url TEXT,
        base_url TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        completed_at BIGINT
      );
      CREATE INDEX tts_batches_processing ON tts_batches(created_at) WHERE status = 'processing';
      CREATE TABLE tts_batch_items (
        batch_id TEXT NOT NULL REFERENCES tts_batches(id),
        idx INTEGER NOT NULL,
        job_uuid TEXT NOT NULL UNIQUE,
        PRIMARY KEY (batch_id, idx)
      );
      CREATE TABLE webhook_deliveries (
        batch_id TEXT PRIMARY KEY REFERENCES tts_batches(id),
        delivery_id TEXT NOT NULL UNIQUE,
        url TEXT NOT NULL,
        body TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending','delivered','failed')),
        attempts INTEGER NOT NULL,
        next_attempt_at BIGINT,
        last_error TEXT,
        updated_at BIGINT NOT NULL
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status = 'pending';`,
  },
  {
    version: 3,
    name: 'ownership, pronunciations, conversations, stored voices',
    sql: `CREATE TABLE resource_owners (
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        account_id TEXT NOT NULL,
        PRIMARY KEY (kind, id)
      );
      CREATE TABLE pronunciations (
        id BIGSERIAL PRIMARY KEY,
        account_id TEXT NOT NULL,
        word TEXT NOT NULL,
        replacement TEXT NOT NULL,
        language TEXT,
        case_sensitive BOOLEAN NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX pronunciations_account ON pronunciations(account_id, id);
      CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        system_prompt TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );
      CREATE TABLE conversation_messages (
        conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('user','assistant')),
        content TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (conversation_id, seq)
      );
      -- The vector as float64 little-endian bytes: every JS number (the statistics' vectors are float64) round-trips exactly.
      CREATE TABLE voice_embeddings (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        model TEXT NOT NULL,
        extractor TEXT NOT NULL,
        vector BYTEA NOT NULL,
        stats TEXT NOT NULL,
        audio_sec DOUBLE PRECISION NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX voice_embeddings_account ON voice_embeddings(account_id, created_at);`,
  },
  {
    version: 4,
    name: 'async audio tool and transcription jobs',
    sql: `CREATE TABLE audio_tool_jobs (
        id TEXT PRIMARY KEY,
        tool TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('processing','completed','failed','cancelled')),
        total_frames INTEGER NOT NULL,
        progress_frames INTEGER NOT NULL DEFAULT 0,
        runner TEXT NOT NULL,
        payload_json TEXT,
        result_json TEXT,
        error_json TEXT,
        created_at BIGINT NOT NULL,
        finished_at BIGINT
      );
      CREATE INDEX audio_tool_jobs_finished ON audio_tool_jobs(finished_at) WHERE finished_at IS NOT NULL;
      CREATE INDEX audio_tool_jobs_unfinished ON audio_tool_jobs(runner, created_at) WHERE status = 'processing';`,
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Any constant shared by every `llais migrate`: the advisory lock they queue on. */
const MIGRATE_LOCK = 0x6c6c6169; // 'llai'

/** The newest applied version; 0 for a database never migrated. */
export async function appliedVersion(pool: PgPool): Promise<number> {
  const { rows } = await pool.query<{ exists: boolean }>(`SELECT to_regclass('llais_migrations') IS NOT NULL AS exists`);
  if (!rows[0]!.exists) return 0;
  const max = await pool.query<{ v: number | null }>('SELECT MAX(version) AS v FROM llais_migrations');
  return max.rows[0]!.v ?? 0;
}

/** Applies every step not applied yet, in order; returns those it applied (none when up to date). */
export async function migrate(pool: PgPool, steps: readonly Migration[] = MIGRATIONS): Promise<Migration[]> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATE_LOCK]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS llais_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
      const done = new Set((await client.query<{ version: number }>('SELECT version FROM llais_migrations')).rows.map((r) => r.version));
      const applied: Migration[] = [];
      for (const step of steps) {
        if (done.has(step.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(step.sql);
          await client.query('INSERT INTO llais_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [step.version, step.name, Date.now()]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          throw new Error(`migration ${step.version} (${step.name}) failed: ${(err as Error).message}`);
        }
        applied.push(step);
      }
      return applied;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATE_LOCK]).catch(() => {});
    }
  } finally {
    client.release();
  }
}

/** Throws, saying what to run, unless the database is at the latest version. Nodes call it on start. */
export async function assertMigrated(pool: PgPool): Promise<void> {
  const version = await appliedVersion(pool);
  if (version < LATEST_VERSION) {
    throw new Error(`refusing to start: the Postgres database (LLAIS_DATABASE_URL) is at schema version ${version}, this Llais needs ${LATEST_VERSION}: run \`llais migrate\` (with the same LLAIS_DATABASE_URL) first`);
  }
}
