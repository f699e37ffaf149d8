/**
 * The main-thread end of a pool task's audio port: PCM goes to the worker as it pulls it, and what
 * the worker sends back while it runs (final segments, a live turn's partials) goes to the hooks.
 */
import type { MessagePort } from 'node:worker_threads';
import type { LivePartial } from '../stt/live-partial.js';
import type { TranscriptSegment } from '../stt/transcript.js';
import type { AudioFeedMessage, AudioPortMessage } from './stt-task.js';

export interface TranscribeHooks {
  /** Each segment as soon as it is final, before speakers are known (no `speaker`). */
  onSegment?: (segment: TranscriptSegment) => void;
  /** A live turn's running hypothesis, as it changes (tasks with `partials`). */
  onPartial?: (partial: LivePartial) => void;
}
/**
 * Sends a task's PCM down its audio port, a chunk per `pull` from the worker: the source (ffmpeg
 * decoding an upload, or a live turn) is opened when the worker asks for the first chunk (the task
 * has started, so queued tasks hold no process) and read no faster than the worker recognizes.
 */
export class AudioFeed {
  /** Settles (never rejects) once decoding has finished or stopped and ffmpeg has exited. */
  readonly done: Promise<void>;
  /** Why decoding failed (an ApiError for a bad upload); undefined if it did not, or was stopped. */
  error: unknown = undefined;
  private credits = 0;
  private wake: (() => void) | null = null;

  constructor(
    source: (signal: AbortSignal) => AsyncIterable<Int16Array>,
    private readonly port: MessagePort,
    private readonly signal: AbortSignal,
    hooks: TranscribeHooks,
  ) {
    port.on('message', (message: AudioPortMessage) => {
      switch (message.type) {
        case 'pull':
          this.credits++;
          this.wake?.();
          return;
        case 'segment':
          hooks.onSegment?.(message.segment);
          return;
        case 'partial':
          hooks.onPartial?.(message.partial);
          return;
        default: {
          const never: never = message;
          throw new Error(`unexpected audio port message ${JSON.stringify(never)}`);
        }
      }
    });
    this.done = this.pump(source).catch((error: unknown) => {
      if (!this.signal.aborted) this.error = error;
      // A cancelled Whisper task is not terminated (see `cancellation`): it must stop waiting for audio.
      this.send({ type: 'failed' });
    });
  }

  private async pump(source: (signal: AbortSignal) => AsyncIterable<Int16Array>): Promise<void> {
    await this.credit();
    for await (const pcm of source(this.signal)) {
      this.send({ type: 'pcm', pcm }, [pcm.buffer as ArrayBuffer]);
      await this.credit();
    }
    this.send({ type: 'end' });
  }

  private send(message: AudioFeedMessage, transfer: ArrayBuffer[] = []): void {
    this.port.postMessage(message, transfer);
  }

  /** Waits for a `pull`, or rejects with the abort reason. */
  private async credit(): Promise<void> {
    while (this.credits === 0) {
      this.signal.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => reject(this.signal.reason);
        this.signal.addEventListener('abort', onAbort, { once: true });
        this.wake = () => {
          this.wake = null;
          this.signal.removeEventListener('abort', onAbort);
          resolve();
        };
      });
    }
    this.credits--;
  }
}
