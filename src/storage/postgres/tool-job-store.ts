/**
 * Async audio tool and transcription job records on Postgres (cluster mode): a poll or a `DELETE`
 * on any node reads and ends the job another node accepted and a third runs. The same statements as
 * SqliteToolJobStore: only a `processing` job finishes, so a cancel racing the worker's completion,
 * or a second run of a job the queue handed out twice, ends the record once.
 */
import { outcomeColumns, QUEUE_RUNNER, toolJobFromRow, type NewToolJob, type ToolJobError, type ToolJobOutcome, type ToolJobRecord, type ToolJobRow, type ToolJobStore } from '../../jobs/tool-job-store.js';
import type { PgPool } from './pool.js';

export class PgToolJobStore implements ToolJobStore {
  constructor(private readonly pool: PgPool) {}

  async create(r: NewToolJob): Promise<void> {
    await this.pool.query(
      `INSERT INTO audio_tool_jobs (id, tool, status, total_frames, runner, payload_json, created_at) VALUES ($1, $2, 'processing', $3, $4, $5, $6)`,
      [r.id, r.tool, r.totalFrames, r.runner, r.payload === undefined ? null : JSON.stringify(r.payload), Date.now()],
    );
  }

  async get(id: string): Promise<ToolJobRecord | undefined> {
    const { rows } = await this.pool.query<ToolJobRow>('SELECT * FROM audio_tool_jobs WHERE id = $1', [id]);
    return rows[0] ? toolJobFromRow(rows[0]) : undefined;
  }

  async finish(id: string, o: ToolJobOutcome): Promise<boolean> {
    const res = await this.pool.query(
      `UPDATE audio_tool_jobs SET status = $1, result_json = $2, error_json = $3, finished_at = $4 WHERE id = $5 AND status = 'processing'`,
      [...outcomeColumns(o), Date.now(), id],
    );
    return res.rowCount === 1;
  }

  async setProgress(id: string, frames: number): Promise<void> {
    await this.pool.query(`UPDATE audio_tool_jobs SET progress_frames = $1 WHERE id = $2 AND status = 'processing'`, [frames, id]);
  }

  async interruptUnfinished(error: ToolJobError, runner?: string): Promise<number> {
    const which = runner === undefined ? `runner <> '${QUEUE_RUNNER}'` : 'runner = $3';
    const res = await this.pool.query(
      `UPDATE audio_tool_jobs SET status = 'failed', error_json = $1, finished_at = $2 WHERE status = 'processing' AND ${which}`,
      [JSON.stringify(error), Date.now(), ...(runner === undefined ? [] : [runner])],
    );
    return res.rowCount ?? 0;
  }

  async unfinishedQueued(): Promise<ToolJobRecord[]> {
    const { rows } = await this.pool.query<ToolJobRow>(`SELECT * FROM audio_tool_jobs WHERE status = 'processing' AND runner = $1 ORDER BY created_at`, [QUEUE_RUNNER]);
    return rows.map(toolJobFromRow);
  }

  async countQueued(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(`SELECT COUNT(*) AS n FROM audio_tool_jobs WHERE status = 'processing' AND runner = $1`, [QUEUE_RUNNER]);
    return Number(rows[0]!.n);
  }

  async prune(beforeMs: number): Promise<void> {
    await this.pool.query('DELETE FROM audio_tool_jobs WHERE finished_at IS NOT NULL AND finished_at < $1', [beforeMs]);
  }
}
