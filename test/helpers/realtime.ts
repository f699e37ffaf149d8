/** A recording Realtime client for tests: every server event kept with its arrival time. */
import { once } from 'node:events';
import WebSocket from 'ws';

export interface TimedEvent {
  at: number;
  // Server events are checked field by field in the tests; their shapes vary by type.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  event: { type: string; [k: string]: any };
}

export class EventLog {
  readonly events: TimedEvent[] = [];
  private waiters: Array<{ test: (e: TimedEvent) => boolean; resolve: (e: TimedEvent) => void }> = [];

  push(event: TimedEvent['event']): void {
    const timed = { at: performance.now(), event };
    this.events.push(timed);
    this.waiters = this.waiters.filter((w) => {
      if (!w.test(timed)) return true;
      w.resolve(timed);
      return false;
    });
  }

  of(type: string): TimedEvent['event'][] {
    return this.events.filter((e) => e.event.type === type).map((e) => e.event);
  }

  /** The first event (already received, or to come) of `type` that passes `pred`, after index `from`. */
  waitFor(type: string, opts: { pred?: (e: TimedEvent['event']) => boolean; timeoutMs?: number; from?: number } = {}): Promise<TimedEvent> {
    const test = (e: TimedEvent): boolean => e.event.type === type && (opts.pred?.(e.event) ?? true);
    const found = this.events.slice(opts.from ?? 0).find(test);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      // Error events are shown whole: the reason a wait failed is usually in one of them.
      const got = (): string => this.events.map((e) => (e.event.type === 'error' ? JSON.stringify(e.event) : e.event.type)).join(', ');
      const timer = setTimeout(() => reject(new Error(`no ${type} within ${opts.timeoutMs ?? 20000} ms; got ${got()}`)), opts.timeoutMs ?? 20_000);
      this.waiters.push({ test, resolve: (e) => { clearTimeout(timer); resolve(e); } });
    });
  }
}

/** A plain `ws` client (for the beta dialect, raw frames and bad input). */
export async function rawRealtime(url: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; log: EventLog; send(e: object): void }> {
  const ws = new WebSocket(url, { headers });
  const log = new EventLog();
  ws.on('message', (d, isBinary) => {
    if (!isBinary) log.push(JSON.parse(d.toString()));
  });
  await once(ws, 'open');
  return { ws, log, send: (e) => ws.send(JSON.stringify(e)) };
}

/** Splits `pcm` bytes into `frameBytes` pieces and calls `send` for each at real-time pace. */
export async function streamRealtime(bytes: Buffer, frameBytes: number, frameMs: number, send: (frame: Buffer) => void): Promise<void> {
  const start = performance.now();
  for (let i = 0, n = 0; i < bytes.length; i += frameBytes, n++) {
    send(bytes.subarray(i, i + frameBytes));
    const due = start + (n + 1) * frameMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

export function decodeDeltas(events: TimedEvent['event'][]): Buffer {
  return Buffer.concat(events.map((e) => Buffer.from(e.delta as string, 'base64')));
}
