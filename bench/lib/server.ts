/**
 * Runs a real Llais server as a child process, the way an operator would (`llais serve` on
 * port 0 with a throwaway data directory), so benchmarks measure the server's own process,
 * HTTP stack and event loop rather than code sharing ours.
 *
 * Every started server is tracked here and killed when the bench process ends, by error,
 * SIGINT or SIGTERM, so no benchmark leaves a server behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The repository root, where `src/cli.ts` and the default `./models` live. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Start-up loads and warms every engine in every worker (a few seconds on 2 cores); 60 s means it is stuck. */
const START_TIMEOUT_MS = 60_000;
/** SIGTERM drains running streams; a server still alive after this gets SIGKILL. */
const STOP_GRACE_MS = 5_000;
/** Shorter than STOP_GRACE_MS so a drain that waits on a stuck stream still ends on its own. */
const SERVER_SHUTDOWN_GRACE_MS = 2_000;
/** Lines of server output kept for the error message when it fails to start. */
const OUTPUT_TAIL_LINES = 20;

export interface BenchServer {
  /** `http://127.0.0.1:<port>`, from the server's own 'listening' log line. */
  url: string;
  pid: number;
  /** Its throwaway data directory (deleted when it stops), for `llais keys|credits --data-dir`. */
  dataDir: string;
  /** Models the server reported as installed when it started listening. */
  models: string[];
  /** Calls `listener` with every JSON log line the server writes from now on; returns the unsubscribe. */
  onLog(listener: (entry: LogEntry) => void): () => void;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. Idempotent. */
  stop(): Promise<void>;
}

/** One pino line of the server's stdout. */
export interface LogEntry {
  msg?: string;
  [field: string]: unknown;
}

export interface StartServerOptions {
  /** Extra environment for the child (merged over ours). */
  env?: Record<string, string>;
  /**
   * Run the compiled server, `dist/src/cli.js`, as `npm start` does (no tsx in the process or
   * its workers), instead of the sources under tsx. The caller builds it first (`npm run build`).
   */
  built?: boolean;
}

/** Running servers and their data directories. */
const live = new Map<ChildProcess, string>();

function killAllNow(): void {
  for (const [child, dataDir] of live) {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
  live.clear();
}

let handlersInstalled = false;
function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL is the only thing left to do there.
  process.on('exit', killAllNow);
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, killing ${live.size} server(s)\n`);
      killAllNow();
      process.exit(code);
    });
  }
}

/**
 * Starts `node --import tsx src/cli.ts serve --port 0 --data-dir <tmp>` (or `node dist/src/cli.js
 * serve …` when `built`) and waits for 'listening'.
 */
export async function startServer(opts: StartServerOptions = {}): Promise<BenchServer> {
  installExitHandlers();
  // Both pipes are read for the server's whole life: a full pipe would block its logger.
  const tail: string[] = [];
  const keep = (line: string): void => {
    tail.push(line);
    if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
  };
  const dataDir = mkdtempSync(join(tmpdir(), 'llais-bench-'));
  const entry = opts.built ? ['dist/src/cli.js'] : ['--import', 'tsx', 'src/cli.ts'];
  const child = spawn(process.execPath, [...entry, 'serve', '--port', '0', '--data-dir', dataDir], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      LLAIS_LOG_LEVEL: 'info',
      LLAIS_HOST: '127.0.0.1',
      LLAIS_SHUTDOWN_GRACE_MS: String(SERVER_SHUTDOWN_GRACE_MS),
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.set(child, dataDir);
  // A spawn or kill failure must not crash the bench as an unhandled 'error' event.
  child.on('error', (err) => keep(`bench: child process error: ${err.message}`));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    // A child that could not be spawned has no pid and never emits 'exit'.
    child.once('error', () => {
      if (child.pid === undefined) resolve();
    });
  });
  exited.then(() => {
    live.delete(child);
    rmSync(dataDir, { recursive: true, force: true });
  });

  createInterface({ input: child.stderr! }).on('line', keep);
  const stdout = createInterface({ input: child.stdout! });
  const listeners = new Set<(entry: LogEntry) => void>();
  stdout.on('line', (line) => {
    keep(line);
    let entry: LogEntry;
    try {
      entry = JSON.parse(line) as LogEntry;
    } catch {
      return;
    }
    for (const listener of listeners) listener(entry);
  });
  const onLog = (listener: (entry: LogEntry) => void): (() => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    })());

  try {
    const listening = await new Promise<{ url: string; models: string[] }>((resolve, reject) => {
      const settle = (): void => {
        clearTimeout(timer);
        unsubscribe();
        child.off('exit', onExit);
        child.off('error', onError);
      };
      const timer = setTimeout(() => {
        settle();
        reject(new Error(`server did not listen within ${START_TIMEOUT_MS} ms`));
      }, START_TIMEOUT_MS);
      const unsubscribe = onLog((entry) => {
        if (entry.msg !== 'listening' || typeof entry.url !== 'string') return;
        settle();
        resolve({ url: entry.url, models: Array.isArray(entry.models) ? (entry.models as string[]) : [] });
      });
      const onExit = (code: number | null, signal: string | null): void => {
        settle();
        reject(new Error(`server exited before listening (code ${code}, signal ${signal})`));
      };
      const onError = (err: Error): void => {
        settle();
        reject(err);
      };
      child.once('exit', onExit);
      child.once('error', onError);
    });
    return { ...listening, pid: child.pid!, dataDir, onLog, stop };
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n--- server output ---\n${tail.join('\n')}`, { cause: err });
  }
}

/** Runs `fn` against a fresh server and always stops it. */
export async function withServer<T>(fn: (server: BenchServer) => Promise<T>, opts?: StartServerOptions): Promise<T> {
  const server = await startServer(opts);
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}
