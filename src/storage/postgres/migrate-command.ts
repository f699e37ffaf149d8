/** `llais migrate`: applies the Postgres schema steps not applied yet and prints each one. */
import type { Config } from '../../config.js';
import { checkDatabaseUrl } from '../../cluster/start-rule.js';
import { LATEST_VERSION, migrate } from './migrations.js';
import { createPgPool } from './pool.js';

export async function runMigrateCommand(config: Config, write: (line: string) => void): Promise<void> {
  const url = config.cluster.databaseUrl ?? '';
  if (url === '') throw new Error('llais migrate: set LLAIS_DATABASE_URL (postgres://…) or cluster.databaseUrl in the config file; the embedded SQLite database migrates itself');
  checkDatabaseUrl(url);
  const pool = createPgPool(url, { max: 1 });
  try {
    const applied = await migrate(pool);
    for (const step of applied) write(`applied ${step.version}: ${step.name}`);
    write(applied.length === 0 ? `up to date (schema version ${LATEST_VERSION})` : `schema version ${LATEST_VERSION}`);
  } finally {
    await pool.end();
  }
}
