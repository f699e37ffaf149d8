/**
 * A gate that opens once per event-loop turn. The model registries check their folders (a few
 * `stat`s) so that a model dropped in or repaired is seen without a restart, but one request
 * asks them dozens of questions and a burst of requests arrives in one turn: profiled at 50
 * concurrent streams, those repeated checks were a tenth of the main thread's request work.
 * Looking once per turn keeps "seen by the next request" while doing the work once.
 */
export class OncePerTurn {
  #taken = false;

  /** True the first time in a turn, false after that until the next turn. */
  take(): boolean {
    if (this.#taken) return false;
    this.#taken = true;
    setImmediate(() => {
      this.#taken = false;
    }).unref();
    return true;
  }

  /** Opens the gate again now: for a caller that knows its state went stale within the turn. */
  reopen(): void {
    this.#taken = false;
  }
}
