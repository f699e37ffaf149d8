/**
 * The pool of TTS worker threads: the only module that talks to them, with typed messages.
 *
 * Capacity model: one task per worker at a time; a bounded queue in front (overflow: 503).
 * The queue has two lanes: a stream's first piece ('first') is dispatched before queued later
 * pieces ('rest') of other streams, so many concurrent streams all start speaking quickly; the
 * later pieces go earliest deadline first (when each stream's listener runs out of audio), so
 * under load the stream closest to a stutter is served next rather than the oldest request.
 *
 * Streaming: a worker posts each chunk as the engine makes it, its PCM buffer transferred, not
 * copied; the caller's async iterator yields it as it arrives.
 *
 * Cancellation: a queued task is dropped and never runs. A running one is told through a
 * SharedArrayBuffer flag that the engine polls at every chunk boundary, since a worker busy in
 * synchronous wasm cannot read messages; if it has not stopped within CANCEL_GRACE_MS, the
 * worker is terminated and replaced. Not a worker in a Piper or Kokoro inference: onnxruntime
 * runs it synchronously, ending the thread there aborts the process, so it stops at the end of
 * its current piece. Closing likewise lets each worker finish its piece and end itself.
 *
 * Failures: a worker that throws or dies fails only its own task and is replaced; a voice that
 * a worker cannot load fails its task with VoiceLoadError and leaves the worker running.
 */
import type { AudioChunk } from '../audio/pcm.js';
import { DEFAULT_ONNX_SETTINGS, usesAccelerator, type OnnxSettings } from '../engines/onnx/settings.js';
import { VoiceLoadError } from '../engines/tts/piper/voice-load-error.js';
import { ApiError } from '../errors.js';
import type { EngineInventory, PoolToWorker, SharedEngineData, TaskPriority, TtsJob, WorkerToPool } from './tts-messages.js';
import { enqueueByDeadline, Task } from './tts-task.js';
import { newScratch, prepareEngineData, releaseScratch, spawnWorker, type Scratch, type Slot, type WorkerSetup } from './tts-worker-spawn.js';

export interface TtsPoolOptions {
  workers: number;
  /** Most tasks waiting for a worker; beyond it `run` throws 503. */
  maxQueue: number;
  picoLingwareDir: string | null;
  /** How neural models' sessions are made; default: CPU, one thread each. */
  onnx?: OnnxSettings;
  /** Model memory each worker may keep loaded; default 0: no limit. */
  sessionBudgetBytes?: number;
  /** Warm every built-in engine up before a worker counts as ready; default true. */
  warmUp?: boolean;
}

export interface TtsPoolStats {
  /** Workers started and warm (a replacement counts once it is ready). */
  workers: number;
  /** Tasks handed to a worker. */
  dispatched: number;
  completed: number;
  /** Cancelled before they reached a worker. */
  droppedWhileQueued: number;
  /** Cancelled while running (stopped at a chunk boundary or by terminating the worker). */
  cancelledWhileRunning: number;
  failed: number;
  workersReplaced: number;
}

/** How long a cancelled engine may take to reach its next chunk boundary before its worker is terminated. */
const CANCEL_GRACE_MS = 2_000;
/**
 * Longest a closing worker may take to end: enough for one neural piece (at most 510 tokens,
 * about half a minute of speech) on a slow CPU, since terminating it mid-inference aborts the
 * process; a wasm engine stuck past it is terminated.
 */
const CLOSE_GRACE_MS = 30_000;
/** A worker that cannot even start (broken install) is not respawned in a tight loop forever. */
const MAX_CONSECUTIVE_START_FAILURES = 3;

export class TtsPool {
  private readonly slots = new Set<Slot>();
  private readonly lanes: Record<TaskPriority, Task[]> = { first: [], rest: [] };
  private nextTaskId = 1;
  private closed = false;
  private startFailures = 0;
  private readonly counters: Omit<TtsPoolStats, 'workers'> = {
    dispatched: 0,
    completed: 0,
    droppedWhileQueued: 0,
    cancelledWhileRunning: 0,
    failed: 0,
    workersReplaced: 0,
  };

  private constructor(
    private readonly opts: TtsPoolOptions,
    /** What every worker, replacements included, is started with. */
    private readonly setup: WorkerSetup,
    private readonly scratch: Scratch,
    /** What the engines offer (the same in every worker). */
    readonly inventory: EngineInventory,
  ) {}

