/** A queued job's result: its state, waiting for it to finish, and downloading its audio. */
import { setTimeout as sleep } from 'node:timers/promises';
import { LlaisJobError } from './errors.js';
import type { Transport } from './transport.js';
import type { CompletedJob, JobResult } from './types.js';

/** How often `wait` polls: the contract asks clients to poll every 1–2 s. */
export const DEFAULT_POLL_INTERVAL_MS = 1000;

/** Options of `results.wait`. */
export interface WaitOptions {
  /** Stops waiting, rejecting with the signal's reason; e.g. `AbortSignal.timeout(60_000)`. */
  signal?: AbortSignal;
  /** Time between polls. */
  intervalMs?: number;
}

/** `client.results`. */
export class Results {
  constructor(private readonly http: Transport) {}

  /** GET /v1/speech/results/: the job's state now. */
  get(uuid: string, options: { signal?: AbortSignal } = {}): Promise<JobResult> {
    return this.http.json<JobResult>('GET', '/v1/speech/results/', { query: { uuid }, signal: options.signal });
  }

  /** Polls until the job has completed; a failed job throws `LlaisJobError`. */
  async wait(uuid: string, options: WaitOptions = {}): Promise<CompletedJob> {
    for (;;) {
      const result = await this.get(uuid, options);
      if (result.status === 'completed') return result;
      if (result.status === 'failed') throw new LlaisJobError(uuid, result.error);
      try {
        await sleep(options.intervalMs ?? DEFAULT_POLL_INTERVAL_MS, undefined, { signal: options.signal });
      } catch (err) {
        options.signal?.throwIfAborted(); // the signal's own reason, as fetch rejects with
        throw err;
      }
    }
  }

  /** The job's audio file; given a uuid, waits for the job first. */
  async download(job: string | CompletedJob, options: WaitOptions = {}): Promise<Uint8Array> {
    const done = typeof job === 'string' ? await this.wait(job, options) : job;
    return this.http.bytes('GET', done.result_url, { signal: options.signal });
  }
}
