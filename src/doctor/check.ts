/**
 * What every `llais doctor` check reports: a verdict, what was found, and, for anything short of
 * OK, the fix in words an operator can act on. One line per finding, so the output reads as a
 * checklist and a script can grep it.
 */

/** OK: works. WARN: works, but something is likely not what was meant. FAIL: something will not work. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

/** One finding. */
export interface CheckResult {
  status: CheckStatus;
  /** Short name of what was checked, e.g. `ffmpeg`, `port`, `model kokoro`. */
  name: string;
  /** What was found, one line. */
  detail: string;
  /** What to do about it; required for WARN and FAIL. */
  fix?: string;
}

/** A check: some findings, never a throw (a thrown error is turned into a FAIL by the runner). */
export type Check = () => Promise<CheckResult[]> | CheckResult[];

/** A finding that everything is fine. */
export function ok(name: string, detail: string): CheckResult {
  return { status: 'ok', name, detail };
}

/** A finding that works but deserves a look, with what to do. */
export function warn(name: string, detail: string, fix: string): CheckResult {
  return { status: 'warn', name, detail, fix };
}

/** A finding that something will not work, with the fix. */
export function fail(name: string, detail: string, fix: string): CheckResult {
  return { status: 'fail', name, detail, fix };
}

const LABELS: Record<CheckStatus, string> = { ok: 'OK  ', warn: 'WARN', fail: 'FAIL' };
/** Names are padded to this width so the details line up. */
const NAME_WIDTH = 18;

/** `OK   ffmpeg             /path (ffmpeg version 4.4)`, and an indented `fix:` line when there is one. */
export function formatResult(r: CheckResult): string {
  const line = `${LABELS[r.status]} ${r.name.padEnd(NAME_WIDTH)} ${r.detail}`;
  return r.fix === undefined ? line : `${line}\n     ${' '.repeat(NAME_WIDTH)} fix: ${r.fix}`;
}

/** The process exit code for a set of findings: 1 when any failed, else 0. */
export function exitCodeOf(results: readonly CheckResult[]): 0 | 1 {
  return results.some((r) => r.status === 'fail') ? 1 : 0;
}
