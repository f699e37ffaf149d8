/** What `llais models list` shows for each model: installed or not, and how big. */
import { join, resolve } from 'node:path';
import { isInstalled, modelDataDir } from '../engines/model-files.js';
import { ALL_MODELS, type CataloguedModel } from './catalogue.js';
import { dirSize } from './dir-size.js';
import { PARTIAL_SUFFIX } from './download-file.js';

export interface ModelStatus {
  model: CataloguedModel;
  installed: boolean;
  /** Where its files are, when installed and it has files. */
  dataDir?: string;
  /** Bytes in `dataDir`, leaving out unfinished downloads. */
  bytesOnDisk?: number;
  /** Bytes of `.partial` files a pull would resume from. */
  partialBytes: number;
  /** Sum of the download sizes, when the catalogue pins every one. */
  downloadBytes?: number;
}

export async function modelStatuses(modelsDir: string, catalogue: readonly CataloguedModel[] = ALL_MODELS): Promise<ModelStatus[]> {
  return Promise.all(catalogue.map((m) => modelStatus(m, modelsDir)));
}

async function modelStatus(m: CataloguedModel, modelsDir: string): Promise<ModelStatus> {
  const installed = isInstalled(m, modelsDir);
  const dataDir = m.files && m.files.length > 0 ? modelDataDir(m, modelsDir) : undefined;
  const downloads = m.downloads ?? [];
  const sizes = downloads.map((d) => d.bytes);
  return {
    model: m,
    installed,
    dataDir,
    bytesOnDisk: dataDir === undefined ? undefined : await dirSize(dataDir, (name) => !name.endsWith(PARTIAL_SUFFIX)),
    partialBytes: await dirSize(join(resolve(modelsDir), m.id), (name) => name.endsWith(PARTIAL_SUFFIX)),
    downloadBytes: sizes.length > 0 && sizes.every((b) => b !== undefined) ? sizes.reduce<number>((a, b) => a + (b ?? 0), 0) : undefined,
  };
}

