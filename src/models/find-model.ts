/** Looks a model id up in the catalogue, with the errors `pull` and `remove` share. */
import { MODEL_CATALOGUE, type ModelInfo } from '../engines/tts/catalogue.js';
import { ModelsError } from './errors.js';

/** Throws `unknown_model`, naming the ids that exist. */
export function findModel(id: string, catalogue: readonly ModelInfo[] = MODEL_CATALOGUE): ModelInfo {
  const m = catalogue.find((x) => x.id === id);
  if (m) return m;
  const ids = catalogue.filter((x) => !x.builtin).map((x) => x.id);
  throw new ModelsError('unknown_model', `Unknown model '${id}'. Models that can be installed: ${ids.join(', ')}. \`llais models list\` shows them all.`);
}
