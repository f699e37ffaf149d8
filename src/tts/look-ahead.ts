/**
 * Look-ahead synthesis: a queue of sentences (and the caller's marks between them) spoken in
 * order, where sentence N+1 starts synthesizing as soon as sentence N produces its first audio.
 * The next sentence is then ready when the current one ends, so speech has no gaps, yet it
 * does not compete with the current sentence's first (most urgent) audio.
 *
 * The queue is bounded by its producer: callers count what they push (the `/v1/tts/ws` text
 * buffer limit, a reply's `max_output_tokens`), so this module holds no policy of its own.
 * `clear()` drops what is queued and stops any synthesis started ahead (a cancel).
 */
import type { AudioChunk } from '../audio/pcm.js';

/**
 * Starts one sentence's synthesis. `continuation`: another sentence of the same stream is
 * already speaking, so this one need not jump the engines' queue. Null: nothing to speak.
 */
export type StartSynthesis = (text: string, continuation: boolean) => AsyncIterator<AudioChunk> | null;

interface Started {
  chunks: AsyncIterator<AudioChunk>;
  first: Promise<IteratorResult<AudioChunk>>;
}

type Queued<M> = { type: 'sentence'; text: string; started?: Started | null } | { type: 'mark'; mark: M };

/** What the consumer gets, in order: a sentence with its audio, or one of the caller's marks. */
export type Spoken<M> = { type: 'sentence'; text: string; chunks: AsyncIterable<AudioChunk> } | { type: 'mark'; mark: M };

export class LookAheadQueue<M> {
  private readonly queue: Array<Queued<M>> = [];
  private ended = false;
  private failure: { err: unknown } | null = null;
  private wake: (() => void) | null = null;
  /** True while a sentence is producing audio: the moment to start the next one. */
  private producing = false;
  /**
   * Whether a sentence has started since the stream was last silent: only the first sentence
   * after silence jumps the engines' queue (the listener is waiting); the rest follow it.
   */
  private startedAny = false;

  constructor(private readonly start: StartSynthesis) {}

  pushSentence(text: string): void {
    this.push({ type: 'sentence', text });
    if (this.producing) this.prefetch();
  }

  pushMark(mark: M): void {
    this.push({ type: 'mark', mark });
  }

  /** No more input: the consumer gets what is queued, then the end (or `err`, if given). */
  end(err?: unknown): void {
    this.ended = true;
    if (err !== undefined) this.failure = { err };
    this.notify();
  }

  /** Drops everything queued, stopping syntheses started ahead; resolves once they have stopped. */
  async clear(): Promise<void> {
    const stops = this.queue.splice(0).flatMap((q) => (q.type === 'sentence' && q.started ? [q.started.chunks.return?.()] : []));
    await Promise.allSettled(stops);
  }

  /** Queued sentences' characters (the caller's buffer limits count them). */
  get queuedChars(): number {
    let n = 0;
    for (const q of this.queue) if (q.type === 'sentence') n += q.text.length;
    return n;
  }

  /** Whether anything waits to be spoken. */
  get isEmpty(): boolean {
    return this.queue.length === 0;
  }

  /**
   * The queue in order until `end()` (or until `signal` aborts, which rejects with its reason).
   * `idle` runs whenever the queue is empty and more may come (the text paused).
   */
  async *entries(signal: AbortSignal, idle?: () => Promise<void>): AsyncGenerator<Spoken<M>> {
    try {
      for (;;) {
        signal.throwIfAborted();
        const head = this.queue.shift();
        if (!head) {
          if (this.ended) {
            if (this.failure) throw this.failure.err;
            return;
          }
          await idle?.();
          if (this.queue.length === 0 && !this.ended) {
            this.startedAny = false;
            await this.changed(signal);
          }
          continue;
        }
        if (head.type === 'mark') {
          yield head;
          continue;
        }
        const started = head.started === undefined ? this.startNow(head.text) : head.started;
        if (!started) continue;
        yield { type: 'sentence', text: head.text, chunks: this.produce(started) };
      }
    } finally {
      await this.clear();
    }
  }

  private async *produce(started: Started): AsyncGenerator<AudioChunk> {
    let done = false;
    try {
      for (let r = await started.first; !r.done; r = await started.chunks.next()) {
        // Started only now, so that it does not compete with this sentence's first audio.
        this.producing = true;
        this.prefetch();
        yield r.value;
      }
      done = true;
    } finally {
      this.producing = false;
      if (!done) await started.chunks.return?.().catch(() => {});
    }
  }

  /** Starts the sentence at the head of the queue, if it has not started. */
  private prefetch(): void {
    const head = this.queue[0];
    if (head?.type === 'sentence' && head.started === undefined) head.started = this.startNow(head.text);
  }

  private startNow(text: string): Started | null {
    const chunks = this.start(text, this.startedAny);
    if (!chunks) return null;
    this.startedAny = true;
    const first = chunks.next();
    first.catch(() => {}); // surfaced when awaited
    return { chunks, first };
  }

  private push(q: Queued<M>): void {
    this.queue.push(q);
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private changed(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      this.wake = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
    });
  }
}
