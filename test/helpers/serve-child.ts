/**
 * A Llais server in a child process, for tests that measure the server's own memory: started with
 * `LLAIS_TEST_OVERRIDES` (JSON config overrides), it prints `{"port", "dataDir"}` as one line on
 * stdout once listening, and closes on SIGTERM.
 */
import { startTestApp } from './app.js';

const app = await startTestApp(JSON.parse(process.env.LLAIS_TEST_OVERRIDES ?? '{}'));
process.stdout.write(`${JSON.stringify({ port: app.port, dataDir: app.config.dataDir })}\n`);
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
