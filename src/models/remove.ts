/**
 * `llais models remove <id>`: deletes `<modelsDir>/<id>/` (downloaded files and any `.partial`).
 * Data in a model's other `data_dirs` (a distribution package's files) is left to its package
 * manager.
 */
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { InstallableModel } from '../engines/model-files.js';
import { dirSize } from './dir-size.js';
import { ModelsError } from './errors.js';
import { findModel } from './find-model.js';

export interface RemoveResult {
  dir: string;
  /** False when the directory did not exist. */
  removed: boolean;
  freedBytes: number;
}

export async function removeModel(id: string, opts: { modelsDir: string; catalogue?: readonly InstallableModel[] }): Promise<RemoveResult> {
  const m = findModel(id, opts.catalogue);
  if (m.builtin && (!m.files || m.files.length === 0)) {
    throw new ModelsError('builtin_model', `Model '${m.id}' is built in: it ships with the server and cannot be removed.`);
  }
  const dir = join(resolve(opts.modelsDir), m.id);
  const freedBytes = await dirSize(dir);
  try {
    await rm(dir, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { dir, removed: false, freedBytes: 0 };
    throw err;
  }
  return { dir, removed: true, freedBytes };
}
