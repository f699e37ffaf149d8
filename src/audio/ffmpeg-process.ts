/**
 * One running ffmpeg or ffprobe child: spawns it with piped stdio, keeps the tail of its stderr for
 * error messages, and owns the wiring between it and an AbortSignal. Every failure mode (spawn
 * error, EPIPE on stdin, early exit) ends up as the settled `exited` promise, never as an
 * unhandled 'error' event.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { basename } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** Enough of stderr to show ffmpeg's actual complaint, which it prints last. */
const STDERR_TAIL_CHARS = 2000;

export interface ExitStatus {
  /** Exit code; null when killed by a signal, negative (an errno) when it never started. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class FfmpegProcess {
  readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  /** Settles (never rejects) once the process has exited and its stdio has closed. */
  readonly exited: Promise<ExitStatus>;
  private stderrTail = '';
  private spawnError: Error | undefined;
  private status: ExitStatus | undefined;

  constructor(binaryPath: string, args: readonly string[]) {
    this.child = spawn(binaryPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.on('error', (err) => {
      this.spawnError = err;
    });
    // EPIPE or ERR_STREAM_DESTROYED when the child exits while we still write; the exit status
    // and stderr say why, so the write error itself carries nothing more.
    this.child.stdin.on('error', () => {});
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_CHARS);
    });
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        this.status = { code, signal };
        resolve(this.status);
      });
    });
  }

  /** Process id, for tests that check the process is gone; undefined if spawning failed. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.status !== undefined;
  }

  /** SIGKILL, not SIGTERM: on SIGTERM ffmpeg first finishes the file, which nobody will read. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined) {
      this.child.kill('SIGKILL');
    }
  }

  /**
   * Kills the process when `signal` aborts. The listener lives exactly as long as the process:
   * it is removed when the process exits, however that happens.
   */
  killOnAbort(signal: AbortSignal | undefined): void {
    if (signal === undefined) return;
    if (signal.aborted) {
      this.kill();
      return;
    }
    const onAbort = (): void => this.kill();
    signal.addEventListener('abort', onAbort, { once: true });
    void this.exited.then(() => signal.removeEventListener('abort', onAbort));
  }

  /** An Error saying what failed, how the process ended, and the tail of its stderr. */
  failure(what: string): Error {
    const how =
      this.spawnError !== undefined
        ? `could not start (${this.spawnError.message})`
        : this.status?.signal
          ? `was killed by ${this.status.signal}`
          : `exited with code ${this.status?.code ?? 'unknown'}`;
    const stderr = this.stderrTail.trim();
    return new Error(`${what}: ${basename(this.child.spawnfile)} ${how}${stderr ? `: ${stderr}` : ''}`);
  }
}

/** Runs a process to completion and returns its stdout as one Buffer; rejects with `failure(what)`. */
export async function runToBuffer(
  binaryPath: string,
  args: readonly string[],
  what: string,
  signal?: AbortSignal,
): Promise<Buffer> {
  signal?.throwIfAborted();
  const proc = new FfmpegProcess(binaryPath, args);
  proc.killOnAbort(signal);
  proc.child.stdin.end();
  const chunks: Buffer[] = [];
  let readToEnd = false;
  try {
    for await (const chunk of proc.child.stdout) chunks.push(chunk as Buffer);
    readToEnd = true;
  } finally {
    if (!readToEnd) proc.kill();
    await proc.exited;
  }
  signal?.throwIfAborted();
  const status = await proc.exited;
  if (status.code !== 0) throw proc.failure(what);
  return Buffer.concat(chunks);
}
