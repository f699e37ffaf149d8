/**
 * The server's side of the ffmpeg spawner: forks the spawner process once (lazily, or at app start),
 * hands it jobs, routes its IPC replies to the `RemoteChild` of each job, and restarts it on the next
 * job after it dies. When it dies, every job in flight settles with an error and its programs are
 * killed; when it cannot start at all, callers fall back to spawning directly.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RemoteChild } from './remote-child.js';
import type { SpawnerReply, SpawnerRequest } from './spawner-messages.js';

/** The spawner needs a few MB; a small heap keeps its own fork of ffmpeg cheap. */
const SPAWNER_HEAP_MB = 64;

const SPAWNER_LOST = 'the ffmpeg spawner process stopped';

/** One running spawner process and the jobs it carries. */
export class FfmpegSpawner {
  private proc: ChildProcess | undefined;
  /** The socket path once the spawner listens; undefined if it could not start. */
  private socketPath: Promise<string | undefined> | undefined;
  private readonly jobs = new Map<number, RemoteChild>();
  private nextId = 1;
  private startFailed = false;

  /** True once a start has failed: callers spawn directly from then on. */
  get unavailable(): boolean {
    return this.startFailed;
  }

  /** The spawner's pid, for tests that kill it; undefined when it is not running. */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Starts the spawner unless it runs; resolves true once it listens, false if it could not start. */
  async start(): Promise<boolean> {
    return (await this.ensure()) !== undefined;
  }

  /** Starts `file args` in the spawner process. */
  run(file: string, args: readonly string[]): RemoteChild {
    const job = new RemoteChild(this.nextId++, file, args, this.ensure());
    this.jobs.set(job.id, job);
    this.hold(true);
    void job.exited.then(() => {
      this.jobs.delete(job.id);
      if (this.jobs.size === 0) this.hold(false);
    });
    return job;
  }

  /** Asks the spawner to SIGKILL a job's program. */
  kill(job: RemoteChild): void {
    if (job.hasExited) return;
    const request: SpawnerRequest = { type: 'kill', id: job.id };
    if (this.proc?.connected) this.proc.send(request);
  }

  /** Stops the spawner; its jobs settle as lost and their programs are killed. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    // Referenced until it has exited: an idle spawner is unreferenced, and a caller awaiting its
    // exit with nothing else pending would otherwise see the process end first.
    proc.ref();
    proc.kill('SIGKILL');
    await gone;
  }

  private ensure(): Promise<string | undefined> {
    if (this.socketPath !== undefined) return this.socketPath;
    const dir = mkdtempSync(join(tmpdir(), 'llais-spawner-'));
    const path = join(dir, 'jobs.sock');
    const entry = new URL(`./spawner-process${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
    // Only the loader goes along: the server's other flags (--test, inspector, heap size) are not its.
    const loader = entry.pathname.endsWith('.ts') ? ['--import', 'tsx'] : [];
    const proc = fork(entry, [path], {
      execArgv: [...loader, `--max-old-space-size=${SPAWNER_HEAP_MB}`],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    this.proc = proc;
    // An idle spawner must not keep the server (or a test) alive: it stays referenced while it
    // starts, and afterwards while jobs run (see run()), so its exit is always seen.
    let ready = false;
    this.socketPath = new Promise((resolve) => {
      proc.on('message', (reply: SpawnerReply) => {
        if (reply.type === 'ready') {
          ready = true;
          if (this.jobs.size === 0) this.hold(false);
          resolve(path);
        } else this.onReply(reply);
      });
      proc.once('error', () => resolve(undefined));
      proc.once('exit', () => {
        if (!ready) this.startFailed = true;
        resolve(undefined);
        this.onLost(proc);
        rmSync(dir, { recursive: true, force: true });
      });
    });
    return this.socketPath;
  }

  /** References the spawner's process and channel (they keep this process alive) or not. */
  private hold(referenced: boolean): void {
    if (referenced) {
      this.proc?.ref();
      this.proc?.channel?.ref();
    } else {
      this.proc?.unref();
      this.proc?.channel?.unref();
    }
  }

  private onReply(reply: Exclude<SpawnerReply, { type: 'ready' }>): void {
    const job = this.jobs.get(reply.id);
    if (job === undefined) return;
    switch (reply.type) {
      case 'spawned':
        job.pid = reply.pid;
        break;
      case 'exit':
        job.exit({
          code: reply.code,
          signal: reply.signal,
          stderrTail: reply.stderrTail,
          ...(reply.spawnError === undefined ? {} : { error: `could not start (${reply.spawnError})` }),
        });
        break;
      default: {
        const unknown: never = reply;
        throw new Error(`unknown spawner reply ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** The spawner is gone: its programs are orphans, killed here; every job settles as lost. */
  private onLost(proc: ChildProcess): void {
    if (this.proc !== proc) return;
    this.proc = undefined;
    this.socketPath = undefined;
    for (const job of this.jobs.values()) {
      if (job.pid !== undefined) {
        try {
          process.kill(job.pid, 'SIGKILL');
        } catch {
          // Already gone: it died with its connection.
        }
      }
      job.exit({ code: null, signal: null, stderrTail: '', error: SPAWNER_LOST });
    }
  }
}
