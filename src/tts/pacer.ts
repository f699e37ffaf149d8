/**
 * Real-time pacing of live audio: audio is sent no more than `leadMs` ahead of real time,
 * counted from the first audio sent. A client that plays as it receives then never holds more
 * than that, so a barge-in stops the voice within the lead, and the server knows roughly what
 * was heard when it truncates.
 */

export class Pacer {
  private firstSentAt: number | null = null;
  private sentMs = 0;

  constructor(private readonly leadMs: number) {}

  /** performance.now() of the first audio sent; null before it. */
  get startedAt(): number | null {
    return this.firstSentAt;
  }

  /** Milliseconds of audio sent so far. */
  get audioSentMs(): number {
    return this.sentMs;
  }

  /** Waits until the next audio is within the lead of real time. Rejects when `signal` aborts. */
  async wait(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.firstSentAt === null) return;
    const ahead = this.sentMs - (performance.now() - this.firstSentAt);
    if (ahead > this.leadMs) await sleep(ahead - this.leadMs, signal);
  }

  /** Notes that `ms` more audio went out. */
  sent(ms: number): void {
    this.firstSentAt ??= performance.now();
    this.sentMs += ms;
  }

  /** Milliseconds of audio the client has had time to play: what was sent, capped by real time. */
  playedMs(): number {
    if (this.firstSentAt === null) return 0;
    return Math.min(this.sentMs, Math.round(performance.now() - this.firstSentAt));
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
