/**
 * Starting one TTS worker thread: its slot in the pool, the process-wide resources the workers
 * share (scratch directory, engine data), and the promise that settles when its engines are
 * loaded and warm.
 */
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { EspeakCore } from '../engines/tts/espeak/espeak-core.js';
import { FliteCore } from '../engines/tts/flite/flite-core.js';
import { PicoCore } from '../engines/tts/pico/pico-core.js';
import type { EngineInventory, SharedEngineData, TtsWorkerData, WorkerToPool } from './tts-messages.js';
import type { Task } from './tts-task.js';

/** One worker thread and the task it runs. */
export interface Slot {
  worker: Worker;
  cancel: Int32Array;
  ready: boolean;
  task: Task | null;
  cancelTimer: NodeJS.Timeout | null;
  /** Set by the 'error' event so that 'exit' can fail the task with the real cause. */
  crash: unknown;
  /** The thread has ended (possibly before the pool adopted it). */
  exited: boolean;
}

/** Process-wide resources the workers share; the pool owns them. */
export interface Scratch {
  dir: string;
  devNullFd: number;
}

export function releaseScratch(scratch: Scratch): void {
  closeSync(scratch.devNullFd);
  rmSync(scratch.dir, { recursive: true, force: true });
}

/** What the pool tells every worker it starts. */
export type WorkerSetup = Pick<TtsWorkerData, 'picoLingwareDir' | 'onnx' | 'sessionBudgetBytes' | 'warmUp' | 'engineData'>;

/**
 * Reads and compiles, once per pool, what every worker's built-in engines are made from. Per
 * worker this saves eSpeak's 24 MB data file, flite's compiled 21.5 MB module and 16 MB memory
 * image, and pico's compiled module (bench/worker-memory.ts has the figures).
 */
export async function prepareEngineData(picoLingwareDir: string | null): Promise<SharedEngineData> {
  const [flite, picoModule] = await Promise.all([FliteCore.prepare(), picoLingwareDir === null ? null : PicoCore.compile()]);
  return { espeakData: EspeakCore.readData(), flite, picoModule };
}

/** The worker entry next to this file: `.ts` under tsx (tests, dev), `.js` when compiled. */
export function spawnWorker(setup: WorkerSetup, scratch: Scratch): { slot: Slot; ready: Promise<EngineInventory> } {
  const data: TtsWorkerData = {
    picoLingwareDir: setup.picoLingwareDir,
    onnx: setup.onnx,
    sessionBudgetBytes: setup.sessionBudgetBytes,
    warmUp: setup.warmUp,
    engineData: setup.engineData,
    scratchDir: scratch.dir,
    devNullFd: scratch.devNullFd,
    cancelFlag: new SharedArrayBuffer(4),
  };
  const entry = new URL(`./tts-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
  const worker = entry.pathname.endsWith('.ts')
    ? // Workers do not inherit tsx's loader hooks from `--import tsx`; register them first.
      new Worker(
        `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`,
        { eval: true, workerData: data },
      )
    : new Worker(entry, { workerData: data });
  const slot: Slot = {
    worker,
    cancel: new Int32Array(data.cancelFlag),
    ready: false,
    task: null,
    cancelTimer: null,
    crash: undefined,
    exited: false,
  };
  worker.on('error', (error) => {
    slot.crash = error;
  });
  worker.on('exit', () => {
    slot.exited = true;
  });
  const ready = new Promise<EngineInventory>((resolve, reject) => {
    const onMessage = (message: WorkerToPool): void => {
      if (message.type !== 'ready') return;
      cleanup();
      resolve(message.inventory);
    };
    const onError = (error: unknown): void => {
      cleanup();
      reject(error);
    };
    const onExit = (code: number): void => {
      cleanup();
      reject(new Error(`TTS worker exited with code ${code} while starting`));
    };
    const cleanup = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
  return { slot, ready };
}

/** Makes the scratch directory and /dev/null handle the workers share. */
export function newScratch(): Scratch {
  return { dir: mkdtempSync(join(tmpdir(), 'llais-tts-')), devNullFd: openSync('/dev/null', 'w') };
}
