/**
 * Sends due webhook deliveries and schedules their retries. The state lives in the batch store,
 * not in timers: one timer is armed for the earliest due attempt, so a restart (a new sweeper on
 * the same database) resumes every pending delivery. Started with the app, stopped on close; an
 * attempt cut short by the stop is not recorded, so it is made again after the restart (the
 * delivery id lets a receiver drop a repeat).
 */
import type { WebhookSecretStore } from '../accounts/account-store.js';
import type { WebhookSettings } from '../config.js';
import type { Logger } from '../logger.js';
import type { BatchStore, WebhookDelivery } from './batch-store.js';
import { retryDelayMs } from './retry-schedule.js';
import type { Resolver } from './ssrf-guard.js';
import { attemptDelivery } from './webhook-delivery.js';

/** Deliveries attempted at once; the rest wait for the next round (each round re-reads what is due). */
const MAX_PARALLEL_ATTEMPTS = 16;
/** setTimeout's largest delay; a later due time is reached by re-arming. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Attempts due deliveries and records each outcome; one per server. */
export class WebhookSweeper {
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly controller = new AbortController();

  constructor(
    private readonly store: BatchStore,
    private readonly secrets: WebhookSecretStore,
    private readonly settings: WebhookSettings,
    private readonly logger: Logger,
    private readonly resolve?: Resolver,
  ) {}

  /** Arms the timer for whatever is pending (after a restart: what the last process left). */
  start(): void {
    this.arm();
  }

  /** A delivery became due now. */
  kick(): void {
    if (this.round) this.again = true;
    else this.arm();
  }

  /** Stops the timer and aborts attempts in flight (left pending in the store). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.controller.abort(new Error('server shutting down'));
    await this.round;
  }

  private arm(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    void this.store.nextDueAt().then(
      (next) => this.armAt(next),
      (err: unknown) => this.logger.error({ err }, 'webhook deliveries unreadable'),
    );
  }

  private armAt(next: number | null): void {
    // A round in progress re-arms when it ends.
    if (this.stopped || next === null || this.round) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.round = this.sweep()
        .catch((err: unknown) => this.logger.error({ err }, 'webhook sweep failed'))
        .finally(() => {
        this.round = null;
        this.again = false;
        this.arm();
      });
    }, Math.min(MAX_TIMER_MS, Math.max(0, next - Date.now())));
  }

  private async sweep(): Promise<void> {
    do {
      this.again = false;
      const due = await this.store.dueDeliveries(Date.now(), MAX_PARALLEL_ATTEMPTS);
      await Promise.all(due.map((d) => this.attempt(d)));
      if (due.length === MAX_PARALLEL_ATTEMPTS) this.again = true;
    } while (this.again && !this.stopped);
  }

  private async attempt(d: WebhookDelivery): Promise<void> {
    const log = this.logger.child({ batchId: d.batchId, deliveryId: d.deliveryId, attempt: d.attempts + 1 });
    try {
      const outcome = await attemptDelivery(
        { url: d.url, body: d.body, secret: await this.secrets.secretOf(d.accountId), deliveryId: d.deliveryId },
        { timeoutMs: this.settings.timeoutMs, allowPrivateTargets: this.settings.allowPrivateTargets, signal: this.controller.signal, resolve: this.resolve },
      );
      switch (outcome.kind) {
        case 'delivered':
          await this.store.recordAttempt(d.batchId, { delivered: true });
          log.info('webhook delivered');
          return;
        case 'refused':
          await this.store.recordAttempt(d.batchId, { delivered: false, error: outcome.error, nextAttemptAt: null });
          log.warn({ error: outcome.error }, 'webhook target refused; delivery failed');
          return;
        case 'retry': {
          const delay = retryDelayMs(d.attempts + 1, this.settings);
          await this.store.recordAttempt(d.batchId, { delivered: false, error: outcome.error, nextAttemptAt: delay === null ? null : Date.now() + delay });
          log.warn({ error: outcome.error, retryInMs: delay }, delay === null ? 'webhook attempt failed; no attempts left' : 'webhook attempt failed; will retry');
          return;
        }
        default: {
          const never: never = outcome;
          throw new Error(`unexpected outcome ${String(never)}`);
        }
      }
    } catch (err) {
      // Only a stop aborts an attempt; it stays pending for the next process.
      if (this.controller.signal.aborted) return;
      log.error({ err }, 'webhook attempt crashed');
      const delay = retryDelayMs(d.attempts + 1, this.settings);
      await this.store.recordAttempt(d.batchId, { delivered: false, error: 'internal error', nextAttemptAt: delay === null ? null : Date.now() + delay });
    }
  }
}
