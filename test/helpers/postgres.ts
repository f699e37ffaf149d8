/**
 * A real Postgres for the cluster tests, from Debian's `postgresql` package
 * (/usr/lib/postgresql/<version>/bin): initdb into a temp dir, the server on a loopback port with
 * durability off (tests only), stopped and deleted after. Postgres refuses to run as root, so a
 * root test process runs it as the `postgres` OS user (spawned with its uid and gid, as
 * `runuser -u postgres` would, but with signals going straight to it), owning the temp dir.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { chown, rm } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { tempDir } from './app.js';
import { freePort } from './cluster.js';

const PG_ROOT = '/usr/lib/postgresql';

/** The newest installed version's bin directory, or null. */
function pgBinDir(): string | null {
  let versions: string[];
  try {
    versions = readdirSync(PG_ROOT).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  } catch {
    return null;
  }
  for (const v of versions) {
    const bin = join(PG_ROOT, v, 'bin');
    if (spawnSync(join(bin, 'postgres'), ['--version']).status === 0) return bin;
  }
  return null;
}

/** Why the Postgres tests cannot run here, or false when they can. On CI a missing Postgres fails instead. */
export function postgresSkipReason(): string | false {
  if (pgBinDir() !== null) return false;
  const why = `Postgres is not installed (no ${PG_ROOT}/<version>/bin/postgres; apt-get install postgresql, as .ci/run does)`;
  if (process.env.CI) throw new Error(`${why}: CI must run the Postgres tests`);
  return why;
}

export interface PostgresServer {
  /** A fresh, empty database's URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** Spawn options that run as the postgres OS user when we are root (Postgres refuses root), else as ourselves. */
function asPostgres(): { uid?: number; gid?: number } {
  if (userInfo().uid !== 0) return {};
  const id = (flag: string): number => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = pgBinDir();
  if (!bin) throw new Error(postgresSkipReason() || 'no Postgres');
  const dir = await tempDir('llais-pg-');
  const user = asPostgres();
  if (user.uid !== undefined) await chown(dir, user.uid, user.gid!);
  const data = join(dir, 'data');
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'llais', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8'], { encoding: 'utf8', cwd: dir, ...user });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  const port = await freePort();
  const args = [
    '-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir,
    '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200',
  ];
  const child: ChildProcess = spawn(join(bin, 'postgres'), args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir, ...user });
  const lines = createInterface({ input: child.stderr! });
  const log: string[] = [];
  for await (const line of lines) {
    log.push(line);
    if (/ready to accept connections/.test(line)) break;
  }
  if (child.exitCode !== null) throw new Error(`postgres did not start:\n${log.join('\n')}`);
  child.stderr!.resume();
  const base = `postgres://llais@127.0.0.1:${port}`;
  return {
    createDatabase: async (name) => {
      const admin = new pg.Client({ connectionString: `${base}/postgres` });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE "${name}"`);
      } finally {
        await admin.end();
      }
      return `${base}/${name}`;
    },
    stop: async () => {
      if (child.exitCode === null) {
        const exited = once(child, 'exit');
        // SIGINT: Postgres's fast shutdown (clients disconnected, no checkpoint wait beyond what fsync=off skips).
        child.kill('SIGINT');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
