/**
 * The session's input steps (decode, buffer and VAD of each append, commits, clears, and the
 * events that must follow the audio sent before them), run strictly one after another so
 * events come out in the order the audio went in.
 *
 * Bounded: what may wait is capped in bytes (audio appended but not yet processed) and in
 * steps. Overflow policy: the step that would pass a cap is refused (`offer` returns false) and
 * dropped; the caller tells the client with an `error` event and the session goes on. A client
 * streaming at real time never comes near the caps; one flooding faster than the VAD and
 * decoder can run loses its excess appends rather than growing the server's memory.
 */

/** Steps (of any kind) that may wait; far above what a real-time client ever queues. */
export const MAX_PENDING_STEPS = 1000;

export class StepQueue {
  private tail: Promise<void> = Promise.resolve();
  private pendingBytes = 0;
  private pendingSteps = 0;

  /**
   * @param maxPendingBytes audio bytes that may wait.
   * @param onFailure where a step's failure goes (steps report, they do not throw to the caller).
   */
  constructor(
    private readonly maxPendingBytes: number,
    private readonly onFailure: (err: unknown, clientEventId?: string) => void,
  ) {}

  /** Bytes of audio waiting to be processed. */
  get waitingBytes(): number {
    return this.pendingBytes;
  }

  /** Steps queued or running. */
  get waiting(): number {
    return this.pendingSteps;
  }

  /** Queues `step` after every earlier one; false (and nothing queued) when a cap would be passed. */
  offer(step: () => Promise<void> | void, opts: { bytes?: number; clientEventId?: string } = {}): boolean {
    const bytes = opts.bytes ?? 0;
    if (this.pendingSteps >= MAX_PENDING_STEPS || (bytes > 0 && this.pendingBytes + bytes > this.maxPendingBytes)) return false;
    this.pendingBytes += bytes;
    this.pendingSteps++;
    this.tail = this.tail
      .then(step)
      .catch((err: unknown) => this.onFailure(err, opts.clientEventId))
      .finally(() => {
        this.pendingBytes -= bytes;
        this.pendingSteps--;
      });
    return true;
  }
}
