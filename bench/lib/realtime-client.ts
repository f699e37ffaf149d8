/**
 * A `/v1/realtime` client for benchmarks, built on `ws`: it streams a microphone's worth of audio
 * (20 ms `input_audio_buffer.append` frames at real-time pace, silence whenever nothing is
 * queued, from connect to close) and keeps every server event with its arrival time, and the
 * send time of every frame, so that a server event carrying a stream position (`audio_end_ms`)
 * can be turned back into the moment the client sent that audio.
 */
import { once } from 'node:events';
import WebSocket from 'ws';

/** The protocol's PCM16 rate. */
export const RT_SAMPLE_RATE_HZ = 24_000;
export const FRAME_MS = 20;
/** 20 ms of s16le mono at 24 kHz. */
export const FRAME_BYTES = (RT_SAMPLE_RATE_HZ / 1000) * FRAME_MS * 2;
/** Longest wait for any one server event; a turn with its reply takes a few seconds. */
const EVENT_TIMEOUT_MS = 20_000;

export interface TimedEvent {
  /** performance.now() at arrival. */
  at: number;
  // Server events are read field by field; their shapes vary by type.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  event: { type: string; [k: string]: any };
}

export class RealtimeClient {
  readonly events: TimedEvent[] = [];
  /** performance.now() when frame i (stream time [20 i, 20 i + 20) ms) was sent. */
  readonly sentAt: number[] = [];
  private waiters: Array<{ test: (e: TimedEvent) => boolean; resolve: (e: TimedEvent) => void }> = [];
  /** Whole frames waiting to be sent. */
  private queue: Buffer[] = [];
  private timer: NodeJS.Timeout | null = null;
  private streamStart = 0;
  private readonly silence = Buffer.alloc(FRAME_BYTES);

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const timed: TimedEvent = { at: performance.now(), event: JSON.parse(data.toString()) as TimedEvent['event'] };
      this.events.push(timed);
      this.waiters = this.waiters.filter((w) => {
        if (!w.test(timed)) return true;
        w.resolve(timed);
        return false;
      });
    });
    ws.on('error', () => {}); // a failed socket shows up as missing events
  }

  /** Connects (GA dialect) and waits for `session.created`. */
  static async connect(baseUrl: string): Promise<RealtimeClient> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/v1/realtime?model=gpt-realtime`);
    const client = new RealtimeClient(ws);
    await once(ws, 'open');
    await client.waitFor('session.created');
    return client;
  }

  send(event: object): void {
    this.ws.send(JSON.stringify(event));
  }

  /** Sends `session.update` and waits for `session.updated`. */
  async update(session: object): Promise<void> {
    const from = this.events.length;
    this.send({ type: 'session.update', session: { type: 'realtime', ...session } });
    await this.waitFor('session.updated', { from });
  }

  /**
   * Starts the microphone: one frame every 20 ms from now on, queued audio first, else silence.
   * A late timer sends every overdue frame at once, as a client's audio callback would catch up.
   */
  startStreaming(): void {
    this.streamStart = performance.now();
    const tick = (): void => {
      const now = performance.now();
      while (this.streamStart + this.sentAt.length * FRAME_MS <= now && this.ws.readyState === WebSocket.OPEN) {
        this.ws.send(`{"type":"input_audio_buffer.append","audio":"${this.nextFrame().toString('base64')}"}`);
        this.sentAt.push(performance.now());
      }
      this.timer = setTimeout(tick, Math.max(0, this.streamStart + this.sentAt.length * FRAME_MS - performance.now()));
    };
    tick();
  }

  /** Queues PCM (s16le, 24 kHz) to go out after what is queued; a partial last frame is padded with silence. */
  enqueue(pcm: Buffer): void {
    for (let i = 0; i < pcm.length; i += FRAME_BYTES) {
      const frame = pcm.subarray(i, i + FRAME_BYTES);
      this.queue.push(frame.length === FRAME_BYTES ? frame : Buffer.concat([frame, Buffer.alloc(FRAME_BYTES - frame.length)]));
    }
  }

  /** Milliseconds of queued audio not yet sent. */
  get queuedMs(): number {
    return this.queue.length * FRAME_MS;
  }

  /** Stream time (ms) of everything sent so far. */
  get streamedMs(): number {
    return this.sentAt.length * FRAME_MS;
  }

  /** When the client sent the audio at stream time `ms` (the frame holding it), or NaN if not yet sent. */
  sentAtStreamMs(ms: number): number {
    return this.sentAt[Math.max(0, Math.ceil(ms / FRAME_MS) - 1)] ?? Number.NaN;
  }

  private nextFrame(): Buffer {
    return this.queue.shift() ?? this.silence;
  }

  /** The first event of `type` passing `pred` at index `from` or later, received already or to come. */
  waitFor(type: string, opts: { from?: number; pred?: (e: TimedEvent['event']) => boolean; timeoutMs?: number } = {}): Promise<TimedEvent> {
    const test = (e: TimedEvent): boolean => e.event.type === type && (opts.pred?.(e.event) ?? true);
    const found = this.events.slice(opts.from ?? 0).find(test);
    if (found) return Promise.resolve(found);
    const timeoutMs = opts.timeoutMs ?? EVENT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`no ${type} within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (e: TimedEvent): void => {
        clearTimeout(timer);
        resolve(e);
      };
      this.waiters.push({ test, resolve: done });
    });
  }

  /** Stops the microphone and closes the socket, waiting for the close. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.ws.readyState === WebSocket.CLOSED) return;
    const closed = once(this.ws, 'close');
    this.ws.close(1000);
    await closed;
  }
}
