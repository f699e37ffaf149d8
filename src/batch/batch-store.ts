/**
 * Persistent TTS batches and their webhook deliveries. A batch is a list of ordinary TTS jobs
 * (their state lives in the job store); this store keeps which jobs, whose batch it is, and the
 * delivery of its completion webhook with the retry state, so a restart picks up where it was.
 * SQLite is the first implementation; Postgres would sit behind the same interface.
 */
import type { NewJob } from '../jobs/job-store.js';
import { SqliteJobStore } from '../jobs/job-store.js';
import type { Db } from '../storage/database.js';

export type BatchStatus = 'processing' | 'completed';
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface Batch {
  id: string;
  /** The account whose webhook secret signs the delivery (open mode: its single user). */
  accountId: string;
  total: number;
  status: BatchStatus;
  creditsUsed: number;
  webhookUrl: string | null;
  /** The base URL the batch was submitted at, for the `result_url`s of a webhook sent later. */
  baseUrl: string;
  /** Job uuids in item order. */
  jobUuids: string[];
  createdAt: number;
  completedAt: number | null;
}

export interface NewBatch {
  id: string;
  accountId: string;
  creditsUsed: number;
  webhookUrl: string | null;
  baseUrl: string;
  jobUuids: string[];
}

export interface WebhookDelivery {
  batchId: string;
  /** Stable across retries (`X-Llais-Delivery`), so a receiver can drop repeats. */
  deliveryId: string;
  url: string;
  /** The exact JSON body, fixed when the batch completed so every attempt sends the same bytes. */
  body: string;
  accountId: string;
  status: DeliveryStatus;
  attempts: number;
  /** When the next attempt is due (ms since the epoch); null once delivered or failed. */
  nextAttemptAt: number | null;
  lastError: string | null;
}

export interface BatchStore {
  /** Stores the batch and its jobs (queued) in one transaction: both or neither. */
  create(batch: NewBatch, jobs: readonly NewJob[]): Promise<Batch>;
  get(id: string): Promise<Batch | undefined>;
  /** The id of the batch the job `uuid` belongs to, if any. */
  batchOfJob(uuid: string): Promise<string | undefined>;
  /** Batches not yet marked completed (checked at start-up: their jobs may have ended before a crash). */
  processing(): Promise<Batch[]>;
  /**
   * Marks the batch completed and, with a body, queues its webhook delivery due now; in one
   * transaction. False when it was already completed (so it is delivered once).
   */
  complete(id: string, webhook: { deliveryId: string; url: string; body: string } | null): Promise<boolean>;
  delivery(batchId: string): Promise<WebhookDelivery | undefined>;
  /** Pending deliveries due at `nowMs`, oldest first. */
  dueDeliveries(nowMs: number, limit: number): Promise<WebhookDelivery[]>;
  /** The earliest pending attempt time, or null when nothing is pending. */
  nextDueAt(): Promise<number | null>;
  /** Records one attempt: delivered, to be retried at `nextAttemptAt`, or failed for good (`nextAttemptAt` null). */
  recordAttempt(batchId: string, outcome: { delivered: true } | { delivered: false; error: string; nextAttemptAt: number | null }): Promise<void>;
}

export interface BatchRow {
  id: string; account_id: string; total: number; status: BatchStatus; credits_used: number; webhook_url: string | null;
  base_url: string; created_at: number; completed_at: number | null;
}
export interface DeliveryRow {
  batch_id: string; delivery_id: string; url: string; body: string; status: DeliveryStatus; attempts: number;
  next_attempt_at: number | null; last_error: string | null; account_id: string;
}

export const delivery = (r: DeliveryRow): WebhookDelivery => ({
  batchId: r.batch_id, deliveryId: r.delivery_id, url: r.url, body: r.body, accountId: r.account_id, status: r.status,
  attempts: r.attempts, nextAttemptAt: r.next_attempt_at, lastError: r.last_error,
});

export const DELIVERY_SELECT = 'SELECT d.*, b.account_id FROM webhook_deliveries d JOIN tts_batches b ON b.id = d.batch_id';

/** The SQLite `BatchStore` (tables `tts_batches`, `tts_batch_items`, `webhook_deliveries`). */
export class SqliteBatchStore implements BatchStore {
  private readonly stmts;
  private readonly jobs: SqliteJobStore;

