/**
 * What every installable model has, whatever its kind (TTS, STT): where its files live and how
 * `llais models pull` fetches them, and whether they are all present.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** One file `llais models pull` fetches. */
export interface ModelDownload {
  /** Path under `<modelsDir>/<id>/`, `/`-separated; also its path under a mirror's `<id>/`. */
  file: string;
  /** Upstream URL; redirects (Hugging Face and GitHub both use them) are followed. */
  url: string;
  /** Lower-case hex SHA-256, only where a published source states it; else the pull prints it. */
  sha256?: string;
  /** Exact size in bytes, only where a published source states it. */
  bytes?: number;
}

export interface InstallableModel {
  id: string;
  name: string;
  /** Its code ships with the server (it may still need data files, see `files`). */
  builtin: boolean;
  /** How to install when not builtin, e.g. "llais models pull kokoro". */
  install_hint?: string;
  /**
   * Files relative to `<modelsDir>/<id>/` that must exist; `*` matches within one name
   * (`*.onnx`). Absent: nothing to install.
   */
  files?: string[];
  /**
   * Other absolute directories that may hold `files` instead (e.g. a distribution package's
   * data directory); the first one holding them all is used.
   */
  data_dirs?: string[];
  /**
   * What `llais models pull` fetches; it covers every name in `files`. Absent: no download
   * source is known yet, and the model is installed by hand.
   */
  downloads?: ModelDownload[];
  /**
   * How to install by hand a model without `downloads`, said instead of "put `files` into
   * `<modelsDir>/<id>/`"; `<modelsDir>` stands for the models directory.
   */
  manual_install?: string;
}

/** The directory holding all of `m.files`: `<modelsDir>/<id>/` first, then `m.data_dirs`. */
export function modelDataDir(m: InstallableModel, modelsDir: string): string | undefined {
  const dirs = [join(modelsDir, m.id), ...(m.data_dirs ?? [])];
  return dirs.find((dir) => (m.files ?? []).every((pattern) => fileExists(dir, pattern)));
}

export function isInstalled(m: InstallableModel, modelsDir: string): boolean {
  if (m.files === undefined || m.files.length === 0) return m.builtin;
  return modelDataDir(m, modelsDir) !== undefined;
}

function fileExists(dir: string, pattern: string): boolean {
  if (!pattern.includes('*')) return existsSync(join(dir, pattern));
  const slash = pattern.lastIndexOf('/');
  const parent = join(dir, pattern.slice(0, slash + 1));
  const name = pattern.slice(slash + 1);
  const re = new RegExp(`^${name.split('*').map(escapeRegExp).join('[^/]*')}$`);
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return false;
  }
  return names.some((n) => re.test(n));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The ids `modelsLoadAtStart` names (comma-separated), or null for `all` (every installed
 * model). TTS and STT read the same setting, so they read it the same way.
 */
export function modelsNamedToLoad(list: string): ReadonlySet<string> | null {
  return list.trim() === 'all' ? null : new Set(list.split(',').map((id) => id.trim()).filter(Boolean));
}
