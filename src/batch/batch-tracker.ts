/**
 * A batch's progress, read from its jobs (each item is an ordinary TTS job), and the moment it
 * completes: when its last job ends the batch is marked completed and, with a `webhook_url`, the
 * final object is stored as the webhook body and handed to the sweeper. The same object is what
 * `GET /v1/tts/batch/result/` shows, so the webhook and the poll never disagree.
 */
import { randomBytes } from 'node:crypto';
import type { JobStore, TtsJob } from '../jobs/job-store.js';
import type { Logger } from '../logger.js';
import type { Batch, BatchStore } from './batch-store.js';

/** One item of a completed batch. */
export type BatchItemView =
  | { index: number; uuid: string; status: 'completed'; result_url: string }
  | { index: number; uuid: string; status: 'failed' | 'expired'; error: string };

/** The batch object of the API and the webhook body. */
export interface BatchView {
  batch_id: string;
  total: number;
  completed: number;
  status: 'processing' | 'completed';
  credits_used: number;
  items?: BatchItemView[];
}

/**
 * The URL of a stored result file (api/download-url.ts): a node URL under `base`, or a presigned
 * S3 URL valid until the result expires.
 */
export type ResultFileUrl = (base: string, uuid: string, file: string, expiresAtMs: number | null) => Promise<string>;

const finished = (job: TtsJob | undefined): boolean => job === undefined || (job.status !== 'queued' && job.status !== 'processing');

async function itemView(batch: Batch, index: number, uuid: string, job: TtsJob | undefined, fileUrl: ResultFileUrl): Promise<BatchItemView> {
  if (job?.status === 'completed') return { index, uuid, status: 'completed', result_url: await fileUrl(batch.baseUrl, uuid, `output.${job.format}`, job.expiresAt) };
  if (job?.status === 'expired') return { index, uuid, status: 'expired', error: 'the result has expired and was deleted' };
  return { index, uuid, status: 'failed', error: job?.error ?? 'the job was lost' };
}

/** The batch as the API shows it: `completed` counts finished items; `items` once all have. */
export async function batchView(batch: Batch, jobs: JobStore, fileUrl: ResultFileUrl): Promise<BatchView> {
  const all = await Promise.all(batch.jobUuids.map((uuid) => jobs.get(uuid)));
  const done = all.filter(finished).length;
  const view: BatchView = { batch_id: batch.id, total: batch.total, completed: done, status: done === batch.total ? 'completed' : 'processing', credits_used: batch.creditsUsed };
  if (view.status === 'completed') view.items = await Promise.all(batch.jobUuids.map((uuid, i) => itemView(batch, i, uuid, all[i], fileUrl)));
  return view;
}

/** A delivery id: `dlv_` and 128 random bits, fixed for every attempt of one webhook. */
function newDeliveryId(): string {
  return `dlv_${randomBytes(16).toString('hex')}`;
}

/** Completes batches as their jobs end and queues their webhooks. */
export class BatchTracker {
  constructor(
    private readonly store: BatchStore,
    private readonly jobs: JobStore,
    /** The webhook's result URLs (presigned ones are valid until each result expires). */
    private readonly fileUrl: ResultFileUrl,
    /** Told when a webhook delivery was queued, so it is attempted at once. */
    private readonly onDeliveryQueued: () => void,
    private readonly logger: Logger,
  ) {}

  /** Called when the job `uuid` has ended (completed or failed); completes its batch when it was the last. */
  jobEnded(uuid: string): void {
    void this.store
      .batchOfJob(uuid)
      .then((id) => (id === undefined ? undefined : this.check(id)))
      .catch((err: unknown) => this.logger.error({ err, uuid }, 'batch check failed'));
  }

  /** Completes batches whose last job ended while no process was watching (a crash between the two). */
  async recover(): Promise<void> {
    for (const b of await this.store.processing()) await this.check(b.id);
  }

  private async check(id: string): Promise<void> {
    const batch = await this.store.get(id);
    if (!batch || batch.status !== 'processing') return;
    const view = await batchView(batch, this.jobs, this.fileUrl);
    if (view.status !== 'completed') return;
    const webhook = batch.webhookUrl === null ? null : { deliveryId: newDeliveryId(), url: batch.webhookUrl, body: JSON.stringify(view) };
    // Conditional in the store: of two nodes seeing the last job end, one completes it.
    if (!(await this.store.complete(id, webhook))) return;
    this.logger.info({ batchId: id, total: batch.total, webhook: webhook !== null }, 'batch completed');
    if (webhook) this.onDeliveryQueued();
  }
}
