/**
 * Where a `/v1/tts/ws` session's audio goes: `pcm` as base64 `audio.delta` events, `opus` as
 * binary frames of one continuous Ogg Opus stream (so the frames concatenated are one valid
 * .opus file). Both keep the session audio clock and hold each audio-related event back until
 * the audio written before it has been sent; for Opus that means waiting for the encoder, whose
 * output lags its input by tens of milliseconds.
 */
import { encodeAudio } from '../../audio/encode.js';
import { OUTPUT_SAMPLE_RATE_HZ } from '../../audio/pcm.js';
import type { LiveTransport } from '../transport.js';
import { OggOpusClock } from './ogg-clock.js';
import type { OutputFormat, ServerEvent } from './protocol.js';

export interface SessionOutput {
  /** Samples (24 kHz) written so far: the session audio clock. */
  readonly samples: number;
  /** Writes one sentence's PCM; resolves when more may be written. Writes nothing once `signal` has aborted. */
  write(pcm: Int16Array, sentenceId: number, signal: AbortSignal): Promise<void>;
  /** Sends `event` once the audio written before it has been sent. */
  event(event: ServerEvent): void;
  /** A pause in the text: makes sure everything written so far reaches the client. */
  settle(): Promise<void>;
  /** Cancel: drops audio written but not yet handed on, as far as the format allows. */
  discard(): void;
  /** Ends the stream; resolves once every byte and event has been sent (or the socket closed). */
  end(): Promise<void>;
}

export function createOutput(format: OutputFormat, conn: LiveTransport, onFailure: (err: unknown) => void): SessionOutput {
  switch (format) {
    case 'pcm':
      return new PcmOutput(conn);
    case 'opus':
      return new OpusOutput(conn, onFailure);
    default: {
      const unknown: never = format;
      throw new TypeError(`unknown output format ${String(unknown)}`);
    }
  }
}

function pcmBytes(pcm: Int16Array): Uint8Array {
  return new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
}

/** Raw s16le deltas: the audio is sent as it is written, so events need no holding back. */
class PcmOutput implements SessionOutput {
  samples = 0;

  constructor(private readonly conn: LiveTransport) {}

  async write(pcm: Int16Array, sentenceId: number, signal: AbortSignal): Promise<void> {
    await this.conn.drained();
    // Re-checked after the wait: a cancel during it must stop this delta too.
    if (signal.aborted || this.conn.closed) return;
    this.samples += pcm.length;
    const event: ServerEvent = { type: 'audio.delta', sentence_id: sentenceId, audio: Buffer.from(pcmBytes(pcm)).toString('base64') };
    this.conn.send(JSON.stringify(event));
  }

  event(event: ServerEvent): void {
    this.conn.send(JSON.stringify(event));
  }

  async settle(): Promise<void> {}

  discard(): void {}

  async end(): Promise<void> {}
}

/**
 * Silence appended when the text pauses. ffmpeg reads raw input in 1024-sample packets and
 * libopus holds a 20 ms frame plus its look-ahead, so without more input the last ~70 ms of a
 * sentence would wait for the next one (measured: 1 s in, 973 ms out; 60 ms of padding released
 * all of it). Counted on the session clock like any audio.
 */
const SETTLE_PADDING_SAMPLES = (OUTPUT_SAMPLE_RATE_HZ * 80) / 1000;
// PCM waiting for the encoder; beyond it writers wait, so a slow client slows synthesis down.
const MAX_QUEUED_SAMPLES = OUTPUT_SAMPLE_RATE_HZ;

class OpusOutput implements SessionOutput {
  samples = 0;
  /** Clock position where the last written audio ends: events wait for this, not for padding. */
  private audioEnd = 0;
  private readonly queue = new PcmQueue();
  private readonly clock = new OggOpusClock();
  /** Events waiting for the encoder to deliver the audio before them, in order. */
  private held: Array<{ at: number; event: ServerEvent }> = [];
  private pumping: Promise<void> | null = null;
  private settled = true;

  constructor(
    private readonly conn: LiveTransport,
    private readonly onFailure: (err: unknown) => void,
  ) {
    conn.signal.addEventListener('abort', () => this.queue.end(), { once: true });
  }

  async write(pcm: Int16Array, _sentenceId: number, signal: AbortSignal): Promise<void> {
    this.start();
    if (await this.queue.push(pcm, signal)) {
      this.samples += pcm.length;
      this.audioEnd = this.samples;
      this.settled = false;
    }
  }

  event(event: ServerEvent): void {
    if (this.held.length === 0 && this.delivered() >= this.audioEnd) this.conn.send(JSON.stringify(event));
    else this.held.push({ at: this.audioEnd, event });
  }

  async settle(): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    const padding = new Int16Array(SETTLE_PADDING_SAMPLES);
    if (await this.queue.push(padding, this.conn.signal)) this.samples += padding.length;
  }

  discard(): void {
    this.samples -= this.queue.clear();
    this.audioEnd = Math.min(this.audioEnd, this.samples);
    // Events of dropped audio go out with whatever audio is left.
    for (const h of this.held) h.at = Math.min(h.at, this.audioEnd);
  }

  async end(): Promise<void> {
    this.queue.end();
    await this.pumping;
    this.release(Infinity);
  }

  private delivered(): number {
    return this.pumping ? this.clock.deliveredSamples(OUTPUT_SAMPLE_RATE_HZ) : this.audioEnd;
  }

  /** Starts the encoder at the first audio, so a session that never speaks costs no process. */
  private start(): void {
    this.pumping ??= this.pump().catch((err: unknown) => {
      if (!this.conn.closed) this.onFailure(err);
    });
  }

  private async pump(): Promise<void> {
    const bytes = encodeAudio(this.queue, { format: 'opus', sampleRateHz: OUTPUT_SAMPLE_RATE_HZ }, this.conn.signal);
    for await (const chunk of bytes) {
      this.clock.push(chunk);
      await this.conn.drained();
      this.conn.send(chunk);
      this.release(this.clock.deliveredSamples(OUTPUT_SAMPLE_RATE_HZ));
    }
  }

  private release(delivered: number): void {
    while (this.held.length > 0 && this.held[0]!.at <= delivered) this.conn.send(JSON.stringify(this.held.shift()!.event));
  }
}

/** A bounded PCM queue read by the encoder; `push` waits while it is full. */
class PcmQueue implements AsyncIterable<Int16Array> {
  private chunks: Int16Array[] = [];
  private queued = 0;
  private ended = false;
  private waiters: Array<() => void> = [];

  /** Resolves true once queued; false if `signal` aborted or the queue ended first. */
  async push(pcm: Int16Array, signal: AbortSignal): Promise<boolean> {
    while (this.queued >= MAX_QUEUED_SAMPLES && !this.ended && !signal.aborted) await this.changed();
    if (this.ended || signal.aborted) return false;
    this.chunks.push(pcm);
    this.queued += pcm.length;
    this.wake();
    return true;
  }

  /** Drops what is queued; returns how many samples that was. */
  clear(): number {
    const dropped = this.queued;
    this.chunks = [];
    this.queued = 0;
    this.wake();
    return dropped;
  }

  /** No more pushes; the reader gets what is queued, then stops. */
  end(): void {
    this.ended = true;
    this.wake();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Int16Array> {
    for (;;) {
      const chunk = this.chunks.shift();
      if (chunk) {
        this.queued -= chunk.length;
        this.wake();
        yield chunk;
      } else if (this.ended) {
        return;
      } else {
        await this.changed();
      }
    }
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
