/**
 * CPU time of another process, and of its main thread alone, from Linux `/proc`: enough to
 * tell whether a server's time goes to its event loop or to its worker threads. Resolution is
 * one clock tick (10 ms), so use it over whole bursts, not single requests.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** CPU milliseconds; NaN where `/proc` is not available. */
export interface CpuTimes {
  processMs: number;
  mainThreadMs: number;
}

let ticksPerSecond: number | null = null;

function clockTicks(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100; // the Linux default (USER_HZ)
    }
  }
  return ticksPerSecond;
}

/** utime + stime of a `/proc/.../stat` file in ms; fields 14 and 15, counted after the `(comm)` field. */
function statCpuMs(path: string): number {
  try {
    const stat = readFileSync(path, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state), so utime (14) and stime (15) are at 11 and 12.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks();
  } catch {
    return Number.NaN;
  }
}

/** The process's total CPU time and that of its main thread (whose thread id is the pid). */
export function cpuTimes(pid: number): CpuTimes {
  return { processMs: statCpuMs(`/proc/${pid}/stat`), mainThreadMs: statCpuMs(`/proc/${pid}/task/${pid}/stat`) };
}
