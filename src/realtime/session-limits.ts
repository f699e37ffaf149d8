/**
 * Limits shared by every live WebSocket session (`/v1/realtime`, `/v1/tts/ws`): how many may be
 * open at once, how long one may last, and how long one may sit without a client message.
 * A session past a limit is told why (through `onExpire`, so it can send its protocol's error
 * event) and then closed; closing frees everything, since sessions hang their work on the
 * connection's signal.
 */
import { ApiError } from '../errors.js';
import type { LiveTransport } from './transport.js';

export interface LiveSessionLimitOptions {
  maxSessions: number;
  maxSessionMs: number;
  idleMs: number;
}

export type ExpiryReason = 'max_duration' | 'idle';

/** A watched session: call `touch()` on every client message. */
export interface SessionWatch {
  touch(): void;
}

/** Close code for "try again later" (RFC 6455 registry). */
const TRY_AGAIN_LATER = 1013;

export class LiveSessionLimits {
  private open = 0;

  constructor(private readonly opts: LiveSessionLimitOptions) {}

  get openSessions(): number {
    return this.open;
  }

  /** Refuses an upgrade with 503 when the server is full. */
  admit(): void {
    if (this.open >= this.opts.maxSessions) throw full(this.opts.maxSessions);
  }

  /**
   * Counts `connection` as open until it closes and enforces the limits on it. Upgrades that
   * raced past `admit()` are closed at once with 1013.
   */
  watch(
    connection: Pick<LiveTransport, 'signal' | 'closed' | 'close'>,
    onExpire: (reason: ExpiryReason, message: string) => void,
    /** True while the server still owes the client an answer (a turn being transcribed): not idle. */
    busy: () => boolean = () => false,
  ): SessionWatch {
    if (this.open >= this.opts.maxSessions) {
      onExpire('max_duration', full(this.opts.maxSessions).message);
      connection.close(TRY_AGAIN_LATER, 'too many live sessions');
      return { touch: () => {} };
    }
    this.open++;
    const expire = (reason: ExpiryReason, message: string): void => {
      if (connection.closed) return;
      onExpire(reason, message);
      connection.close(1000, reason === 'idle' ? 'idle timeout' : 'session length limit reached');
    };
    const maxTimer = setTimeout(
      () => expire('max_duration', `Session reached the server's maximum length of ${Math.round(this.opts.maxSessionMs / 1000)} s; open a new one to continue.`),
      this.opts.maxSessionMs,
    );
    let idleTimer = setTimeout(() => {}, 0);
    const touch = (): void => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        // A client waiting for a slow transcription has nothing to say; the wait starts over.
        if (busy()) touch();
        else expire('idle', `No message from the client for ${Math.round(this.opts.idleMs / 1000)} s; session closed.`);
      }, this.opts.idleMs);
    };
    touch();
    connection.signal.addEventListener(
      'abort',
      () => {
        this.open--;
        clearTimeout(maxTimer);
        clearTimeout(idleTimer);
      },
      { once: true },
    );
    return { touch };
  }
}

function full(max: number): ApiError {
  return new ApiError('too_many_sessions', `The server holds its maximum of ${max} live sessions; retry shortly.`, null, { headers: { 'Retry-After': '5' } });
}
