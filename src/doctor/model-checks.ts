/**
 * Models: what the catalogues say is installed in the models directory (the same status
 * `llais models list` prints), every model the configuration names (`defaultModel`,
 * `sttDefaultModel`, `modelsLoadAtStart`) installed, and the ONNX execution providers able to
 * run. A configured model that is missing fails every request that relies on the default, so it
 * is a FAIL; a model merely not installed is not.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { modelsNamedToLoad } from '../engines/model-files.js';
import { probeProviders } from '../engines/onnx/provider-probe.js';
import { onnxSettingsFrom } from '../engines/onnx/settings.js';
import { formatBytes } from '../models/format-bytes.js';
import { modelStatuses, type ModelStatus } from '../models/model-status.js';
import { fail, ok, warn, type CheckResult } from './check.js';
import { firstLine } from './install-checks.js';

/** The value of `defaultModel`/`sttDefaultModel` that means "follow what is installed". */
const AUTO = 'auto';

/** The models directory, the catalogue's install state, and each configured model. */
export async function modelChecks(config: Config): Promise<CheckResult[]> {
  const statuses = await modelStatuses(config.modelsDir);
  const results: CheckResult[] = [catalogueSummary(config, statuses)];
  for (const st of statuses) {
    if (st.partialBytes > 0 && !st.installed) {
      results.push(warn(`model ${st.model.id}`, `an unfinished download (${formatBytes(st.partialBytes)}) in ${join(config.modelsDir, st.model.id)}`, `llais models pull ${st.model.id} resumes it`));
    }
  }
  for (const [id, settings] of configuredModels(config)) results.push(configuredModelCheck(config, statuses, id, settings));
  return results;
}

function catalogueSummary(config: Config, statuses: readonly ModelStatus[]): CheckResult {
  const installed = statuses.filter((st) => st.installed).map((st) => st.model.id);
  const found = `${installed.length} of ${statuses.length} catalogued models installed (${installed.join(', ')})`;
  if (!existsSync(config.modelsDir)) {
    return warn(
      'models',
      `${found}; the models directory ${config.modelsDir} does not exist, so only the built-in engines serve`,
      `point modelsDir (--models-dir, LLAIS_MODELS_DIR) at the folder that holds your models, or install one there: llais models pull kokoro`,
    );
  }
  return ok('models', `${found} in ${config.modelsDir}; \`llais models list\` shows the rest`);
}

/** Model id -> the settings naming it. */
function configuredModels(config: Config): Map<string, string[]> {
  const named = new Map<string, string[]>();
  const add = (id: string, setting: string): void => {
    named.set(id, [...(named.get(id) ?? []), setting]);
  };
  if (config.defaultModel !== AUTO) add(config.defaultModel, 'defaultModel');
  if (config.sttDefaultModel !== AUTO) add(config.sttDefaultModel, 'sttDefaultModel');
  for (const id of modelsNamedToLoad(config.modelsLoadAtStart) ?? []) add(id, 'modelsLoadAtStart');
  return named;
}

function configuredModelCheck(config: Config, statuses: readonly ModelStatus[], id: string, settings: string[]): CheckResult {
  const name = `model ${id}`;
  const via = settings.join(', ');
  const st = statuses.find((s) => s.model.id === id);
  if (!st) return fail(name, `${via} names '${id}', which no catalogue lists`, `use one of the ids \`llais models list\` prints`);
  if (st.installed) return ok(name, `${via}: ${st.dataDir ? `installed in ${st.dataDir}` : 'built in'}`);
  const dir = join(config.modelsDir, id);
  const where = existsSync(dir) ? `${dir} lacks some of its files (${(st.model.files ?? []).join(', ')})` : `${dir} does not exist`;
  const undo = settings.map((setting) => (setting === 'modelsLoadAtStart' ? `take it out of ${setting}` : `set ${setting} back to \`${AUTO}\``)).join(' and ');
  return fail(name, `${via} names '${id}', which is not installed: ${where}`, `${installFix(config, st)}; or ${undo}`);
}

/** How to install a model: its pull command, or the by-hand instructions when it has no download source. */
function installFix(config: Config, st: ModelStatus): string {
  const m = st.model;
  const byHand = (m.manual_install ?? m.install_hint)?.replaceAll('<modelsDir>', config.modelsDir);
  const hasDownloads = m.downloads !== undefined && m.downloads.length > 0;
  if (hasDownloads) return `${m.install_hint ?? `llais models pull ${m.id}`} (same --models-dir as the server)`;
  return byHand ?? `put its files into ${join(config.modelsDir, m.id)}`;
}

/** The configured onnxruntime execution providers initialise (the probe the server runs before it listens). */
export async function onnxProvidersCheck(config: Config): Promise<CheckResult> {
  try {
    const settings = onnxSettingsFrom(config);
    await probeProviders(settings);
    return ok('onnx providers', settings.providers.join(', '));
  } catch (err) {
    const [problem, fix] = firstLine(err).split(' To fix: ');
    return fail('onnx providers', problem!, fix?.replace(/\.$/, '') ?? 'set onnxProviders (LLAIS_ONNX_PROVIDERS) to cpu');
  }
}
