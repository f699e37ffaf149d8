/**
 * `llais doctor`: every check, in the order a new install meets the problems (the install, the
 * configuration, models, the network, access), each finding printed as it is found. The exit code
 * is 1 when anything FAILs, so a deployment script can run it before `llais serve`.
 */
import type { Config } from '../config.js';
import { authCheck } from './auth-check.js';
import { databaseCheck, redisCheck, s3Check } from './backend-checks.js';
import { dataDirCheck } from './data-dir-check.js';
import { exitCodeOf, fail, formatResult, ok, type Check, type CheckResult } from './check.js';
import { dependenciesCheck, ffmpegChecks, firstLine, nodeVersionCheck, pocketsphinxAddonCheck, sqliteCheck } from './install-checks.js';
import { modelChecks, onnxProvidersCheck } from './model-checks.js';
import { modelFilesChecks } from './model-files-check.js';
import { portCheck } from './port-check.js';
import { tlsCheck } from './tls-check.js';

export interface DoctorOptions {
  /** Loads the configuration the server would run with; a throw is reported as a FAIL. */
  loadConfig: () => Config;
  /** Where the configuration comes from, for the report (a file, or defaults and LLAIS_* variables). */
  configSource: string;
  /** Receives each printed line. */
  write: (line: string) => void;
}

/** Runs every check, printing each finding and a summary; resolves with the exit code. */
export async function runDoctor(opts: DoctorOptions): Promise<0 | 1> {
  const results: CheckResult[] = [];
  const run = async (name: string, check: Check): Promise<void> => {
    let found: CheckResult[];
    try {
      found = await check();
    } catch (err) {
      found = [fail(name, `the check itself failed: ${firstLine(err)}`, 'report it as a bug, with this output')];
    }
    for (const r of found) {
      results.push(r);
      opts.write(formatResult(r));
    }
  };
  await run('install', () => [nodeVersionCheck(), dependenciesCheck(), sqliteCheck(), pocketsphinxAddonCheck()]);
  await run('ffmpeg', ffmpegChecks);
  let config: Config | undefined;
  await run('config', () => {
    try {
      config = opts.loadConfig();
      return [ok('config', `${opts.configSource}; data in ${config.dataDir}`)];
    } catch (err) {
      return [fail('config', `${opts.configSource}: ${firstLine(err)}`, 'fix the setting the message names (in the config file, or its LLAIS_* variable); the checks below need a configuration')];
    }
  });
  if (config) {
    const c = config;
    await run('data dir', () => [dataDirCheck(c)]);
    await run('models', () => modelChecks(c));
    await run('model files', () => modelFilesChecks(c));
    await run('onnx providers', async () => [await onnxProvidersCheck(c)]);
    await run('port', async () => [await portCheck(c)]);
    await run('tls', () => [tlsCheck(c)]);
    await run('auth', () => [authCheck(c)]);
    await run('backends', async () => [await redisCheck(c), await s3Check(c), await databaseCheck(c)]);
  }
  const count = (status: CheckResult['status']): number => results.filter((r) => r.status === status).length;
  opts.write(`\n${count('fail')} failed, ${count('warn')} warnings, ${count('ok')} OK`);
  return exitCodeOf(results);
}