  constructor(private readonly db: Db) {
    this.jobs = new SqliteJobStore(db);
    this.stmts = {
      insert: db.prepare(`INSERT INTO tts_batches (id, account_id, total, status, credits_used, webhook_url, base_url, created_at)
                          VALUES (?, ?, ?, 'processing', ?, ?, ?, ?)`),
      insertItem: db.prepare('INSERT INTO tts_batch_items (batch_id, idx, job_uuid) VALUES (?, ?, ?)'),
      get: db.prepare('SELECT * FROM tts_batches WHERE id = ?'),
      ofJob: db.prepare('SELECT batch_id FROM tts_batch_items WHERE job_uuid = ?'),
      items: db.prepare('SELECT job_uuid FROM tts_batch_items WHERE batch_id = ? ORDER BY idx'),
      processing: db.prepare(`SELECT * FROM tts_batches WHERE status = 'processing' ORDER BY created_at`),
      complete: db.prepare(`UPDATE tts_batches SET status = 'completed', completed_at = ? WHERE id = ? AND status = 'processing'`),
      insertDelivery: db.prepare(`INSERT INTO webhook_deliveries (batch_id, delivery_id, url, body, status, attempts, next_attempt_at, updated_at)
                                  VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)`),
      delivery: db.prepare(`${DELIVERY_SELECT} WHERE d.batch_id = ?`),
      due: db.prepare(`${DELIVERY_SELECT} WHERE d.status = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at LIMIT ?`),
      nextDue: db.prepare(`SELECT MIN(next_attempt_at) AS at FROM webhook_deliveries WHERE status = 'pending'`),
      attempt: db.prepare(`UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, next_attempt_at = ?, last_error = ?, updated_at = ? WHERE batch_id = ? AND status = 'pending'`),
    };
  }

  async create(b: NewBatch, jobs: readonly NewJob[]): Promise<Batch> {
    this.db.transaction(() => {
      for (const job of jobs) this.jobs.insertNow(job);
      this.stmts.insert.run(b.id, b.accountId, b.jobUuids.length, b.creditsUsed, b.webhookUrl, b.baseUrl, Date.now());
      b.jobUuids.forEach((uuid, i) => this.stmts.insertItem.run(b.id, i, uuid));
    })();
    return this.getNow(b.id)!;
  }

  async get(id: string): Promise<Batch | undefined> {
    return this.getNow(id);
  }

  private getNow(id: string): Batch | undefined {
    const row = this.stmts.get.get(id) as BatchRow | undefined;
    return row ? this.fromRow(row) : undefined;
  }

  async batchOfJob(uuid: string): Promise<string | undefined> {
    return (this.stmts.ofJob.get(uuid) as { batch_id: string } | undefined)?.batch_id;
  }

  async processing(): Promise<Batch[]> {
    return (this.stmts.processing.all() as BatchRow[]).map((r) => this.fromRow(r));
  }

  async complete(id: string, webhook: { deliveryId: string; url: string; body: string } | null): Promise<boolean> {
    return this.db.transaction(() => {
      const now = Date.now();
      if (this.stmts.complete.run(now, id).changes !== 1) return false;
      if (webhook) this.stmts.insertDelivery.run(id, webhook.deliveryId, webhook.url, webhook.body, now, now);
      return true;
    })();
  }

  async delivery(batchId: string): Promise<WebhookDelivery | undefined> {
    const row = this.stmts.delivery.get(batchId) as DeliveryRow | undefined;
    return row ? delivery(row) : undefined;
  }

  async dueDeliveries(nowMs: number, limit: number): Promise<WebhookDelivery[]> {
    return (this.stmts.due.all(nowMs, limit) as DeliveryRow[]).map(delivery);
  }

  async nextDueAt(): Promise<number | null> {
    return (this.stmts.nextDue.get() as { at: number | null }).at;
  }

  async recordAttempt(batchId: string, outcome: { delivered: true } | { delivered: false; error: string; nextAttemptAt: number | null }): Promise<void> {
    const now = Date.now();
    if (outcome.delivered) this.stmts.attempt.run('delivered', null, null, now, batchId);
    else this.stmts.attempt.run(outcome.nextAttemptAt === null ? 'failed' : 'pending', outcome.nextAttemptAt, outcome.error, now, batchId);
  }

  private fromRow(r: BatchRow): Batch {
    const jobUuids = (this.stmts.items.all(r.id) as Array<{ job_uuid: string }>).map((i) => i.job_uuid);
    return {
      id: r.id, accountId: r.account_id, total: r.total, status: r.status, creditsUsed: r.credits_used, webhookUrl: r.webhook_url,
      baseUrl: r.base_url, jobUuids, createdAt: r.created_at, completedAt: r.completed_at,
    };
  }
}
