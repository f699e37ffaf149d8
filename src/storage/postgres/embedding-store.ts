/**
 * Stored voices on Postgres (cluster mode): a voice embedded through one node is listed and used
 * on every node, still read and deleted only with its account's id. The vector is float64
 * little-endian bytes, so every value reads back exactly as written. The limit per account is
 * exact across nodes: count and insert in one transaction holding the account's advisory lock.
 */
import { MAX_EMBEDDINGS_PER_ACCOUNT, tooManyEmbeddings, type EmbeddingStore, type StoredEmbedding } from '../../voice/embedding-store.js';
import type { VoiceStats } from '../../voice/voice-profile.js';
import { inTransaction, type PgPool } from './pool.js';

interface Row { id: string; model: string; extractor: string; vector: Buffer; stats: string; audio_sec: number; created_at: number }

function vectorBytes(vector: readonly number[]): Buffer {
  const bytes = Buffer.alloc(vector.length * 8);
  vector.forEach((v, i) => bytes.writeDoubleLE(v, i * 8));
  return bytes;
}

function vectorOf(bytes: Buffer): number[] {
  const vector: number[] = [];
  for (let at = 0; at + 8 <= bytes.length; at += 8) vector.push(bytes.readDoubleLE(at));
  return vector;
}

function fromRow(r: Row): StoredEmbedding {
  return { id: r.id, model: r.model, extractor: r.extractor, vector: vectorOf(r.vector), stats: JSON.parse(r.stats) as VoiceStats, audioSec: r.audio_sec, createdAt: r.created_at };
}

export class PgEmbeddingStore implements EmbeddingStore {
  constructor(private readonly pool: PgPool) {}

  add(accountId: string, e: StoredEmbedding): Promise<void> {
    return inTransaction(this.pool, async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('llais.voices'), hashtext($1))`, [accountId]);
      const { n } = (await tx.query<{ n: number }>('SELECT COUNT(*) AS n FROM voice_embeddings WHERE account_id = $1', [accountId])).rows[0]!;
      if (n >= MAX_EMBEDDINGS_PER_ACCOUNT) throw tooManyEmbeddings();
      await tx.query(
        'INSERT INTO voice_embeddings (id, account_id, model, extractor, vector, stats, audio_sec, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
        [e.id, accountId, e.model, e.extractor, vectorBytes(e.vector), JSON.stringify(e.stats), e.audioSec, e.createdAt],
      );
    });
  }

  async get(accountId: string, id: string): Promise<StoredEmbedding | undefined> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM voice_embeddings WHERE account_id = $1 AND id = $2', [accountId, id]);
    return rows[0] && fromRow(rows[0]);
  }

  async list(accountId: string): Promise<StoredEmbedding[]> {
    return (await this.pool.query<Row>('SELECT * FROM voice_embeddings WHERE account_id = $1 ORDER BY created_at DESC, id COLLATE "C"', [accountId])).rows.map(fromRow);
  }

  async count(accountId: string): Promise<number> {
    return (await this.pool.query<{ n: number }>('SELECT COUNT(*) AS n FROM voice_embeddings WHERE account_id = $1', [accountId])).rows[0]!.n;
  }

  async remove(accountId: string, id: string): Promise<boolean> {
    return ((await this.pool.query('DELETE FROM voice_embeddings WHERE account_id = $1 AND id = $2', [accountId, id])).rowCount ?? 0) === 1;
  }
}
