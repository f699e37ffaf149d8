/**
 * Credits for live sessions (`/v1/realtime`, `/v1/tts/ws`). A session is billed by the minutes
 * of its connection at the speech-to-text rate (API.md: 2 credits per audio minute): a live
 * client streams its microphone for the whole session, so connection time is its audio in.
 * Audio out is not billed separately yet.
 *
 * The handshake is refused with 402 when the balance does not cover one minute; the first minute
 * is reserved once the socket is open (a session that cannot have it is closed with 1008), and
 * the real length is committed when the socket closes. Like speech to text, a long session may
 * take the balance below zero by what it cost beyond that minute (bounded by the session length
 * limit); the next paid request then gets 402.
 */
import { creditsFor, STT_CREDITS_PER_MINUTE, type Charge } from '../accounts/billing.js';
import type { Caller } from '../accounts/gate.js';
import { ApiError } from '../errors.js';
import type { WebSocketConnection } from '../http/websocket.js';
import type { ApiContext } from './context.js';

export const LIVE_CREDITS_PER_MINUTE = STT_CREDITS_PER_MINUTE;

/** Checks the balance at the handshake; the returned `open(conn)` reserves and bills the session. */
export function liveCharge(ctx: ApiContext, caller: Caller, route: string): { open(conn: WebSocketConnection): boolean } {
  const { billing } = ctx.accounts;
  const balance = billing.balance(caller);
  if (balance !== null && balance < LIVE_CREDITS_PER_MINUTE) {
    throw new ApiError('insufficient_credits', `A live session costs ${LIVE_CREDITS_PER_MINUTE} credits a minute and the balance is ${balance}`);
  }
  return {
    open: (conn) => {
      let charge: Charge;
      try {
        charge = billing.reserve(caller, { credits: LIVE_CREDITS_PER_MINUTE, chars: 0, note: `live session ${route}`, service: 'live' });
      } catch (err) {
        conn.close(1008, err instanceof ApiError ? err.message : 'refused');
        return false;
      }
      const openedAt = performance.now();
      conn.signal.addEventListener('abort', () => charge.commit(creditsFor((performance.now() - openedAt) / 60_000, LIVE_CREDITS_PER_MINUTE)), { once: true });
      return true;
    },
  };
}
