/**
 * Turns pull events into progress lines for a terminal or a log: per file, a line when it starts,
 * then at most one per PROGRESS_STEP_PERCENT or per PROGRESS_INTERVAL_MS, whichever comes first,
 * never one per chunk, and a last line with its size and hash.
 */
import { formatBytes } from './format-bytes.js';
import type { PullProgress } from './pull.js';

/** Twenty lines for a whole file: enough to see it move, few enough for a log. */
const PROGRESS_STEP_PERCENT = 5;
/** A slow download (or one of unknown size) still shows a sign of life every second. */
const PROGRESS_INTERVAL_MS = 1000;

export function createProgressPrinter(writeLine: (line: string) => void, nowMs: () => number = Date.now): (event: PullProgress) => void {
  let lastAtMs = 0;
  let lastPercent = 0;
  return (e) => {
    switch (e.type) {
      case 'file.present':
        writeLine(`${e.file}: already present (${formatBytes(e.bytes)}${e.verified ? ', sha256 verified' : ''})`);
        return;
      case 'file.started': {
        lastAtMs = nowMs();
        lastPercent = percentStep(e.resumeFromBytes, e.totalBytes) ?? 0;
        const size = e.totalBytes === undefined ? '' : `, ${formatBytes(e.totalBytes)}`;
        const resume = e.resumeFromBytes > 0 ? `, resuming at ${formatBytes(e.resumeFromBytes)}` : '';
        writeLine(`${e.file}: downloading ${e.url}${size}${resume}`);
        return;
      }
      case 'file.progress': {
        const now = nowMs();
        const step = percentStep(e.receivedBytes, e.totalBytes);
        if ((step === undefined || step <= lastPercent) && now - lastAtMs < PROGRESS_INTERVAL_MS) return;
        lastAtMs = now;
        if (step !== undefined) lastPercent = step;
        const of = e.totalBytes === undefined ? formatBytes(e.receivedBytes) : `${percent(e.receivedBytes, e.totalBytes)}%  ${formatBytes(e.receivedBytes)} of ${formatBytes(e.totalBytes)}`;
        writeLine(`${e.file}: ${of}`);
        return;
      }
      case 'file.done':
        writeLine(`${e.file}: done, ${formatBytes(e.bytes)}, ${e.pinned ? 'sha256 verified' : `sha256 ${e.sha256}, NOT VERIFIED (the catalogue pins no sha256; installed because of --trust-unpinned)`}`);
        return;
      default: {
        const unknown: never = e;
        throw new Error(`unhandled pull event ${JSON.stringify(unknown)}`);
      }
    }
  };
}

function percent(received: number, total: number): number {
  return total === 0 ? 100 : Math.floor((100 * received) / total);
}

/** The last whole step reached, e.g. 35 for 37 %; undefined when the size is unknown. */
function percentStep(received: number, total: number | undefined): number | undefined {
  if (total === undefined) return undefined;
  const p = percent(received, total);
  return p - (p % PROGRESS_STEP_PERCENT);
}
