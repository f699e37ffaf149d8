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
  create(job: NewJob): TtsJob;
  get(uuid: string): TtsJob | undefined;
  markProcessing(uuid: string): void;
  complete(uuid: string, durationSec: number, expiresAt: number): void;
  fail(uuid: string, error: string): void;
  /** Jobs to (re)run at start-up: queued ones, and those a crash left in `processing`. */
  unfinished(): TtsJob[];
  /** Completed jobs whose result has expired at `nowMs`; marks them expired and returns them. */
  expire(nowMs: number): TtsJob[];
  countByStatus(status: JobStatus): number;
}

interface Row {
  uuid: string; job_id: string; status: JobStatus; request_json: string; model: string; voice: string;
  format: string; chars: number; credits_used: number; duration_sec: number | null; error: string | null;
  created_at: number; completed_at: number | null; expires_at: number | null;
}

function fromRow(r: Row): TtsJob {
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

  create(job: NewJob): TtsJob {
    const now = Date.now();
    this.stmts.insert.run({ ...job, requestJson: JSON.stringify(job.request), now });
    return this.get(job.uuid)!;
  }

  get(uuid: string): TtsJob | undefined {
    const row = this.stmts.get.get(uuid) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  markProcessing(uuid: string): void {
    this.stmts.processing.run(Date.now(), uuid);
  }

  complete(uuid: string, durationSec: number, expiresAt: number): void {
    const now = Date.now();
    this.stmts.complete.run(durationSec, now, expiresAt, now, uuid);
  }

  fail(uuid: string, error: string): void {
    this.stmts.fail.run(error, Date.now(), uuid);
  }

  unfinished(): TtsJob[] {
    return (this.stmts.unfinished.all() as Row[]).map(fromRow);
  }

  expire(nowMs: number): TtsJob[] {
    return this.db.transaction(() => {
      const rows = (this.stmts.expired.all(nowMs) as Row[]).map(fromRow);
      for (const r of rows) this.stmts.markExpired.run(nowMs, r.uuid);
      return rows;
    })();
  }

  countByStatus(status: JobStatus): number {
    return (this.stmts.count.get(status) as { n: number }).n;
  }
}
