/**
 * Credits for live sessions (`/v1/realtime`, `/v1/tts/ws`), by the minutes of audio in and out
 * (issue 10): every appended piece of microphone audio and every piece of speech sent is
 * metered, and the session is charged at the speech-to-text rate (API.md: 2 credits per audio
 * minute) for their sum. An idle connection costs nothing.
 *
 * The handshake is refused with 402 when the balance does not cover one minute; one minute is
 * reserved once the socket is open (a session that cannot have it is closed with 1008), and the
 * metered audio is committed when the socket closes. Like speech to text, a long session may
 * take the balance below zero by what it cost beyond that minute (bounded by the session length
 * limit); the next paid request then gets 402.
 */
import { creditsFor, STT_CREDITS_PER_MINUTE, type Charge } from '../accounts/billing.js';
import type { Caller } from '../accounts/gate.js';
import { ApiError } from '../errors.js';
import type { WebSocketConnection } from '../http/websocket.js';
import type { ApiContext } from './context.js';

export const LIVE_CREDITS_PER_MINUTE = STT_CREDITS_PER_MINUTE;

/** A session's audio meter: what it heard and what it said, in seconds. */
export interface LiveMeter {
  heard(seconds: number): void;
  spoke(seconds: number): void;
}

/** Checks the balance at the handshake; `open(conn)` reserves and, at close, bills the metered audio. */
export async function liveCharge(ctx: ApiContext, caller: Caller, route: string): Promise<LiveMeter & { open(conn: WebSocketConnection): boolean }> {
  const { billing } = ctx.accounts;
  const balance = await billing.balance(caller);
  if (balance !== null && balance < LIVE_CREDITS_PER_MINUTE) {
    throw new ApiError('insufficient_credits', `A live session costs ${LIVE_CREDITS_PER_MINUTE} credits a minute of audio and the balance is ${balance}`);
  }
  let audioSeconds = 0;
  return {
    heard: (seconds) => void (audioSeconds += seconds),
    spoke: (seconds) => void (audioSeconds += seconds),
    open: (conn) => {
      // The ledger may be remote (Postgres): the session opens while its minute is reserved, and is
      // closed with 1008 when the reservation is refused (the handshake's balance check makes that rare).
      const charge: Promise<Charge | null> = billing.reserve(caller, { credits: LIVE_CREDITS_PER_MINUTE, chars: 0, note: `live session ${route}`, service: 'live' }).catch((err: unknown) => {
        conn.close(1008, err instanceof ApiError ? err.message : 'refused');
        return null;
      });
      conn.signal.addEventListener(
        'abort',
        () =>
          void charge
            .then(async (c) => {
              if (c === null) return;
              if (audioSeconds > 0) await c.commit(creditsFor(audioSeconds / 60, LIVE_CREDITS_PER_MINUTE));
              else await c.refund('no audio in or out');
            })
            .catch(() => {}),
        { once: true },
      );
      return true;
    },
  };
}
