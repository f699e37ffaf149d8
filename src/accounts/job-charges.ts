/**
 * Charges of queued TTS jobs, settled when the job ends: committed when it completes, refunded
 * when it fails. The charge is reserved under the job's uuid, so a job that a restart re-runs
 * is still settled through the ledger even though its `Charge` object was lost.
 */
import type { JobRunner } from '../jobs/job-queue.js';
import type { Billing, Charge } from './billing.js';

export class JobCharges {
  private readonly pending = new Map<string, Charge>();

  /**
   * `holdCharges: false` (a shared queue, where another node may run the job): nothing is kept
   * here, which the ending node would never clear; every job is settled by its reference.
   */
  constructor(private readonly billing: Billing, private readonly opts: { holdCharges: boolean } = { holdCharges: true }) {}

  /** Remembers the charge of the job `uuid` until it ends. */
  hold(uuid: string, charge: Charge): void {
    if (this.opts.holdCharges) this.pending.set(uuid, charge);
  }

  /** Wraps the queue's runner so that every finished job settles its charge. */
  wrap(run: JobRunner): JobRunner {
    return async (job, signal) => {
      try {
        const result = await run(job, signal);
        await this.settle(job.uuid, true, 'completed');
        return result;
      } catch (err) {
        // A shutdown leaves the job to be re-run after the restart: its charge stays reserved.
        if (!signal.aborted) await this.settle(job.uuid, false, 'job failed');
        throw err;
      }
    };
  }

  private async settle(uuid: string, ok: boolean, reason: string): Promise<void> {
    const charge = this.pending.get(uuid);
    this.pending.delete(uuid);
    if (!charge) await this.billing.settle(uuid, ok, reason);
    else if (ok) await charge.commit();
    else await charge.refund(reason);
  }
}
