/** Looks a model id up in the catalogue, with the errors `pull` and `remove` share. */
import type { InstallableModel } from '../engines/model-files.js';
import { ALL_MODELS } from './catalogue.js';
import { ModelsError } from './errors.js';

/** Throws `unknown_model`, naming the ids that exist. */
export function findModel(id: string, catalogue: readonly InstallableModel[] = ALL_MODELS): InstallableModel {
  const m = catalogue.find((x) => x.id === id);
  if (m) return m;
  const ids = catalogue.filter((x) => !x.builtin).map((x) => x.id);
  throw new ModelsError('unknown_model', `Unknown model '${id}'. Models that can be installed: ${ids.join(', ')}. \`llais models list\` shows them all.`);
}
