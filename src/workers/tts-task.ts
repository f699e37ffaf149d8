/** One synthesis request's life in the TTS pool: its chunks wait here until the caller's iterator takes them. */
import type { AudioChunk } from '../audio/pcm.js';
import type { TtsJob } from './tts-messages.js';

export type TaskState = 'queued' | 'running' | 'settled';

export class Task {
  state: TaskState = 'queued';
  private readonly chunks: AudioChunk[] = [];
  private ended = false;
  private error: unknown = undefined;
  private wake: (() => void) | null = null;

  constructor(
    readonly id: number,
    readonly job: TtsJob,
    /** performance.now() ms by which its audio is needed; Infinity: no listener waiting. */
    readonly deadlineMs: number = Number.POSITIVE_INFINITY,
  ) {}

  push(chunk: AudioChunk): void {
    if (this.state === 'settled') return;
    this.chunks.push(chunk);
    this.notify();
  }

  end(): void {
    if (this.state === 'settled') return;
    this.state = 'settled';
    this.ended = true;
    this.notify();
  }

  fail(error: unknown): void {
    if (this.state === 'settled') return;
    this.state = 'settled';
    this.error = error;
    this.chunks.length = 0;
    this.notify();
  }

  /** The next chunk, or null once the task has ended; throws if it failed or was cancelled. */
  async next(): Promise<AudioChunk | null> {
    for (;;) {
      if (this.error !== undefined) throw this.error;
      const chunk = this.chunks.shift();
      if (chunk) return chunk;
      if (this.ended) return null;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

/** Inserts `task` into a queue lane after every task whose deadline is not later (equal deadlines stay FIFO). */
export function enqueueByDeadline(lane: Task[], task: Task): void {
  let at = lane.length;
  while (at > 0 && lane[at - 1]!.deadlineMs > task.deadlineMs) at--;
  lane.splice(at, 0, task);
}
