/**
 * The data directory holds the database, job results and uploads in flight: it must be a
 * directory this user can write (or be creatable in one), with room for results. Found at
 * the first request otherwise, as a 500 on a job or an upload.
 */
import { accessSync, constants, existsSync, statfsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../config.js';
import { formatBytes } from '../models/format-bytes.js';
import { fail, ok, warn, type CheckResult } from './check.js';

/** A minute of 24 kHz WAV is ~2.9 MB; below this a busy day's results may not fit. */
const LOW_FREE_BYTES = 1024 ** 3;
const ELSEWHERE = 'point dataDir (--data-dir, LLAIS_DATA_DIR) at a directory the server may write';

/** Whether the server can create and write its data directory. */
export function dataDirCheck(config: Config): CheckResult {
  const dir = config.dataDir;
  // The server creates what is missing, so the nearest existing folder decides.
  let existing = dir;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  if (!statSync(existing).isDirectory()) return fail('data dir', `${existing} is a file, so ${dir} cannot be a directory`, ELSEWHERE);
  try {
    accessSync(existing, constants.W_OK);
  } catch {
    return fail('data dir', `${existing} is not writable by this user`, `make it writable by the user the server runs as (chown), or ${ELSEWHERE}`);
  }
  const { bavail, bsize } = statfsSync(existing);
  const free = bavail * bsize;
  const where = existing === dir ? `${dir} is writable` : `${dir} will be created in ${existing}`;
  if (free < LOW_FREE_BYTES) return warn('data dir', `${where}, but only ${formatBytes(free)} is free`, 'free some space, lower resultTtlSeconds so results expire sooner, or move dataDir to a larger disk');
  return ok('data dir', `${where}; ${formatBytes(free)} free`);
}
