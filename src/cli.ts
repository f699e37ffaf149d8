#!/usr/bin/env node
/**
 * `llais serve` starts the server; `llais worker` a node that runs jobs from the shared queue (docs/cluster.md); `llais models [list]` lists the model catalogue and what is
 * installed, `llais models pull <id>` downloads a model (from LLAIS_MODELS_MIRROR when set),
 * `llais models remove <id>` deletes it; `llais keys …`, `llais credits …` and `llais webhooks
 * secret` manage API keys, credits and webhook secrets (src/accounts/admin-cli.ts); `llais doctor`
 * checks an install (src/doctor/). Flags: --port N, --host H, --config FILE, --data-dir D,
 * --models-dir D, --trust-unpinned (pull); --help on any command (src/cli-usage.ts).
 */
import { runAccountsCommand } from './accounts/admin-cli.js';
import { runMigrateCommand } from './storage/postgres/migrate-command.js';
import { startApp } from './app.js';
import { checkCommandLine, fullUsage } from './cli-usage.js';
import type { NodeRole } from './cluster/start-rule.js';
import { runDoctor } from './doctor/doctor.js';
import { loadConfig, type Config } from './config.js';
import { createLogger } from './logger.js';
import { formatBytes } from './models/format-bytes.js';
import { modelStatuses } from './models/model-status.js';
import { createProgressPrinter } from './models/progress-printer.js';
import { PIPER_MODEL_ID } from './engines/tts/piper/voice-registry.js';
import { pullPiperVoice } from './models/pull-piper-voice.js';
import { pullModel } from './models/pull.js';
import { removeModel } from './models/remove.js';

interface Flags {
  overrides: Partial<Config>;
  configFile?: string;
  /** `models pull`: install files the catalogue pins no sha256 for, unverified. */
  trustUnpinned: boolean;
  rest: string[];
}

function parseFlags(args: string[]): Flags {
  const overrides: Partial<Config> = {};
  let configFile: string | undefined;
  let trustUnpinned = false;
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
    else if (a === '--trust-unpinned') trustUnpinned = true;
    else rest.push(a);
  }
  return { overrides, configFile, trustUnpinned, rest };
}

