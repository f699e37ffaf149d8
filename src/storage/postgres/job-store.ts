/**
 * TTS job records on Postgres (cluster mode): any node reads the job another accepted. The same
 * statements as SqliteJobStore: only an unfinished job ends, so a second run of a job (the queue
 * is at-least-once) cannot end it again, and expiring is one UPDATE … RETURNING, so two nodes'
 * sweeps never both remove one result.
 */
import { fromRow, type JobStatus, type JobStore, type NewJob, type Row, type TtsJob } from '../../jobs/job-store.js';
import type { PgClient, PgPool } from './pool.js';

const UNFINISHED = `status IN ('queued','processing')`;

/** The insert of a new job's row, on the pool or inside another store's transaction (a batch). */
export async function insertJob(db: PgPool | PgClient, job: NewJob): Promise<void> {
  const now = Date.now();
  await db.query(
    `INSERT INTO tts_jobs (uuid, job_id, status, request_json, model, voice, format, chars, credits_used, client_ip, created_at, updated_at)
     VALUES ($1, $2, 'queued', $3, $4, $5, $6, $7, $8, $9, $10, $10)`,
    [job.uuid, job.jobId, JSON.stringify(job.request), job.model, job.voice, job.format, job.chars, job.creditsUsed, job.clientIp, now],
  );
}

export class PgJobStore implements JobStore {
  constructor(private readonly pool: PgPool) {}

  async create(job: NewJob): Promise<TtsJob> {
    await insertJob(this.pool, job);
    return (await this.get(job.uuid))!;
  }

  async get(uuid: string): Promise<TtsJob | undefined> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM tts_jobs WHERE uuid = $1', [uuid]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async markProcessing(uuid: string): Promise<void> {
    await this.pool.query(`UPDATE tts_jobs SET status = 'processing', updated_at = $1 WHERE uuid = $2 AND ${UNFINISHED}`, [Date.now(), uuid]);
  }

  async complete(uuid: string, durationSec: number, expiresAt: number): Promise<void> {
    const now = Date.now();
    await this.pool.query(
      `UPDATE tts_jobs SET status = 'completed', duration_sec = $1, completed_at = $2, expires_at = $3, updated_at = $2 WHERE uuid = $4 AND ${UNFINISHED}`,
      [durationSec, now, expiresAt, uuid],
    );
  }

  async fail(uuid: string, error: string): Promise<void> {
    await this.pool.query(`UPDATE tts_jobs SET status = 'failed', error = $1, updated_at = $2 WHERE uuid = $3 AND ${UNFINISHED}`, [error, Date.now(), uuid]);
  }

  async unfinished(): Promise<TtsJob[]> {
    return (await this.pool.query<Row>(`SELECT * FROM tts_jobs WHERE ${UNFINISHED} ORDER BY created_at`)).rows.map(fromRow);
  }

  async expire(nowMs: number): Promise<TtsJob[]> {
    const { rows } = await this.pool.query<Row>(
      `UPDATE tts_jobs SET status = 'expired', updated_at = $1 WHERE status = 'completed' AND expires_at <= $1 RETURNING *`,
      [nowMs],
    );
    // RETURNING gives the new status; the SQLite store returns the rows as they were (completed).
    return rows.map((r) => fromRow({ ...r, status: 'completed' }));
  }

  async countByStatus(status: JobStatus): Promise<number> {
    return (await this.pool.query<{ n: number }>('SELECT COUNT(*) AS n FROM tts_jobs WHERE status = $1', [status])).rows[0]!.n;
  }
}
