/**
 * Who can use the server: the auth setting, the keys in the data directory, and whether the bind
 * address is reachable from other machines. The start rule is the server's own
 * (src/accounts/auth-mode.ts), so a FAIL here is exactly a server that would refuse to start; a
 * server open to the network on purpose (`auth: open`) is a WARN.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteKeyStore } from '../accounts/account-store.js';
import { authSetting, startRuleProblem, isLoopbackHost, type AuthSetting } from '../accounts/auth-mode.js';
import type { Config } from '../config.js';
import { openDatabase } from '../storage/database.js';
import { fail, ok, warn, type CheckResult } from './check.js';
import { firstLine } from './install-checks.js';

/** The database file openDatabase keeps in the data directory. */
const DATABASE_FILE = 'llais.db';
const CREATE_KEY = 'llais keys create --account <name> (same --data-dir as the server)';

/** Whether any key was ever created, and how many are active; a data directory not made yet has none. */
function keyCounts(dataDir: string): { ever: boolean; active: number } {
  // Not created here: doctor only reads, and a fresh install has no database until the server starts.
  if (!existsSync(join(dataDir, DATABASE_FILE))) return { ever: false, active: 0 };
  const db = openDatabase(dataDir);
  try {
    const keys = new SqliteKeyStore(db);
    return { ever: keys.anyEverCreatedNow(), active: keys.activeCountNow() };
  } finally {
    db.close();
  }
}

/** The auth mode the server would run under, and who could reach it without a key. */
export function authCheck(config: Config): CheckResult {
  let setting: AuthSetting;
  try {
    setting = authSetting(config.auth);
  } catch (err) {
    return fail('auth', firstLine(err), 'set auth (LLAIS_AUTH) to auto, open or keys');
  }
  let keys: { ever: boolean; active: number };
  try {
    keys = keyCounts(config.dataDir);
  } catch (err) {
    return fail('auth', `cannot read the keys in ${join(config.dataDir, DATABASE_FILE)}: ${firstLine(err)}`, 'make the data directory (--data-dir, LLAIS_DATA_DIR) readable and writable by the user the server runs as');
  }
  const exposed = !isLoopbackHost(config.host);
  const reach = exposed ? `${config.host}, reachable from other machines` : `${config.host}, this machine only`;
  try {
    startRuleProblem(setting, config.host, keys.ever);
  } catch (err) {
    const [problem, ...fixes] = (err as Error).message.split('\n');
    return fail('auth', `auto: ${problem}`, fixes.map((f) => f.trim().replace(/\s{2,}/g, ' ')).join('; '));
  }
  if (setting === 'open') {
    if (exposed) return warn('auth', `open (auth=open) on ${reach}: anyone who can connect uses it without a key`, `${CREATE_KEY}, then auth auto or keys; or listen on 127.0.0.1 (--host)`);
    return ok('auth', `open (auth=open) on ${reach}`);
  }
  if (setting === 'auto' && !keys.ever) return ok('auth', `open while no API key exists, on ${reach}; the first \`llais keys create\` switches it to key rules`);
  if (keys.active === 0) {
    return warn('auth', `key rules (auth=${setting}) on ${reach}, but no active key: everything beyond the anonymous free tier answers 401`, CREATE_KEY);
  }
  return ok('auth', `key rules (auth=${setting}, ${keys.active} active key${keys.active === 1 ? '' : 's'}) on ${reach}; the anonymous free tier stays open as API.md says`);
}
