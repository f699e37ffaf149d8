/**
 * Stopping the pool without taking the process down. A worker thread may be terminated only at a
 * point where its JavaScript can be interrupted: one inside an onnxruntime call, or still loading
 * its modules (native addons initialising, an ES module being instantiated), aborts the whole
 * process instead (SIGABRT: "terminate called after throwing Napi::Error", or V8's fatal error in
 * a synchronous module instantiation). Loading is made interruptible (poolWorkerExecArgv);
 * requests are cancelled around inferences (see `cancellation` in pool.ts); and the pool's close(),
 * which terminates every worker at once, first waits, bounded, for loading workers to finish
 * loading and for uninterruptible tasks to end (PoolShutdown).
 */

/** What a pool worker posts once its task module has loaded (stt-task.ts, at the end of its body). */
export const WORKER_LOADED = 'llais:pool-worker-loaded';

/**
 * Node 20.19+ lets `require` load an ES module synchronously, and Piscina tries `require` on the
 * task module first; a worker terminated inside that synchronous load (a replacement still
 * starting when a task is aborted or the pool closes) aborts the whole process. Turned off, the
 * load falls back to Piscina's asynchronous import(), which termination interrupts cleanly
 * (measured: terminations swept across the load window aborted the process 2 times in 40 with
 * require, 0 in 150 with import()).
 */
export function poolWorkerExecArgv(): string[] {
  const flag = '--no-experimental-require-module';
  return process.allowedNodeEnvironmentFlags.has('--experimental-require-module') ? [...process.execArgv, flag] : process.execArgv;
}

/** The longest close() waits before terminating the workers anyway. */
const SHUTDOWN_GRACE_MS = 15_000;
const POLL_MS = 20;

/** The part of a Piscina pool this needs. */
export interface WorkerThreads {
  on(event: 'message', listener: (message: unknown) => void): unknown;
  readonly threads: readonly { readonly threadId: number }[];
}

export class PoolShutdown {
  private readonly loaded = new Set<number>();
  private readonly running = new Map<Promise<unknown>, Int32Array | undefined>();

  constructor(private readonly piscina: WorkerThreads) {
    piscina.on('message', (message: unknown) => {
      if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === WORKER_LOADED) {
        this.loaded.add((message as { threadId: number }).threadId);
      }
    });
  }

  /**
   * Marks a task whose worker must not be terminated while it runs; `cancelFlag` (Whisper,
   * Demucs) asks it to stop at its next step when the pool closes.
   */
  uninterruptible<T>(task: Promise<T>, cancelFlag?: Int32Array): Promise<T> {
    const settled = task.then(
      () => undefined,
      () => undefined,
    );
    this.running.set(settled, cancelFlag);
    void settled.then(() => this.running.delete(settled));
    return task;
  }

  /** Asks flagged tasks to stop, then waits until every worker is loaded and no uninterruptible task runs. */
  async settle(graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
    for (const flag of this.running.values()) if (flag) Atomics.store(flag, 0, 1);
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      const loading = this.piscina.threads.some((worker) => !this.loaded.has(worker.threadId));
      if (!loading && this.running.size === 0) return;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}
