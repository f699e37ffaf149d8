/**
 * A Llais server in a child process for the realtime benchmark, started with `startApp` inside
 * that child rather than through the CLI, so that the child can also report what only the server
 * process can see: per-turn stage timings (`turnTimings`, an in-process emitter) and its own
 * heap. Keeping the server out of the benchmark's process keeps the clients' CPU, heap and event
 * loop out of the server's figures.
 *
 * The child speaks JSON lines: on stdout `{event: 'listening', url}`, `{event: 'turn', ...}` for
 * every timed turn, `{event: 'memory', ...}` in answer to a `memory` line on stdin (after a full
 * GC: the child runs with `--expose-gc`). Run as a script, this file is the child; imported, it
 * gives the parent's `startRealtimeServer()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { startApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { turnTimings, type TurnTiming } from '../../src/realtime/openai/telemetry.js';
import { REPO_ROOT } from './server.js';

const THIS_FILE = fileURLToPath(import.meta.url);
/** Start-up warms every engine in every worker (a few seconds on 2 cores); 60 s means it is stuck. */
const START_TIMEOUT_MS = 60_000;
/** A memory reading is a GC and a few reads; seconds means the child is wedged. */
const MEMORY_TIMEOUT_MS = 10_000;
/** The child drains open sessions for this long on stop, then gets SIGKILL. */
const STOP_GRACE_MS = 5_000;

/** Bytes, from the server process's `process.memoryUsage()` after a full GC. */
export interface ServerMemory {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

type ChildLine = { event: 'listening'; url: string } | ({ event: 'turn' } & TurnTiming) | ({ event: 'memory' } & ServerMemory);

export interface RealtimeBenchServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  pid: number;
  /** Calls `listener` with each turn's server-side stage timings; returns the unsubscribe. */
  onTurn(listener: (timing: TurnTiming) => void): () => void;
  /** The server's memory after a full GC. */
  memory(): Promise<ServerMemory>;
  /** SIGTERM, SIGKILL after 5 s; idempotent. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Starts the child and waits for it to listen; `overrides` are config keys on top of the defaults. */
export async function startRealtimeServer(overrides: Partial<Config> = {}): Promise<RealtimeBenchServer> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // 'exit' handlers must be synchronous: SIGKILL is all that is left to do there.
    process.on('exit', () => {
      for (const child of live) child.kill('SIGKILL');
    });
  }
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', THIS_FILE, JSON.stringify(overrides)], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  live.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => live.delete(child));
  const turnListeners = new Set<(timing: TurnTiming) => void>();
  const memoryWaiters: Array<(m: ServerMemory) => void> = [];
  let onListening: ((url: string) => void) | null = null;
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: ChildLine;
    try {
      line = JSON.parse(text) as ChildLine;
    } catch {
      return;
    }
    if (line.event === 'listening') onListening?.(line.url);
    else if (line.event === 'turn') for (const l of turnListeners) l(line);
    else if (line.event === 'memory') memoryWaiters.shift()?.(line);
  });
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    })());
  let timer: NodeJS.Timeout | undefined;
  try {
    const url = await Promise.race([
      new Promise<string>((resolve) => (onListening = resolve)),
      exited.then(() => Promise.reject(new Error(`realtime bench server exited before listening (code ${child.exitCode})`))),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`realtime bench server did not listen within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    return {
      url,
      pid: child.pid!,
      onTurn: (listener) => {
        turnListeners.add(listener);
        return () => turnListeners.delete(listener);
      },
      memory: () =>
        new Promise<ServerMemory>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error('realtime bench server did not report its memory')), MEMORY_TIMEOUT_MS);
          memoryWaiters.push((m) => {
            clearTimeout(t);
            resolve(m);
          });
          child.stdin!.write('memory\n');
        }),
      stop,
    };
  } catch (err) {
    clearTimeout(timer);
    await stop();
    throw err;
  }
}

/** The child: a server on port 0 with a throwaway data directory, the built-in echo responder and default pools. */
async function childMain(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'llais-bench-rt-'));
  const write = (line: ChildLine): void => {
    process.stdout.write(`${JSON.stringify(line)}\n`);
  };
  const overrides = JSON.parse(process.argv[2] ?? '{}') as Partial<Config>;
  const config = loadConfig({ ...overrides, host: '127.0.0.1', port: 0, dataDir, modelsDir: join(REPO_ROOT, 'models'), logLevel: 'silent', shutdownGraceMs: 2000 }, { env: {} });
  const app = await startApp(config, { logger: pino({ level: 'silent' }) });
  turnTimings.on('turn', (timing) => write({ event: 'turn', ...timing }));
  const gc = (globalThis as { gc?: () => void }).gc;
  createInterface({ input: process.stdin }).on('line', (cmd) => {
    if (cmd.trim() !== 'memory') return;
    gc?.();
    const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
    write({ event: 'memory', rss, heapUsed, external, arrayBuffers });
  });
  const shutdown = (): void => {
    void app.close().finally(() => {
      rmSync(dataDir, { recursive: true, force: true });
      process.exit(0);
    });
  };
  process.once('SIGTERM', shutdown);
  // The parent going away closes our stdin; do not outlive it.
  process.stdin.once('end', shutdown);
  write({ event: 'listening', url: app.url });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  childMain().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
