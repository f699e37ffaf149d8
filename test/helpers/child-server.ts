/** Starts `serve-child.ts` and reads the child's resident memory from /proc. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Config } from '../../src/config.js';
import { helperScriptArgs } from './repo.js';

export interface ChildServer {
  port: number;
  dataDir: string;
  pid: number;
  close(): Promise<void>;
}

export async function startChildServer(overrides: Partial<Config> = {}): Promise<ChildServer> {
  const child: ChildProcess = spawn(process.execPath, helperScriptArgs('serve-child'), {
    env: { ...process.env, LLAIS_TEST_OVERRIDES: JSON.stringify(overrides) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await Promise.race([once(lines, 'line'), once(child, 'exit').then(() => { throw new Error('child server exited before listening'); })])) as [string];
  lines.close();
  const { port, dataDir } = JSON.parse(line) as { port: number; dataDir: string };
  return {
    port,
    dataDir,
    pid: child.pid!,
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The process's resident set size now, in MiB (VmRSS of /proc/<pid>/status). */
export async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** Peak RSS growth of process `pid` over its RSS before `run`, sampled every 10 ms while it runs. */
export async function peakRssGrowthMb<T>(pid: number, run: () => Promise<T>): Promise<{ result: T; growthMb: number }> {
  const baseline = await rssMb(pid);
  let peak = baseline;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, await rssMb(pid));
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  try {
    const result = await run();
    return { result, growthMb: Math.max(peak, await rssMb(pid)) - baseline };
  } finally {
    sampling = false;
    await sampler;
  }
}
