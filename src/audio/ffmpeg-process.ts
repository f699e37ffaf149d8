/**
 * One running ffmpeg or ffprobe child: started by the spawner process (`spawner/`) so that this
 * process never forks, or spawned directly when that is off or cannot start; piped stdio either
 * way, the tail of its stderr for error messages, and the wiring between it and an AbortSignal. Every failure mode (spawn
 * error, EPIPE on stdin, early exit) ends up as the settled `exited` promise, never as an
 * unhandled 'error' event.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { basename } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { FfmpegSpawner } from './spawner/ffmpeg-spawner.js';
import type { RemoteChild } from './spawner/remote-child.js';
import { STDERR_TAIL_CHARS } from './spawner/spawner-messages.js';

export interface ExitStatus {
  /** Exit code; null when killed by a signal, negative (an errno) when it never started. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The program's stdin and stdout, as a child process has them. */
export interface FfmpegStdio {
  stdin: Writable;
  stdout: Readable;
}

/**
 * The one spawner of this process. With it switched on (config `audioSpawner`), programs start
 * there, not here, unless it could not start: forking this (large) process stalls its event loop
 * on every start. Off until the app switches it on, so library users and tests spawn directly.
 */
export const ffmpegSpawner = new FfmpegSpawner();
let spawnerEnabled = false;
let fallbackWarned = false;

/** Switches the spawner on or off (config `audioSpawner`); off, every program is spawned directly. */
export function useFfmpegSpawner(enabled: boolean): void {
  spawnerEnabled = enabled;
}

let spawnerHolders = 0;

/**
 * For an app that wants the spawner: switches it on and starts it. Several apps in one process
 * (tests, embedders) share it; the returned release stops it when its last holder lets go, so
 * closing one app never fails another's running programs.
 */
export async function holdFfmpegSpawner(): Promise<() => Promise<void>> {
  spawnerHolders++;
  spawnerEnabled = true;
  await ffmpegSpawner.start();
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    if (--spawnerHolders > 0) return;
    spawnerEnabled = false;
    await ffmpegSpawner.stop();
  };
}

export class FfmpegProcess {
  readonly child: FfmpegStdio;
  /** Settles (never rejects) once the process has exited and its stdio has closed. */
  readonly exited: Promise<ExitStatus>;
  private stderrTail = '';
  private spawnError: string | undefined;
  private status: ExitStatus | undefined;
  private readonly direct: ChildProcessByStdio<Writable, Readable, Readable> | undefined;
  private readonly remote: RemoteChild | undefined;

  constructor(
    private readonly binaryPath: string,
    args: readonly string[],
  ) {
    if (spawnerEnabled && !ffmpegSpawner.unavailable) {
      const remote = (this.remote = ffmpegSpawner.run(binaryPath, args));
      this.child = remote;
      this.exited = remote.exited.then((exit) => {
        this.stderrTail = exit.stderrTail;
        this.spawnError = exit.error;
        return (this.status = { code: exit.code, signal: exit.signal });
      });
    } else {
      if (spawnerEnabled && !fallbackWarned) {
        fallbackWarned = true;
        process.emitWarning('the ffmpeg spawner process could not start; ffmpeg is spawned directly', 'LlaisWarning');
      }
      const child = (this.direct = spawn(binaryPath, args, { stdio: ['pipe', 'pipe', 'pipe'] }));
      this.child = child;
      child.on('error', (err) => {
        this.spawnError = `could not start (${err.message})`;
      });
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (text: string) => {
        this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_CHARS);
      });
      this.exited = new Promise((resolve) => {
        child.once('close', (code, signal) => resolve((this.status = { code, signal })));
      });
    }
    // EPIPE or ERR_STREAM_DESTROYED when the child exits while we still write; the exit status
    // and stderr say why, so the write error itself carries nothing more.
    this.child.stdin.on('error', () => {});
  }

  /** Process id, for tests that check the process is gone; undefined until it has started (or if it could not). */
  get pid(): number | undefined {
    return this.remote ? this.remote.pid : this.direct?.pid;
  }

  get hasExited(): boolean {
    return this.status !== undefined;
  }

  /** SIGKILL, not SIGTERM: on SIGTERM ffmpeg first finishes the file, which nobody will read. */
  kill(): void {
    if (this.remote) return ffmpegSpawner.kill(this.remote);
    const child = this.direct!;
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) child.kill('SIGKILL');
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
        ? this.spawnError
        : this.status?.signal
          ? `was killed by ${this.status.signal}`
          : `exited with code ${this.status?.code ?? 'unknown'}`;
    const stderr = this.stderrTail.trim();
    return new Error(`${what}: ${basename(this.binaryPath)} ${how}${stderr ? `: ${stderr}` : ''}`);
  }
}

/**
 * The stdout of a process that reads no stdin, chunk by chunk: killed when `signal` aborts or the
 * reader stops early, always waited for; throws `failure(what)` when it exits otherwise than 0.
 */
export async function* stdoutOf(proc: FfmpegProcess, what: string, signal?: AbortSignal): AsyncGenerator<Buffer, void, undefined> {
  proc.killOnAbort(signal);
  proc.child.stdin.end();
  let readToEnd = false;
  try {
    for await (const chunk of proc.child.stdout as AsyncIterable<Buffer>) {
      yield chunk;
      signal?.throwIfAborted();
    }
    readToEnd = true;
  } finally {
    if (!readToEnd) proc.kill();
    await proc.exited;
  }
  signal?.throwIfAborted();
  const status = await proc.exited;
  if (status.code !== 0) throw proc.failure(what);
}

/** Runs a process to completion and returns its stdout as one Buffer; rejects with `failure(what)`. */
export async function runToBuffer(
  binaryPath: string,
  args: readonly string[],
  what: string,
  signal?: AbortSignal,
): Promise<Buffer> {
  signal?.throwIfAborted();
  const chunks: Buffer[] = [];
  for await (const chunk of stdoutOf(new FfmpegProcess(binaryPath, args), what, signal)) chunks.push(chunk);
  return Buffer.concat(chunks);
}
