/**
 * Which rules the server runs under, decided per request so that the first key created by
 * `llais keys create` (in another process) switches a running server to key rules at once.
 *
 * The start rule keeps the default safe: with `auth: auto` and no key ever created, the server
 * is open only on a loopback address; on any other address it refuses to start and says how to
 * create a key or opt in to open mode.
 */
import type { KeyStore } from './account-store.js';

export type AuthMode = 'open' | 'keys';
export type AuthSetting = 'auto' | 'open' | 'keys';

const SETTINGS: readonly AuthSetting[] = ['auto', 'open', 'keys'];

/** The `auth` config value, checked. */
export function authSetting(value: string): AuthSetting {
  if ((SETTINGS as readonly string[]).includes(value)) return value as AuthSetting;
  throw new Error(`config: auth must be one of ${SETTINGS.join(', ')} (LLAIS_AUTH), got ${JSON.stringify(value)}`);
}

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** Throws, with what to do, when the server would be open to the network. */
export async function checkStartRule(setting: AuthSetting, host: string, keys: Pick<KeyStore, 'anyEverCreated'>): Promise<void> {
  if (setting !== 'auto' || isLoopbackHost(host)) return;
  startRuleProblem(setting, host, await keys.anyEverCreated());
}

/** `checkStartRule` once whether any key was ever created is known (doctor reads it itself). */
export function startRuleProblem(setting: AuthSetting, host: string, anyKeyEverCreated: boolean): void {
  if (setting !== 'auto' || isLoopbackHost(host) || anyKeyEverCreated) return;
  throw new Error(
    `refusing to listen on ${host} with no API keys: anyone who can reach it could use it.\n` +
      `  Create a key first:   llais keys create --account <name> [--plan pro]   (same --data-dir as the server)\n` +
      `  or listen on loopback: --host 127.0.0.1\n` +
      `  or run it open anyway (a trusted network only): LLAIS_AUTH=open`,
  );
}

/**
 * How long an open-mode answer stands before the key table is read again. `mode()` runs on every
 * request; one SQLite read each cost ~10 % of a cached health check's time. Keys are made by
 * another process, so the switch to key rules comes within this much of the first key.
 */
const OPEN_RECHECK_MS = 250;

/**
 * Answers `mode()` for every request; under `auto` it reads the key table until a key exists, then
 * never again. The answer is synchronous whenever no read is due (the common case), a promise when one is.
 */
export class AuthModeSwitch {
  private keysSeen = false;
  private checkedAt = -Infinity;

  constructor(private readonly setting: AuthSetting, private readonly keys: KeyStore, private readonly now: () => number = performance.now.bind(performance)) {}

  /**
   * `presentedKey`: the request carries a key, so it is read at once, never from the recheck
   * window: a key is usable (and billed to its account) from the moment it exists.
   */
  mode(presentedKey = false): AuthMode | Promise<AuthMode> {
    if (this.setting !== 'auto') return this.setting;
    if (this.keysSeen) return 'keys';
    const now = this.now();
    if (!presentedKey && now - this.checkedAt < OPEN_RECHECK_MS) return 'open';
    this.checkedAt = now;
    return this.keys.anyEverCreated().then((seen) => {
      // Keys are never deleted (revoked ones stay), so once one exists key rules hold for good.
      if (seen) this.keysSeen = true;
      return this.keysSeen ? 'keys' : 'open';
    });
  }
}
