#!/usr/bin/env node
/**
 * `llais serve` starts the server; `llais models` lists the model catalogue and what is
 * installed. Flags: --port N, --host H, --config FILE, --data-dir D.
 */
import { startApp } from './app.js';
import { loadConfig, type Config } from './config.js';
import { isInstalled, MODEL_CATALOGUE } from './engines/tts/catalogue.js';
import { createLogger } from './logger.js';

function parseFlags(args: string[]): { overrides: Partial<Config>; configFile?: string; rest: string[] } {
  const overrides: Partial<Config> = {};
  let configFile: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = (): string => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--port') overrides.port = Number(next());
    else if (a === '--host') overrides.host = next();
    else if (a === '--config') configFile = next();
    else if (a === '--data-dir') overrides.dataDir = next();
    else if (a === '--models-dir') overrides.modelsDir = next();
    else rest.push(a);
  }
  return { overrides, configFile, rest };
}

async function serve(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel);
  const app = await startApp(config, { logger });
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, activeRequests: app.http.activeRequests }, 'draining');
    app
      .close()
      .then(() => {
        logger.info('stopped');
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

function listModels(config: Config): void {
  for (const m of MODEL_CATALOGUE) {
    const state = m.builtin ? 'built-in' : isInstalled(m, config.modelsDir) ? 'installed' : `not installed (${m.install_hint ?? `llais models pull ${m.id}`})`;
    process.stdout.write(`${m.id.padEnd(14)} ${m.tier.padEnd(9)} ${state}\n`);
  }
}

async function main(argv: string[]): Promise<void> {
  const { overrides, configFile, rest } = parseFlags(argv);
  const [command = 'serve', sub] = rest;
  const config = loadConfig(overrides, { configFile });
  if (command === 'serve') return serve(config);
  if (command === 'models' && (sub === undefined || sub === 'list')) return listModels(config);
  process.stderr.write('usage: llais serve [--port N] [--host H] [--config FILE] [--data-dir DIR]\n       llais models list\n');
  process.exitCode = 2;
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`llais: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
