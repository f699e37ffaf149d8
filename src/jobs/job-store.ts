/**
 * Persistent TTS jobs. The interface is what the API and the queue see; SQLite is the first
 * implementation (a cluster would put Postgres or Redis behind the same interface).
 */
import type { Db } from '../storage/database.js';

export type JobStatus = 'queued' | 'processing' | 'completed' | 'failed' | 'expired';

export interface TtsJob {
  uuid: string;
  jobId: string;
  status: JobStatus;
  /** The validated request, replayed by the worker (and after a restart). */
  request: unknown;
  model: string;
  voice: string;
  format: string;
  chars: number;
  creditsUsed: number;
  durationSec: number | null;
  error: string | null;
  createdAt: number;
  completedAt: number | null;
  expiresAt: number | null;
}

export interface NewJob {
  uuid: string;
  jobId: string;
  request: unknown;
  model: string;
  voice: string;
  format: string;
  chars: number;
  creditsUsed: number;
  clientIp: string;
}

export interface JobStore {
  create(job: NewJob): Promise<TtsJob>;
  get(uuid: string): Promise<TtsJob | undefined>;
  markProcessing(uuid: string): Promise<void>;
  /** Only an unfinished (queued or processing) job ends: a second run of a job cannot end it again. */
  complete(uuid: string, durationSec: number, expiresAt: number): Promise<void>;
  fail(uuid: string, error: string): Promise<void>;
  /** Jobs to (re)run at start-up: queued ones, and those a crash left in `processing`. */
  unfinished(): Promise<TtsJob[]>;
  /** Completed jobs whose result has expired at `nowMs`; marks them expired and returns them. */
  expire(nowMs: number): Promise<TtsJob[]>;
  countByStatus(status: JobStatus): Promise<number>;
}

export interface Row {
  uuid: string; job_id: string; status: JobStatus; request_json: string; model: string; voice: string;
  format: string; chars: number; credits_used: number; duration_sec: number | null; error: string | null;
  created_at: number; completed_at: number | null; expires_at: number | null;
}

export function fromRow(r: Row): TtsJob {
  return {
    uuid: r.uuid, jobId: r.job_id, status: r.status, request: JSON.parse(r.request_json), model: r.model,
    voice: r.voice, format: r.format, chars: r.chars, creditsUsed: r.credits_used, durationSec: r.duration_sec,
    error: r.error, createdAt: r.created_at, completedAt: r.completed_at, expiresAt: r.expires_at,
  };
}

export class SqliteJobStore implements JobStore {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      insert: db.prepare(`INSERT INTO tts_jobs (uuid, job_id, status, request_json, model, voice, format, chars, credits_used, client_ip, created_at, updated_at)
                          VALUES (@uuid, @jobId, 'queued', @requestJson, @model, @voice, @format, @chars, @creditsUsed, @clientIp, @now, @now)`),
      get: db.prepare('SELECT * FROM tts_jobs WHERE uuid = ?'),
      processing: db.prepare(`UPDATE tts_jobs SET status = 'processing', updated_at = ? WHERE uuid = ? AND status IN ('queued','processing')`),
      // Only an unfinished job ends: a second run of a job (at-least-once, cluster mode) cannot end it again.
      complete: db.prepare(`UPDATE tts_jobs SET status = 'completed', duration_sec = ?, completed_at = ?, expires_at = ?, updated_at = ? WHERE uuid = ? AND status IN ('queued','processing')`),
      fail: db.prepare(`UPDATE tts_jobs SET status = 'failed', error = ?, updated_at = ? WHERE uuid = ? AND status IN ('queued','processing')`),
      unfinished: db.prepare(`SELECT * FROM tts_jobs WHERE status IN ('queued','processing') ORDER BY created_at`),
      expired: db.prepare(`SELECT * FROM tts_jobs WHERE status = 'completed' AND expires_at <= ?`),
      markExpired: db.prepare(`UPDATE tts_jobs SET status = 'expired', updated_at = ? WHERE uuid = ?`),
      count: db.prepare('SELECT COUNT(*) AS n FROM tts_jobs WHERE status = ?'),
    };
  }

  async create(job: NewJob): Promise<TtsJob> {
    this.insertNow(job);
    return this.getNow(job.uuid)!;
  }

  /** The row of a new job, synchronously: for a transaction of another store (a batch and its jobs). */
  insertNow(job: NewJob): void {
    this.stmts.insert.run({ ...job, requestJson: JSON.stringify(job.request), now: Date.now() });
  }

  async get(uuid: string): Promise<TtsJob | undefined> {
    return this.getNow(uuid);
  }

  private getNow(uuid: string): TtsJob | undefined {
    const row = this.stmts.get.get(uuid) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  async markProcessing(uuid: string): Promise<void> {
    this.stmts.processing.run(Date.now(), uuid);
  }

  async complete(uuid: string, durationSec: number, expiresAt: number): Promise<void> {
    const now = Date.now();
    this.stmts.complete.run(durationSec, now, expiresAt, now, uuid);
  }

  async fail(uuid: string, error: string): Promise<void> {
    this.stmts.fail.run(error, Date.now(), uuid);
  }

  async unfinished(): Promise<TtsJob[]> {
    return (this.stmts.unfinished.all() as Row[]).map(fromRow);
  }

  async expire(nowMs: number): Promise<TtsJob[]> {
    return this.db.transaction(() => {
      const rows = (this.stmts.expired.all(nowMs) as Row[]).map(fromRow);
      for (const r of rows) this.stmts.markExpired.run(nowMs, r.uuid);
      return rows;
    })();
  }

  async countByStatus(status: JobStatus): Promise<number> {
    return (this.stmts.count.get(status) as { n: number }).n;
  }
}
