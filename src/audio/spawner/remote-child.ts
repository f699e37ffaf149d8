/**
 * One program run by the spawner process, seen from the server: stdin and stdout streams like a
 * child process's, backed by one Unix socket connection to the spawner, plus its pid and exit.
 *
 * The streams exist from the first moment (callers write before the connection is up); writes wait
 * for the connection and then for the socket's 'drain', and the socket is paused while stdout's
 * reader is behind, so back-pressure reaches ffmpeg through the kernel in both directions. Neither
 * stream ever emits an error of the socket's: a lost connection ends stdout, and `exited` says why.
 */
import { connect, type Socket } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { encodeHeader } from './spawner-messages.js';

/** How a remote program ended. */
export interface RemoteExit {
  /** Exit code; null when killed by a signal or lost with the spawner, negative when it never started. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stderrTail: string;
  /** Why it did not run or its end is unknown (could not start, spawner stopped). */
  error?: string;
}

export class RemoteChild {
  readonly stdin: Writable;
  readonly stdout: Readable;
  /** Settles (never rejects) when the spawner reports the exit, or is lost. */
  readonly exited: Promise<RemoteExit>;
  pid: number | undefined;
  private socket: Socket | undefined;
  private connected: Promise<Socket | undefined>;
  private settle!: (exit: RemoteExit) => void;
  private done = false;
  private stdoutEnded = false;

  /** `socketPath` resolves once the spawner listens; undefined when it could not start. */
  constructor(
    readonly id: number,
    file: string,
    args: readonly string[],
    socketPath: Promise<string | undefined>,
  ) {
    this.exited = new Promise((resolve) => (this.settle = resolve));
    this.stdout = new Readable({
      read: () => this.socket?.resume(),
      destroy: (err, cb) => {
        this.stdoutEnded = true;
        this.socket?.destroy();
        cb(err);
      },
    });
    this.stdin = new Writable({
      write: (chunk: Buffer, _enc, cb) => void this.write(chunk, cb),
      final: (cb) => void this.connected.then((s) => (s?.end(), cb())),
      destroy: (err, cb) => {
        void this.connected.then((s) => s?.end());
        cb(err);
      },
    });
    this.connected = socketPath.then((path) => (path === undefined || this.done ? undefined : this.open(path, file, args)));
  }

  /** Records the exit; the connection closes once both sides are done with it. */
  exit(exit: RemoteExit): void {
    if (this.done) return;
    this.done = true;
    // Nothing reads stdin any more; ending it lets the half-closed socket close.
    if (!this.stdin.writableEnded && !this.stdin.destroyed) this.stdin.end();
    if (exit.error !== undefined) {
      // Lost or never started: no more output will come.
      this.endStdout();
      this.socket?.destroy();
    }
    this.settle(exit);
  }

  get hasExited(): boolean {
    return this.done;
  }

  private open(path: string, file: string, args: readonly string[]): Socket {
    const socket = connect({ path, allowHalfOpen: true });
    this.socket = socket;
    socket.on('error', () => {});
    socket.write(encodeHeader({ id: this.id, file, args: [...args] }));
    socket.on('data', (data: Buffer) => {
      if (!this.stdout.push(data)) socket.pause();
    });
    socket.on('end', () => this.endStdout());
    socket.on('close', () => this.endStdout());
    return socket;
  }

  private async write(chunk: Buffer, cb: (error?: Error | null) => void): Promise<void> {
    const socket = await this.connected;
    if (socket === undefined || socket.destroyed) return cb(new Error('the ffmpeg spawner connection is closed'));
    if (socket.write(chunk)) return cb();
    const settle = (error?: Error): void => {
      socket.off('drain', onDrain);
      socket.off('close', onClose);
      cb(error);
    };
    const onDrain = (): void => settle();
    const onClose = (): void => settle(new Error('the ffmpeg spawner connection closed'));
    socket.on('drain', onDrain);
    socket.on('close', onClose);
  }

  private endStdout(): void {
    if (this.stdoutEnded) return;
    this.stdoutEnded = true;
    this.stdout.push(null);
  }
}