async function serve(config: Config, role: NodeRole = 'serve'): Promise<void> {
  const logger = createLogger(config.logLevel);
  const app = await startApp(config, { logger, role });
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

async function listModels(config: Config): Promise<void> {
  const statuses = await modelStatuses(config.modelsDir);
  // Ids as long as `whisper-distil-large-v3` would push the columns out of line.
  const idWidth = Math.max(16, ...statuses.map((st) => st.model.id.length));
  for (const st of statuses) {
    const m = st.model;
    const size = (bytes: number | undefined): string => (bytes === undefined ? '' : `, ${formatBytes(bytes)}`);
    let state: string;
    if (m.builtin) {
      const hasData = m.files !== undefined && m.files.length > 0;
      state = !hasData ? 'built-in' : st.installed ? `built-in, data in ${st.dataDir}${size(st.bytesOnDisk)}` : `built-in, data missing (${m.install_hint?.replaceAll('<modelsDir>', config.modelsDir)})`;
    } else if (st.installed) {
      state = `installed in ${st.dataDir}${size(st.bytesOnDisk)}`;
    } else if (!m.downloads || m.downloads.length === 0) {
      state = `not installed, no download source yet (\`llais models pull ${m.id}\` says how to install it by hand)`;
    } else {
      const pull = m.install_hint ?? `llais models pull ${m.id}`;
      const partial = st.partialBytes > 0 ? `, ${formatBytes(st.partialBytes)} downloaded, pull resumes` : '';
      state = `not installed (${pull}${size(st.downloadBytes)}${partial})`;
    }
    // TTS models show their pricing tier; the others say what they are (stt, voice).
    const kind = m.type === 'tts' ? m.tier : m.type;
    process.stdout.write(`${m.id.padEnd(idWidth)} ${kind.padEnd(9)} ${state}\n`);
  }
}

/** Progress goes to stderr; stdout gets the result, including hashes to pin. */
async function pullModelCommand(config: Config, id: string, trustUnpinned: boolean, voice?: string): Promise<void> {
  const interrupt = new AbortController();
  const onSigint = (): void => interrupt.abort();
  process.once('SIGINT', onSigint);
  try {
    const options = {
      modelsDir: config.modelsDir,
      mirror: config.modelsMirror || undefined,
      trustUnpinned,
      signal: interrupt.signal,
      onProgress: createProgressPrinter((line) => process.stderr.write(`${line}\n`)),
    };
    if (voice !== undefined && id !== PIPER_MODEL_ID) throw new Error(`only 'piper' takes a voice name (llais models pull piper <voice>); '${id}' does not`);
    const result = voice !== undefined ? await pullPiperVoice(voice, options) : await pullModel(id, options);
    const total = result.files.reduce((sum, f) => sum + f.bytes, 0);
    const fetched = result.files.filter((f) => f.downloaded).length;
    process.stdout.write(`${result.id}: ${fetched} of ${result.files.length} files downloaded, ${formatBytes(total)} in ${result.dir}\n`);
    const unpinned = result.files.filter((f) => f.downloaded && !f.pinned);
    if (unpinned.length > 0) {
      process.stdout.write(`installed UNVERIFIED (--trust-unpinned; the catalogue pins no sha256 for them): compare these with the publisher's before use:\n`);
      for (const f of unpinned) process.stdout.write(`${f.sha256}  ${result.id}/${f.file}\n`);
    }
    if (!result.installed) {
      process.stderr.write(`llais: the catalogue's downloads for '${result.id}' do not cover all of its files; it still shows as not installed\n`);
      process.exitCode = 1;
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
}

async function removeModelCommand(config: Config, id: string): Promise<void> {
  const result = await removeModel(id, { modelsDir: config.modelsDir });
  process.stdout.write(result.removed ? `${id}: removed ${result.dir} (${formatBytes(result.freedBytes)})\n` : `${id}: nothing to remove in ${result.dir}\n`);
  const still = await modelStatuses(config.modelsDir).then((all) => all.find((st) => st.model.id === id));
  if (still?.installed && still.dataDir) process.stdout.write(`${id}: still installed from ${still.dataDir}, which its package manager owns\n`);
}

async function main(argv: string[]): Promise<void> {
  const verdict = checkCommandLine(argv);
  if (verdict.kind === 'help') return void process.stdout.write(verdict.text);
  if (verdict.kind === 'usage_error') {
    process.stderr.write(verdict.text);
    process.exitCode = 2;
    return;
  }
  const { overrides, configFile, trustUnpinned, rest } = parseFlags(argv);
  const [command = 'serve', sub, id, voice] = rest;
  if (command === 'doctor') {
    const configSource = configFile ? `config file ${configFile}` : 'defaults, LLAIS_CONFIG and LLAIS_* variables';
    process.exitCode = await runDoctor({ loadConfig: () => loadConfig(overrides, { configFile }), configSource, write: (line) => process.stdout.write(`${line}\n`) });
    return;
  }
  const config = loadConfig(overrides, { configFile });
  if (command === 'serve') return serve(config);
  if (command === 'worker') return serve(config, 'worker');
  if (command === 'models' && (sub === undefined || sub === 'list')) return listModels(config);
  if (command === 'models' && sub === 'pull' && id) return pullModelCommand(config, id, trustUnpinned, voice);
  if (command === 'models' && sub === 'remove' && id) return removeModelCommand(config, id);
  if (command === 'keys' || command === 'credits' || command === 'webhooks') return runAccountsCommand(config, command, sub, rest.slice(2));
  if (command === 'migrate') return runMigrateCommand(config, (line) => process.stdout.write(`${line}\n`));
  // A form checkCommandLine knows, missing its argument (`llais models pull` with no id).
  process.stderr.write(fullUsage());
  process.exitCode = 2;
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`llais: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
