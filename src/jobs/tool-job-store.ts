/**
 * The records of audio tool and transcription jobs started with `async=true` (api/audio-tool-jobs.ts
 * holds the live part of a job run on this node: progress counter, cancel). Kept in the database so
 * a poll after a restart, or on another node, finds the job.
 *
 * Who runs a job is its `runner`: a node's id for a job run where it was accepted (one node, no
 * queue), or `queue` for one handed to the cluster queue (src/jobs/redis-audio-job-queue.ts). At a
 * start, `interruptUnfinished` ends as `interrupted` only the jobs whose work died with the process:
 * the local jobs of this node. Queued jobs are never interrupted there: the queue hands a job whose
 * node died to another worker (at-least-once), and the record still ends once, since only a
 * `processing` job finishes. `payload` is what a queue worker needs to run the job (the request
 * as data), and `progressFrames` the frames done, written by the worker for polls on other nodes.
 */
import type { Db } from '../storage/database.js';

export type ToolJobStatus = 'processing' | 'completed' | 'failed' | 'cancelled';

export interface ToolJobError {
  code: string;
  message: string;
}

/** The runner of jobs handed to the cluster queue. */
export const QUEUE_RUNNER = 'queue';

export interface ToolJobRecord {
  id: string;
  tool: string;
  status: ToolJobStatus;
  totalFrames: number;
  /** Frames done, as last written by a queue worker (a local job's live counter is in memory). */
  progressFrames: number;
  /** A node id, or QUEUE_RUNNER. */
  runner: string;
  payload?: unknown;
  result?: unknown;
  error?: ToolJobError;
  createdAt: number;
  finishedAt?: number;
}

export interface NewToolJob {
  id: string;
  tool: string;
  totalFrames: number;
  runner: string;
  payload?: unknown;
}

export type ToolJobOutcome = { status: Exclude<ToolJobStatus, 'processing'>; result?: unknown; error?: ToolJobError };

export interface ToolJobStore {
  create(record: NewToolJob): Promise<void>;
  get(id: string): Promise<ToolJobRecord | undefined>;
  /** Only a `processing` job changes; false when it had already finished (or been cancelled). */
  finish(id: string, outcome: ToolJobOutcome): Promise<boolean>;
  /** A running job's frames done (ignored once it finished). */
  setProgress(id: string, frames: number): Promise<void>;
  /**
   * At start: the `processing` jobs run locally by `runner` (a node id), or by any node when
   * `runner` is undefined (the store is this node's alone), were cut off. Never a queued job.
   */
  interruptUnfinished(error: ToolJobError, runner?: string): Promise<number>;
  /** Every `processing` job handed to the queue (to queue again after Redis lost them). */
  unfinishedQueued(): Promise<ToolJobRecord[]>;
  /** How many jobs handed to the queue have not ended (the cluster's bound on queued audio jobs). */
  countQueued(): Promise<number>;
  /** Forgets finished records older than `beforeMs`. */
  prune(beforeMs: number): Promise<void>;
}

export interface ToolJobRow {
  id: string;
  tool: string;
  status: ToolJobStatus;
  total_frames: number;
  progress_frames: number | null;
  runner: string | null;
  payload_json: string | null;
  result_json: string | null;
  error_json: string | null;
  created_at: number;
  finished_at: number | null;
}

export function toolJobFromRow(row: ToolJobRow): ToolJobRecord {
  return {
    id: row.id,
    tool: row.tool,
    status: row.status,
    totalFrames: row.total_frames,
    progressFrames: row.progress_frames ?? 0,
    // Records from before runners were kept were all run locally.
    runner: row.runner ?? '',
    createdAt: row.created_at,
    ...(row.payload_json !== null ? { payload: JSON.parse(row.payload_json) as unknown } : {}),
    ...(row.result_json !== null ? { result: JSON.parse(row.result_json) as unknown } : {}),
    ...(row.error_json !== null ? { error: JSON.parse(row.error_json) as ToolJobError } : {}),
    ...(row.finished_at !== null ? { finishedAt: row.finished_at } : {}),
  };
}

/** The outcome's columns, as both stores write them. */
export function outcomeColumns(o: ToolJobOutcome): [string, string | null, string | null] {
  return [o.status, o.result === undefined ? null : JSON.stringify(o.result), o.error ? JSON.stringify(o.error) : null];
}

export class SqliteToolJobStore implements ToolJobStore {
  constructor(private readonly db: Db) {}

  async create(r: NewToolJob): Promise<void> {
    this.db
      .prepare(`INSERT INTO audio_tool_jobs (id, tool, status, total_frames, runner, payload_json, created_at) VALUES (?, ?, 'processing', ?, ?, ?, ?)`)
      .run(r.id, r.tool, r.totalFrames, r.runner, r.payload === undefined ? null : JSON.stringify(r.payload), Date.now());
  }

  async get(id: string): Promise<ToolJobRecord | undefined> {
    const row = this.db.prepare(`SELECT * FROM audio_tool_jobs WHERE id = ?`).get(id) as ToolJobRow | undefined;
    return row ? toolJobFromRow(row) : undefined;
  }

  async finish(id: string, o: ToolJobOutcome): Promise<boolean> {
    const res = this.db
      .prepare(`UPDATE audio_tool_jobs SET status = ?, result_json = ?, error_json = ?, finished_at = ? WHERE id = ? AND status = 'processing'`)
      .run(...outcomeColumns(o), Date.now(), id);
    return res.changes === 1;
  }

  async setProgress(id: string, frames: number): Promise<void> {
    this.db.prepare(`UPDATE audio_tool_jobs SET progress_frames = ? WHERE id = ? AND status = 'processing'`).run(frames, id);
  }

  async interruptUnfinished(error: ToolJobError, runner?: string): Promise<number> {
    const which = runner === undefined ? `(runner IS NULL OR runner <> '${QUEUE_RUNNER}')` : 'runner = ?';
    return this.db
      .prepare(`UPDATE audio_tool_jobs SET status = 'failed', error_json = ?, finished_at = ? WHERE status = 'processing' AND ${which}`)
      .run(JSON.stringify(error), Date.now(), ...(runner === undefined ? [] : [runner])).changes;
  }

  async unfinishedQueued(): Promise<ToolJobRecord[]> {
    const rows = this.db.prepare(`SELECT * FROM audio_tool_jobs WHERE status = 'processing' AND runner = ? ORDER BY created_at`).all(QUEUE_RUNNER) as ToolJobRow[];
    return rows.map(toolJobFromRow);
  }

  async countQueued(): Promise<number> {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM audio_tool_jobs WHERE status = 'processing' AND runner = ?`).get(QUEUE_RUNNER) as { n: number }).n;
  }

  async prune(beforeMs: number): Promise<void> {
    this.db.prepare(`DELETE FROM audio_tool_jobs WHERE finished_at IS NOT NULL AND finished_at < ?`).run(beforeMs);
  }
}
