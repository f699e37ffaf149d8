import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LiveSessionLimits } from '../src/realtime/session-limits.js';

/** The slice of a connection the limits use, recording how it was closed. */
function connection(): { signal: AbortSignal; closed: boolean; close(code: number, reason: string): void; closedWith: string | null } {
  const controller = new AbortController();
  const conn = {
    signal: controller.signal,
    closed: false,
    closedWith: null as string | null,
    close(code: number, reason: string) {
      conn.closed = true;
      conn.closedWith = `${code} ${reason}`;
      controller.abort();
    },
  };
  return conn;
}

test('a session the server still owes an answer is not idle; once answered, the idle timeout runs again', async () => {
  const limits = new LiveSessionLimits({ maxSessions: 4, maxSessionMs: 60_000, idleMs: 50 });
  const conn = connection();
  let busy = true;
  const expired: string[] = [];
  limits.watch(conn, (reason) => expired.push(reason), () => busy);
  await sleep(250);
  assert.equal(conn.closed, false, 'closed while the server was still working');
  busy = false;
  await sleep(250);
  assert.deepEqual(expired, ['idle']);
  assert.equal(conn.closedWith, '1000 idle timeout');
  assert.equal(limits.openSessions, 0);
});

test('without work in flight a silent session closes after the idle timeout', async () => {
  const limits = new LiveSessionLimits({ maxSessions: 4, maxSessionMs: 60_000, idleMs: 50 });
  const conn = connection();
  const expired: string[] = [];
  limits.watch(conn, (reason) => expired.push(reason));
  await sleep(250);
  assert.deepEqual(expired, ['idle']);
});
