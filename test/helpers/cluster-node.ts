/**
 * One cluster node in a child process, so a test can kill it with SIGKILL mid-job: started with
 * `LLAIS_TEST_OVERRIDES` (JSON config overrides) and `LLAIS_TEST_ROLE` (`serve` or `worker`), it
 * logs at info level to stdout (pino lines the test reads, e.g. `job completed`) and prints
 * `LLAIS_NODE {"port"}` once listening; SIGTERM drains and exits.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import { startApp } from '../../src/app.js';
import type { NodeRole } from '../../src/cluster/start-rule.js';
import { loadConfig } from '../../src/config.js';

const overrides = JSON.parse(process.env.LLAIS_TEST_OVERRIDES ?? '{}') as Record<string, unknown> & { dataDir: string };
const config = loadConfig({ host: '127.0.0.1', port: 0, ttsWorkers: 1, poolWorkers: 1, ttsWarmUp: false, audioSpawner: false, shutdownGraceMs: 2000, healthCacheSeconds: 0, modelsDir: join(overrides.dataDir, 'models'), ...overrides }, { env: {} });
const app = await startApp(config, { logger: pino({ level: 'info' }), role: (process.env.LLAIS_TEST_ROLE ?? 'serve') as NodeRole });
process.stdout.write(`LLAIS_NODE ${JSON.stringify({ port: app.port })}\n`);
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
