/**
 * The records of audio tool jobs started with `async=true` (api/audio-tool-jobs.ts holds the live
 * part: progress counter, cancel). Kept in SQLite so a poll after a restart finds the job: its
 * result if it had finished, else `failed` with `interrupted` (the work itself dies with the process).
 */
import type { Db } from '../storage/database.js';

export type ToolJobStatus = 'processing' | 'completed' | 'failed' | 'cancelled';

export interface ToolJobError {
  code: string;
  message: string;
}

export interface ToolJobRecord {
  id: string;
  tool: string;
  status: ToolJobStatus;
  totalFrames: number;
  result?: unknown;
  error?: ToolJobError;
  createdAt: number;
  finishedAt?: number;
}

export interface ToolJobStore {
  create(record: { id: string; tool: string; totalFrames: number }): void;
  get(id: string): ToolJobRecord | undefined;
  /** Only a `processing` job changes; false when it had already finished. */
  finish(id: string, outcome: { status: Exclude<ToolJobStatus, 'processing'>; result?: unknown; error?: ToolJobError }): boolean;
  /** At start: every job still `processing` was cut off by a stop or crash. Returns how many. */
  interruptUnfinished(error: ToolJobError): number;
  /** Forgets finished records older than `beforeMs`. */
  prune(beforeMs: number): void;
}

interface Row {
  id: string;
  tool: string;
  status: ToolJobStatus;
  total_frames: number;
  result_json: string | null;
  error_json: string | null;
  created_at: number;
  finished_at: number | null;
}

export class SqliteToolJobStore implements ToolJobStore {
  constructor(private readonly db: Db) {}

  create(r: { id: string; tool: string; totalFrames: number }): void {
    this.db.prepare(`INSERT INTO audio_tool_jobs (id, tool, status, total_frames, created_at) VALUES (?, ?, 'processing', ?, ?)`).run(r.id, r.tool, r.totalFrames, Date.now());
  }

  get(id: string): ToolJobRecord | undefined {
    const row = this.db.prepare(`SELECT * FROM audio_tool_jobs WHERE id = ?`).get(id) as Row | undefined;
    if (!row) return undefined;
    return {
      id: row.id,
      tool: row.tool,
      status: row.status,
      totalFrames: row.total_frames,
      createdAt: row.created_at,
      ...(row.result_json !== null ? { result: JSON.parse(row.result_json) as unknown } : {}),
      ...(row.error_json !== null ? { error: JSON.parse(row.error_json) as ToolJobError } : {}),
      ...(row.finished_at !== null ? { finishedAt: row.finished_at } : {}),
    };
  }

  finish(id: string, o: { status: Exclude<ToolJobStatus, 'processing'>; result?: unknown; error?: ToolJobError }): boolean {
    const res = this.db
      .prepare(`UPDATE audio_tool_jobs SET status = ?, result_json = ?, error_json = ?, finished_at = ? WHERE id = ? AND status = 'processing'`)
      .run(o.status, o.result === undefined ? null : JSON.stringify(o.result), o.error ? JSON.stringify(o.error) : null, Date.now(), id);
    return res.changes === 1;
  }

  interruptUnfinished(error: ToolJobError): number {
    return this.db
      .prepare(`UPDATE audio_tool_jobs SET status = 'failed', error_json = ?, finished_at = ? WHERE status = 'processing'`)
      .run(JSON.stringify(error), Date.now()).changes;
  }

  prune(beforeMs: number): void {
    this.db.prepare(`DELETE FROM audio_tool_jobs WHERE finished_at IS NOT NULL AND finished_at < ?`).run(beforeMs);
  }
}
