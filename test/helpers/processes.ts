/** Finds this process's live ffmpeg children (direct or started by its spawner), to prove an abort left none behind. */
import { readdir, readFile } from 'node:fs/promises';
import { ffmpegSpawner } from '../../src/audio/ffmpeg-process.js';

export async function ffmpegChildren(): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid ...
    const match = /^\d+ \((.*)\) \S+ (\d+)/.exec(stat);
    if (match?.[1] === 'ffmpeg' && (Number(match[2]) === process.pid || Number(match[2]) === ffmpegSpawner.pid)) pids.push(Number(entry));
  }
  return pids;
}

/** Whether a process with this pid exists (signal 0 tests for it without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