  /** Starts `opts.workers` workers and resolves once every one has loaded and warmed its engines. */
  static async start(opts: TtsPoolOptions): Promise<TtsPool> {
    const count = Math.max(1, Math.floor(opts.workers));
    const setup = workerSetup(opts, await prepareEngineData(opts.picoLingwareDir));
    const scratch = newScratch();
    const spawned: Array<{ slot: Slot; ready: Promise<EngineInventory> }> = [];
    for (let i = 0; i < count; i++) spawned.push(spawnWorker(setup, scratch));
    let inventories: EngineInventory[];
    try {
      inventories = await Promise.all(spawned.map((s) => s.ready));
    } catch (error) {
      await Promise.all(spawned.map((s) => s.slot.worker.terminate()));
      releaseScratch(scratch);
      throw error;
    }
    const pool = new TtsPool(opts, setup, scratch, inventories[0]);
    for (const { slot } of spawned) pool.adopt(slot);
    return pool;
  }

  /**
   * Runs `job`, yielding its chunks as the worker makes them. Throws ApiError 503 when the queue
   * is full, `signal.reason` when aborted. Ending the iteration early cancels the task.
   */
  async *run(job: TtsJob, signal: AbortSignal, deadlineMs?: number): AsyncGenerator<AudioChunk, void, undefined> {
    signal.throwIfAborted();
    if (this.closed) throw new ApiError('shutting_down', 'The server is shutting down');
    if (this.slots.size === 0 && this.startFailures >= MAX_CONSECUTIVE_START_FAILURES) throw unavailable();
    if (this.queueSize() >= this.opts.maxQueue) {
      throw new ApiError('overloaded', 'Synthesis queue is full, retry shortly', null, { headers: { 'Retry-After': '1' } });
    }
    const task = new Task(this.nextTaskId++, job, deadlineMs);
    enqueueByDeadline(this.lanes[job.priority], task);
    const onAbort = (): void => this.cancel(task, signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    this.dispatch();
    try {
      for (;;) {
        const chunk = await task.next();
        if (chunk === null) return;
        yield chunk;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (task.state !== 'settled') this.cancel(task, new DOMException('Synthesis was not read to the end', 'AbortError'));
    }
  }

  /** Tasks waiting for a worker. */
  queueSize(): number {
    return this.lanes.first.length + this.lanes.rest.length;
  }

  stats(): TtsPoolStats {
    return { workers: this.slots.size, ...this.counters };
  }

  /** Fails everything queued or running and stops the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const shutdown = new ApiError('shutting_down', 'The server is shutting down');
    for (const lane of Object.values(this.lanes)) for (const task of lane.splice(0)) task.fail(shutdown);
    const exits: Array<Promise<void>> = [];
    for (const slot of this.slots) {
      slot.task?.fail(shutdown);
      if (slot.cancelTimer) clearTimeout(slot.cancelTimer);
      exits.push(retire(slot));
    }
    this.slots.clear();
    await Promise.all(exits);
    releaseScratch(this.scratch);
  }

  private cancel(task: Task, reason: unknown): void {
    if (task.state === 'queued') {
      const lane = this.lanes[task.job.priority];
      lane.splice(lane.indexOf(task), 1);
      this.counters.droppedWhileQueued++;
      task.fail(reason);
      return;
    }
    if (task.state !== 'running') return;
    task.fail(reason);
    this.counters.cancelledWhileRunning++;
    for (const slot of this.slots) {
      if (slot.task !== task) continue;
      Atomics.store(slot.cancel, 0, task.id);
      // A neural job is inside a blocking onnxruntime inference until its current piece is
      // done; terminating the thread there aborts the process, so it is left to stop at the
      // piece's end, which the flag makes it do.
      if (isNeural(task.job)) continue;
      slot.cancelTimer = setTimeout(() => {
        slot.cancelTimer = null;
        if (slot.task === task) void slot.worker.terminate();
      }, CANCEL_GRACE_MS);
      slot.cancelTimer.unref();
    }
  }

  private dispatch(): void {
    const device = this.deviceSlot();
    for (const slot of this.slots) {
      if (!slot.ready || slot.task !== null) continue;
      const task = this.take(slot, device);
      if (!task) continue;
      task.state = 'running';
      slot.task = task;
      Atomics.store(slot.cancel, 0, 0);
      this.counters.dispatched++;
      const message: PoolToWorker = { type: 'run', taskId: task.id, job: task.job };
      slot.worker.postMessage(message);
    }
  }

  /**
   * On an accelerator, the one worker whose neural sessions live on the device (the oldest live
   * one): every Piper and Kokoro job queues for it, so each model has one session on the device
   * shared by all requests, not one per worker. null on CPU, where every worker runs every engine.
   */
  private deviceSlot(): Slot | null {
    if (!usesAccelerator(this.opts.onnx ?? DEFAULT_ONNX_SETTINGS) || this.slots.size < 2) return null;
    for (const slot of this.slots) if (!slot.exited) return slot;
    return null;
  }

  /** The first queued task `slot` may run: first lane before rest; by deadline, then FIFO, within a lane. */
  private take(slot: Slot, device: Slot | null): Task | undefined {
    for (const lane of [this.lanes.first, this.lanes.rest]) {
      const at = device === null ? (lane.length > 0 ? 0 : -1) : lane.findIndex((t) => isNeural(t.job) === (slot === device));
      if (at >= 0) return lane.splice(at, 1)[0];
    }
    return undefined;
  }

  /** Wires a started worker's events into the pool. */
  private adopt(slot: Slot): void {
    this.slots.add(slot);
    if (slot.exited) {
      this.onExit(slot);
      return;
    }
    slot.ready = true;
    slot.worker.on('message', (message: WorkerToPool) => this.onMessage(slot, message));
    slot.worker.on('exit', () => this.onExit(slot));
    this.dispatch();
  }

  private onMessage(slot: Slot, message: WorkerToPool): void {
    switch (message.type) {
      case 'chunk': {
        if (slot.task?.id !== message.taskId) return;
        const chunk: AudioChunk = { pcm: message.pcm, sampleRateHz: message.sampleRateHz };
        if (message.words) chunk.words = message.words;
        slot.task.push(chunk);
        return;
      }
      case 'done': {
        if (slot.task?.id !== message.taskId) return;
        if (!message.cancelled) this.counters.completed++;
        slot.task.end();
        this.release(slot);
        return;
      }
      case 'voice-failed': {
        if (slot.task?.id !== message.taskId) return;
        this.counters.failed++;
        slot.task.fail(new VoiceLoadError(message.reason));
        this.release(slot);
        return;
      }
      case 'ready':
        return;
      default: {
        const never: never = message;
        throw new Error(`unexpected worker message ${JSON.stringify(never)}`);
      }
    }
  }

  /** The slot's task has settled: the worker takes the next one. */
  private release(slot: Slot): void {
    slot.task = null;
    if (slot.cancelTimer) clearTimeout(slot.cancelTimer);
    slot.cancelTimer = null;
    this.dispatch();
  }

  private onExit(slot: Slot): void {
    this.slots.delete(slot);
    if (slot.cancelTimer) clearTimeout(slot.cancelTimer);
    if (this.closed) return;
    if (slot.task && slot.task.state !== 'settled') {
      this.counters.failed++;
      slot.task.fail(new ApiError('synthesis_failed', 'Speech synthesis failed', null, { cause: slot.crash }));
    }
    this.replace();
  }

  private replace(): void {
    this.counters.workersReplaced++;
    const { slot, ready } = spawnWorker(this.setup, this.scratch);
    ready.then(
      () => {
        this.startFailures = 0;
        if (this.closed) {
          void slot.worker.terminate();
          return;
        }
        this.adopt(slot);
      },
      () => {
        if (this.closed) return;
        if (++this.startFailures < MAX_CONSECUTIVE_START_FAILURES) {
          this.replace();
        } else if (this.slots.size === 0) {
          for (const lane of Object.values(this.lanes)) for (const task of lane.splice(0)) task.fail(unavailable());
        }
      },
    );
  }
}

/**
 * Asks a worker to end once its onnxruntime work (if any) is done, since terminating a thread
 * in the middle of an inference aborts the process; a worker that has not ended in time (a
 * wasm engine stuck in a long sentence) is terminated.
 */
async function retire(slot: Slot): Promise<void> {
  if (slot.exited) return;
  const exited = new Promise<void>((resolve) => slot.worker.once('exit', () => resolve()));
  slot.worker.postMessage({ type: 'close' } satisfies PoolToWorker);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), CLOSE_GRACE_MS);
  });
  if ((await Promise.race([exited, late])) === 'late') await slot.worker.terminate();
  clearTimeout(timer);
}

/**
 * Jobs that run onnxruntime inferences: they block their thread and must not be cut short, and
 * on an accelerator they run on the device worker only.
 */
function isNeural(job: TtsJob): boolean {
  return job.engine === 'piper' || job.engine === 'kokoro';
}

function workerSetup(opts: TtsPoolOptions, engineData: SharedEngineData): WorkerSetup {
  return { picoLingwareDir: opts.picoLingwareDir, onnx: opts.onnx ?? DEFAULT_ONNX_SETTINGS, sessionBudgetBytes: opts.sessionBudgetBytes ?? 0, warmUp: opts.warmUp ?? true, engineData };
}

/** Every worker died and replacements keep failing to start: nothing can be synthesized. */
function unavailable(): ApiError {
  return new ApiError('engine_unavailable', 'Speech synthesis is unavailable');
}
