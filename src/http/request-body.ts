/**
 * A request's body, read from uWS once: whole (`read`) or as a stream of chunks (`chunks`) with
 * back-pressure. uWS delivers body data only to a handler registered before it arrives, and each
 * chunk is valid only inside the callback, so chunks are copied as they come.
 */
import type { HttpResponse } from 'uWebSockets.js';
import { ApiError } from '../errors.js';

/**
 * Body chunks that may wait in JS for a streaming reader before the socket is paused: one being
 * handed over and one in hand, so a slow consumer (a disk write) holds the client back instead of
 * growing our memory.
 */
const BODY_CHUNKS_AHEAD = 2;

export class RequestBody {
  private bodyPromise: Promise<Buffer> | null = null;
  private bodyTaken = false;
  /** Body data that arrived while the request waited for an asynchronous admission (`hold`). */
  private held: Held | null = null;

  /**
   * `signal`: the exchange's, read only when a body is really read. `ended`: the response was sent
   * or the client left; uWS may still deliver body data then, but the response object must not be
   * touched any more (it throws from inside uWS's callback, an uncaught exception).
   */
  constructor(
    private readonly res: HttpResponse,
    private readonly contentLength: string | undefined,
    private readonly signal: () => AbortSignal,
    private readonly ended: () => boolean = () => false,
  ) {}

  /**
   * Keeps body data that arrives before a reader exists (the guard's admission check is waiting on
   * another service): uWS drops data with no handler, so it is copied aside, and the socket is
   * paused after the first chunk. `release()` resumes it; the reader then starts from these chunks.
   */
  hold(): void {
    const held: Held = (this.held = { chunks: [], ended: false, paused: false });
    this.res.onData((chunk, isLast) => {
      if (chunk.byteLength > 0) held.chunks.push(Buffer.copyBytesFrom(new Uint8Array(chunk)));
      if (isLast) held.ended = true;
      else if (!held.paused && !this.ended()) {
        held.paused = true;
        this.res.pause();
      }
    });
  }

  /** Ends `hold()`: the data flows again (to the reader the handler registers), or is dropped. */
  release(drop: boolean): void {
    const held = this.held;
    if (!held) return;
    if (this.ended()) return;
    if (drop) {
      this.held = null;
      this.res.onData(() => {});
    }
    if (held.paused && !this.signal().aborted) this.res.resume();
    held.paused = false;
  }

  /** The held chunks, handed to the reader once. */
  private takeHeld(): Held {
    const held = this.held ?? { chunks: [], ended: false, paused: false };
    this.held = null;
    return held;
  }

  /**
   * Reads the whole body, rejecting with 413 once it passes `limitBytes`. uWS delivers the
   * body in chunks that are only valid inside the callback, so each is copied.
   */
  read(limitBytes: number): Promise<Buffer> {
    if (this.bodyPromise) return this.bodyPromise;
    if (this.bodyTaken) throw new Error('request body already read');
    const declared = Number(this.contentLength ?? NaN);
    this.bodyPromise = new Promise<Buffer>((resolve, reject) => {
      if (Number.isFinite(declared) && declared > limitBytes) {
        reject(tooLarge(limitBytes));
        // Keep reading (and discarding) so the 413 can still be written on this connection.
        this.res.onData(() => {});
        return;
      }
      const held = this.takeHeld();
      const parts: Buffer[] = held.chunks;
      let size = parts.reduce((n, p) => n + p.byteLength, 0);
      let failed = size > limitBytes;
      if (failed) {
        this.res.onData(() => {}); // the rest is read and dropped, as for a declared length past the limit
        return reject(tooLarge(limitBytes));
      }
      if (held.ended) return resolve(parts.length === 1 ? parts[0]! : Buffer.concat(parts, size));
      this.res.onData((chunk, isLast) => {
        if (failed) return;
        size += chunk.byteLength;
        if (size > limitBytes) {
          failed = true;
          reject(tooLarge(limitBytes));
          return;
        }
        parts.push(Buffer.from(new Uint8Array(chunk).slice()));
        if (isLast) resolve(parts.length === 1 ? parts[0]! : Buffer.concat(parts, size));
      });
      this.signal().addEventListener('abort', () => reject(this.signal().reason), { once: true });
    });
    return this.bodyPromise;
  }

