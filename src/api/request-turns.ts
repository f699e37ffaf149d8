/**
 * Spreads the start-up work of requests that arrive together over event-loop turns, one request
 * per turn. Planning a speech request (parse, language detection, voice resolution, text
 * preparation) is a couple of milliseconds of synchronous work; a burst of 50 arrives in one
 * turn, and done back to back it held the loop for ~100 ms (bench/concurrency.ts: event-loop max
 * 118 ms), stalling every live session's audio and every other socket for that long. One per
 * turn leaves the total the same but lets timers and I/O run between requests.
 *
 * A request that finds the turn unused goes at once, so an idle server pays nothing.
 */
export class RequestTurns {
  readonly #waiting: Array<() => void> = [];
  #usedThisTurn = false;
  #scheduled = false;

  /** Resolves when this request may do its synchronous start-up work. */
  next(): Promise<void> {
    if (!this.#usedThisTurn) {
      this.#usedThisTurn = true;
      this.#schedule();
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  /** Requests waiting for a turn. */
  get waiting(): number {
    return this.#waiting.length;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // An immediate queued from inside the check phase runs on the loop's next iteration, after
    // its timers and I/O: that is what makes each waiting request's work its own turn.
    setImmediate(() => {
      this.#scheduled = false;
      this.#usedThisTurn = false;
      const next = this.#waiting.shift();
      if (!next) return;
      this.#usedThisTurn = true;
      this.#schedule();
      next();
    });
  }
}
