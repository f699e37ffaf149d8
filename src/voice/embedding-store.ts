/**
 * Stored voices (`/v1/voice-embed/`): each embedding belongs to one account and is read, listed
 * and deleted only together with that account's id, so another account's `embed_id` is simply
 * not found. The table is created here (IF NOT EXISTS) rather than as a numbered migration in
 * src/storage/database.ts, so this feature adds no step to the shared migration list.
 */
import { ApiError } from '../errors.js';
import type { Db } from '../storage/database.js';
import type { VoiceStats } from './voice-profile.js';

/** Most stored voices per account: each is a few KB, but a runaway client should still stop. */
export const MAX_EMBEDDINGS_PER_ACCOUNT = 500;

export interface StoredEmbedding {
  id: string;
  /** The cloning model the caller named (API.md's list), recorded as asked. */
  model: string;
  /** What actually computed `vector`: the embedded statistics, or an installed ONNX model's id. */
  extractor: string;
  vector: number[];
  stats: VoiceStats;
  /** Seconds of audio it was computed from. */
  audioSec: number;
  createdAt: number;
}

export interface EmbeddingStore {
  /**
   * Stores `e` for the account; 409 `too_many_embeddings` when it already has the maximum. The
   * count and the insert are one transaction, so two concurrent adds cannot both take the last place.
   */
  add(accountId: string, e: StoredEmbedding): Promise<void>;
  get(accountId: string, id: string): Promise<StoredEmbedding | undefined>;
  /** Newest first. */
  list(accountId: string): Promise<StoredEmbedding[]>;
  /** For refusing early (before the embedding is computed); `add` is what holds the limit. */
  count(accountId: string): Promise<number>;
  remove(accountId: string, id: string): Promise<boolean>;
}

export function tooManyEmbeddings(): ApiError {
  return new ApiError('too_many_embeddings', `The account already stores ${MAX_EMBEDDINGS_PER_ACCOUNT} voices, the most allowed; delete some first`);
}

interface Row { id: string; model: string; extractor: string; vector: string; stats: string; audio_sec: number; created_at: number }

function fromRow(r: Row): StoredEmbedding {
  return { id: r.id, model: r.model, extractor: r.extractor, vector: JSON.parse(r.vector) as number[], stats: JSON.parse(r.stats) as VoiceStats, audioSec: r.audio_sec, createdAt: r.created_at };
}

export class SqliteEmbeddingStore implements EmbeddingStore {
  private readonly stmts;
  private readonly addTx;

  constructor(db: Db) {
    db.exec(`CREATE TABLE IF NOT EXISTS voice_embeddings (
       id TEXT PRIMARY KEY,
       account_id TEXT NOT NULL, -- no foreign key: open mode keeps its single user's voices too
       model TEXT NOT NULL,
       extractor TEXT NOT NULL,
       vector TEXT NOT NULL,
       stats TEXT NOT NULL,
       audio_sec REAL NOT NULL,
       created_at INTEGER NOT NULL
     );
     CREATE INDEX IF NOT EXISTS voice_embeddings_account ON voice_embeddings(account_id, created_at);`);
    this.stmts = {
      insert: db.prepare('INSERT INTO voice_embeddings (id, account_id, model, extractor, vector, stats, audio_sec, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      get: db.prepare('SELECT * FROM voice_embeddings WHERE account_id = ? AND id = ?'),
      list: db.prepare('SELECT * FROM voice_embeddings WHERE account_id = ? ORDER BY created_at DESC, id'),
      count: db.prepare('SELECT COUNT(*) AS n FROM voice_embeddings WHERE account_id = ?'),
      remove: db.prepare('DELETE FROM voice_embeddings WHERE account_id = ? AND id = ?'),
    };
    this.addTx = db.transaction((accountId: string, e: StoredEmbedding) => {
      if ((this.stmts.count.get(accountId) as { n: number }).n >= MAX_EMBEDDINGS_PER_ACCOUNT) throw tooManyEmbeddings();
      this.stmts.insert.run(e.id, accountId, e.model, e.extractor, JSON.stringify(e.vector), JSON.stringify(e.stats), e.audioSec, e.createdAt);
    });
  }

  async add(accountId: string, e: StoredEmbedding): Promise<void> {
    this.addTx.immediate(accountId, e);
  }

  async get(accountId: string, id: string): Promise<StoredEmbedding | undefined> {
    const row = this.stmts.get.get(accountId, id) as Row | undefined;
    return row && fromRow(row);
  }

  async list(accountId: string): Promise<StoredEmbedding[]> {
    return (this.stmts.list.all(accountId) as Row[]).map(fromRow);
  }

  async count(accountId: string): Promise<number> {
    return (this.stmts.count.get(accountId) as { n: number }).n;
  }

  async remove(accountId: string, id: string): Promise<boolean> {
    return this.stmts.remove.run(accountId, id).changes === 1;
  }
}
