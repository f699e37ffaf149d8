/**
 * Starts a real Llais server on port 0 with a throwaway data directory. Engines are not warmed up
 * (`ttsWarmUp: false`): tests check what the server does, not how fast its first request is, and
 * ~60 servers a run would spend ~3 min warming up. One TTS worker and one pool worker unless a
 * test asks for more: each further worker thread costs ~0.35-0.65 s of CPU to start, and with ~100
 * servers a run, two of each took 2.2 s of CPU per start-and-close against 1.0 s now (measured in
 * dist mode); the suite's test time fell from 577 s to 513 s. Tests of several workers at once
 * say so in their overrides or build their pools themselves (engines-pool, tts-shared-engine-data).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { generateApiKey } from '../../src/accounts/api-key.js';
import { startApp, type App, type StartOptions } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';

export async function tempDir(prefix = 'llais-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function startTestApp(overrides: Partial<Config> = {}, opts: StartOptions = {}): Promise<App> {
  const dataDir = overrides.dataDir ?? (await tempDir());
  const config = loadConfig(
    { host: '127.0.0.1', port: 0, ttsWorkers: 1, poolWorkers: 1, ttsWarmUp: false, shutdownGraceMs: 2000, logLevel: 'silent', modelsDir: join(dataDir, 'models'), ...overrides, dataDir },
    { env: {} },
  );
  return startApp(config, { logger: pino({ level: process.env.LLAIS_TEST_LOG ?? 'silent' }), ...opts });
}

/** A new API key for account `accountId` on `plan`, granted `credits` first, in `app`'s own accounts. */
export async function accountKey(app: App, accountId: string, plan: string, credits: number): Promise<string> {
  const { accounts, keys, ledger } = app.context.accounts;
  await accounts.ensure(accountId, plan);
  await ledger.grant(accountId, credits, 'test');
  const key = generateApiKey();
  await keys.add(accountId, key);
  return key;
}
