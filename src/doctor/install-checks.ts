/**
 * The install itself: the Node version package.json asks for, every npm dependency resolvable,
 * SQLite's native binding loading, the PocketSphinx addon that `npm ci` builds, and the bundled
 * ffmpeg and ffprobe running. Each uses the loader the server uses, so a pass here means the
 * server's own load will pass.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { ffmpegPath, ffprobePath } from '../audio/ffmpeg-binaries.js';
import { loadAddon } from '../engines/stt/pocketsphinx/native-addon.js';
import { fail, ok, type CheckResult } from './check.js';

/** `ffmpeg -version` answers in tens of milliseconds; this long means it hangs. */
const VERSION_TIMEOUT_MS = 10_000;
const REINSTALL = 'run `npm ci` in the server folder (it installs the dependencies and builds the native addon)';

interface PackageJson { name: string; engines?: { node?: string }; dependencies?: Record<string, string> }

/** The server's package.json: the first one named `llais` above this module (src/ or dist/src/). */
function ownPackage(): { path: string; pkg: PackageJson } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const path = join(dir, 'package.json');
    if (existsSync(path)) {
      const pkg = JSON.parse(readFileSync(path, 'utf8')) as PackageJson;
      if (pkg.name === 'llais') return { path, pkg };
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json of llais not found above the doctor module');
    dir = up;
  }
}

/** Node's version against package.json's `engines.node` (a `>=N` range). */
export function nodeVersionCheck(pkg: PackageJson = ownPackage().pkg): CheckResult {
  const wanted = pkg.engines?.node ?? '';
  const minMajor = Number(/>=\s*(\d+)/.exec(wanted)?.[1] ?? 0);
  const major = Number(process.versions.node.split('.')[0]);
  if (major < minMajor) return fail('node', `Node ${process.versions.node}; package.json wants ${wanted}`, `install Node ${minMajor} or newer (https://nodejs.org, or your distribution's nodejs package)`);
  return ok('node', `Node ${process.versions.node} (package.json wants ${wanted || 'any'})`);
}

/** Every dependency of package.json resolvable from the server folder. */
export function dependenciesCheck(): CheckResult {
  const { path, pkg } = ownPackage();
  const require = createRequire(path);
  const names = Object.keys(pkg.dependencies ?? {});
  const missing = names.filter((name) => {
    try {
      require.resolve(`${name}/package.json`);
      return false;
    } catch (err) {
      // The package is there; it just does not export its package.json.
      return (err as NodeJS.ErrnoException).code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED';
    }
  });
  if (missing.length > 0) return fail('npm dependencies', `${missing.length} of ${names.length} not installed: ${missing.join(', ')}`, REINSTALL);
  return ok('npm dependencies', `all ${names.length} resolvable`);
}

/** better-sqlite3's native binding loads (jobs, keys and credits live in SQLite). */
export function sqliteCheck(): CheckResult {
  try {
    const db = new Database(':memory:');
    const { v } = db.prepare('SELECT sqlite_version() AS v').get() as { v: string };
    db.close();
    return ok('sqlite', `better-sqlite3 loads (SQLite ${v})`);
  } catch (err) {
    return fail('sqlite', `better-sqlite3 does not load: ${firstLine(err)}`, `${REINSTALL}; after a Node upgrade, \`npm rebuild better-sqlite3\``);
  }
}

/** The PocketSphinx N-API addon (the built-in recognizer) loads in this process. */
export function pocketsphinxAddonCheck(): CheckResult {
  try {
    loadAddon();
    return ok('pocketsphinx addon', 'native/pocketsphinx loads');
  } catch (err) {
    return fail('pocketsphinx addon', `does not load: ${firstLine(err)}`, `${REINSTALL}; building it needs a C compiler and make (Debian: apt-get install build-essential python3)`);
  }
}

/** ffmpeg and ffprobe found where the server looks for them, and answering `-version`. */
export async function ffmpegChecks(): Promise<CheckResult[]> {
  return Promise.all([binaryCheck('ffmpeg', ffmpegPath), binaryCheck('ffprobe', ffprobePath)]);
}

async function binaryCheck(name: string, pathOf: () => string): Promise<CheckResult> {
  const fix = `${REINSTALL}; it brings ${name} in @${name}-installer/linux-x64`;
  let path: string;
  try {
    path = pathOf();
  } catch (err) {
    return fail(name, `not found: ${firstLine(err)}`, fix);
  }
  try {
    const { stdout } = await promisify(execFile)(path, ['-version'], { timeout: VERSION_TIMEOUT_MS });
    return ok(name, `${path} (${stdout.split('\n')[0]?.trim()})`);
  } catch (err) {
    return fail(name, `${path} does not run: ${firstLine(err)}`, fix);
  }
}

/** The first line of an error's message: enough to recognise it, short enough for one line. */
export function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();
}