  /**
   * The body as it arrives, one chunk (a copy) at a time, for readers that write it elsewhere.
   * At most `BODY_CHUNKS_AHEAD` chunks wait here: beyond that the socket is paused until the
   * consumer takes one. Iteration throws 413 `body_too_large` as soon as the body passes
   * `limitBytes` (at once when Content-Length announces it), or the abort reason if the client
   * goes. A consumer that stops early leaves the rest of the body to be read and dropped, so that
   * its error response can still be written on this connection.
   */
  chunks(limitBytes: number): AsyncIterable<Buffer> {
    if (this.bodyTaken || this.bodyPromise) throw new Error('request body already read');
    this.bodyTaken = true;
    const declared = Number(this.contentLength ?? NaN);
    if (Number.isFinite(declared) && declared > limitBytes) {
      this.drop(false);
      const error = tooLarge(limitBytes);
      return (async function* refused(): AsyncGenerator<Buffer, void, undefined> {
        throw error;
      })();
    }
    // Registered now, not on first iteration: uWS drops body data that arrives with no handler.
    const held = this.takeHeld();
    const body: BodyQueue = { chunks: held.chunks, ended: held.ended, paused: false, failure: null, wake: null };
    let size = held.chunks.reduce((n, p) => n + p.byteLength, 0);
    if (size > limitBytes) body.failure = tooLarge(limitBytes);
    this.res.onData((chunk, isLast) => {
      if (body.failure !== null) return;
      size += chunk.byteLength;
      if (size > limitBytes) body.failure = tooLarge(limitBytes);
      // uWS's chunk is only valid inside this callback: one copy, kept until the consumer takes it.
      else if (chunk.byteLength > 0) body.chunks.push(Buffer.copyBytesFrom(new Uint8Array(chunk)));
      if (isLast) body.ended = true;
      else if (body.chunks.length >= BODY_CHUNKS_AHEAD && !body.paused && !this.ended()) {
        body.paused = true;
        this.res.pause();
      }
      body.wake?.();
    });
    return this.take(body);
  }

  private async *take(body: BodyQueue): AsyncGenerator<Buffer, void, undefined> {
    const onAbort = (): void => {
      body.failure ??= this.signal().reason;
      body.wake?.();
    };
    this.signal().addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        while (body.chunks.length === 0 && !body.ended && body.failure === null) {
          if (this.signal().aborted) throw this.signal().reason;
          await new Promise<void>((resolve) => (body.wake = resolve));
        }
        body.wake = null;
        if (body.failure !== null) throw body.failure;
        const next = body.chunks.shift();
        if (next === undefined) return;
        if (body.paused && body.chunks.length < BODY_CHUNKS_AHEAD && !this.ended()) {
          body.paused = false;
          this.res.resume();
        }
        yield next;
      }
    } finally {
      this.signal().removeEventListener('abort', onAbort);
      if (!body.ended) this.drop(body.paused);
    }
  }

  /** Reads and drops whatever is left of the body (a refusal still needs the socket to answer on). */
  private drop(paused: boolean): void {
    if (this.signal().aborted || this.ended()) return;
    this.res.onData(() => {});
    if (paused) this.res.resume();
  }
}

/** Body chunks kept while a request waits for admission. */
interface Held {
  chunks: Buffer[];
  ended: boolean;
  paused: boolean;
}

/** A streamed body between uWS's callback and its consumer. */
interface BodyQueue {
  chunks: Buffer[];
  ended: boolean;
  paused: boolean;
  failure: unknown;
  wake: (() => void) | null;
}

function tooLarge(limitBytes: number): ApiError {
  return new ApiError('body_too_large', `Request body exceeds the limit of ${limitBytes} bytes`);
}
