/**
 * TTS batches and their webhook deliveries on Postgres (cluster mode), as SqliteBatchStore: a
 * batch and its jobs are stored in one transaction, and a batch completes once (a conditional
 * UPDATE), so of two nodes that see its last job end, one queues the webhook.
 */
import { delivery, DELIVERY_SELECT, type Batch, type BatchRow, type BatchStore, type DeliveryRow, type NewBatch, type WebhookDelivery } from '../../batch/batch-store.js';
import type { NewJob } from '../../jobs/job-store.js';
import { insertJob } from './job-store.js';
import { inTransaction, type PgPool } from './pool.js';

export class PgBatchStore implements BatchStore {
  constructor(private readonly pool: PgPool) {}

  async create(b: NewBatch, jobs: readonly NewJob[]): Promise<Batch> {
    await inTransaction(this.pool, async (tx) => {
      for (const job of jobs) await insertJob(tx, job);
      await tx.query(
        `INSERT INTO tts_batches (id, account_id, total, status, credits_used, webhook_url, base_url, created_at) VALUES ($1, $2, $3, 'processing', $4, $5, $6, $7)`,
        [b.id, b.accountId, b.jobUuids.length, b.creditsUsed, b.webhookUrl, b.baseUrl, Date.now()],
      );
      if (b.jobUuids.length > 0) {
        await tx.query('INSERT INTO tts_batch_items (batch_id, idx, job_uuid) SELECT $1, i - 1, u FROM unnest($2::text[]) WITH ORDINALITY AS t(u, i)', [b.id, b.jobUuids]);
      }
    });
    return (await this.get(b.id))!;
  }

  async get(id: string): Promise<Batch | undefined> {
    const { rows } = await this.pool.query<BatchRow>('SELECT * FROM tts_batches WHERE id = $1', [id]);
    return rows[0] ? this.fromRow(rows[0]) : undefined;
  }

  async batchOfJob(uuid: string): Promise<string | undefined> {
    return (await this.pool.query<{ batch_id: string }>('SELECT batch_id FROM tts_batch_items WHERE job_uuid = $1', [uuid])).rows[0]?.batch_id;
  }

  async processing(): Promise<Batch[]> {
    const { rows } = await this.pool.query<BatchRow>(`SELECT * FROM tts_batches WHERE status = 'processing' ORDER BY created_at`);
    return Promise.all(rows.map((r) => this.fromRow(r)));
  }

  complete(id: string, webhook: { deliveryId: string; url: string; body: string } | null): Promise<boolean> {
    return inTransaction(this.pool, async (tx) => {
      const now = Date.now();
      const done = await tx.query(`UPDATE tts_batches SET status = 'completed', completed_at = $1 WHERE id = $2 AND status = 'processing'`, [now, id]);
      if (done.rowCount !== 1) return false;
      if (webhook) {
        await tx.query(
          `INSERT INTO webhook_deliveries (batch_id, delivery_id, url, body, status, attempts, next_attempt_at, updated_at) VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5)`,
          [id, webhook.deliveryId, webhook.url, webhook.body, now],
        );
      }
      return true;
    });
  }

  async delivery(batchId: string): Promise<WebhookDelivery | undefined> {
    const row = (await this.pool.query<DeliveryRow>(`${DELIVERY_SELECT} WHERE d.batch_id = $1`, [batchId])).rows[0];
    return row ? delivery(row) : undefined;
  }

  async dueDeliveries(nowMs: number, limit: number): Promise<WebhookDelivery[]> {
    const { rows } = await this.pool.query<DeliveryRow>(`${DELIVERY_SELECT} WHERE d.status = 'pending' AND d.next_attempt_at <= $1 ORDER BY d.next_attempt_at LIMIT $2`, [nowMs, limit]);
    return rows.map(delivery);
  }

  async nextDueAt(): Promise<number | null> {
    return (await this.pool.query<{ at: number | null }>(`SELECT MIN(next_attempt_at) AS at FROM webhook_deliveries WHERE status = 'pending'`)).rows[0]!.at;
  }

  async recordAttempt(batchId: string, outcome: { delivered: true } | { delivered: false; error: string; nextAttemptAt: number | null }): Promise<void> {
    const [status, next, error] = outcome.delivered ? ['delivered', null, null] : [outcome.nextAttemptAt === null ? 'failed' : 'pending', outcome.nextAttemptAt, outcome.error];
    await this.pool.query(
      `UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, next_attempt_at = $2, last_error = $3, updated_at = $4 WHERE batch_id = $5 AND status = 'pending'`,
      [status, next, error, Date.now(), batchId],
    );
  }

  private async fromRow(r: BatchRow): Promise<Batch> {
    const items = await this.pool.query<{ job_uuid: string }>('SELECT job_uuid FROM tts_batch_items WHERE batch_id = $1 ORDER BY idx', [r.id]);
    return {
      id: r.id, accountId: r.account_id, total: r.total, status: r.status, creditsUsed: r.credits_used, webhookUrl: r.webhook_url,
      baseUrl: r.base_url, jobUuids: items.rows.map((i) => i.job_uuid), createdAt: r.created_at, completedAt: r.completed_at,
    };
  }
}
