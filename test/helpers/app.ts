/**
 * Starts a real Llais server on port 0 with a throwaway data directory. Engines are not warmed up
 * (`ttsWarmUp: false`): tests check what the server does, not how fast its first request is, and
 * ~60 servers a run would spend ~3 min warming up.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startApp, type App, type StartOptions } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';

export async function tempDir(prefix = 'llais-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function startTestApp(overrides: Partial<Config> = {}, opts: StartOptions = {}): Promise<App> {
  const dataDir = overrides.dataDir ?? (await tempDir());
  const config = loadConfig(
    { host: '127.0.0.1', port: 0, ttsWorkers: 2, ttsWarmUp: false, shutdownGraceMs: 2000, logLevel: 'silent', modelsDir: join(dataDir, 'models'), ...overrides, dataDir },
    { env: {} },
  );
  return startApp(config, { logger: pino({ level: process.env.LLAIS_TEST_LOG ?? 'silent' }), ...opts });
}
