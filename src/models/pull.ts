/**
 * `llais models pull <id>`: installs a catalogued model by downloading its files into
 * `<modelsDir>/<id>/`, one after another, each through `.partial` so an interrupted pull resumes
 * where it stopped. A mirror (a plain static file server laid out as `<mirror>/<id>/<file>`)
 * replaces every upstream URL, for machines without internet access.
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { isInstalled, modelDataDir, type InstallableModel, type ModelDownload } from '../engines/model-files.js';
import { downloadFile, hashFile } from './download-file.js';
import { ModelsError } from './errors.js';
import { findModel } from './find-model.js';

export type PullProgress =
  | { type: 'file.present'; file: string; bytes: number; verified: boolean }
  | { type: 'file.started'; file: string; url: string; resumeFromBytes: number; totalBytes?: number }
  | { type: 'file.progress'; file: string; receivedBytes: number; totalBytes?: number }
  | { type: 'file.done'; file: string; bytes: number; sha256: string; pinned: boolean };

export interface PullOptions {
  modelsDir: string;
  /** Base URL serving `<id>/<file>`; replaces every upstream URL. */
  mirror?: string;
  /** Defaults to the global `fetch`. */
  fetchImpl?: typeof fetch;
  /** Called per received chunk, among other events; throttle before showing. */
  onProgress?: (event: PullProgress) => void;
  /** Aborting keeps the `.partial` file, so the next pull resumes. */
  signal?: AbortSignal;
  /** Entries to look the id up in; defaults to the model catalogue. */
  catalogue?: readonly InstallableModel[];
  /**
   * Installs files the catalogue pins no sha256 for, unverified (`--trust-unpinned`). Without
   * it such a pull fails with `unpinned_download` before downloading anything.
   */
  trustUnpinned?: boolean;
}

export interface PulledFile {
  file: string;
  bytes: number;
  /** Absent for a file already present with no pinned hash to check it against. */
  sha256?: string;
  /** Its SHA-256 matched the catalogue's. */
  pinned: boolean;
  /** False when the file was already present and kept. */
  downloaded: boolean;
}

export interface PullResult {
  id: string;
  dir: string;
  files: PulledFile[];
  /** `isInstalled` after the pull; false only if the catalogue's downloads miss one of its `files`. */
  installed: boolean;
}

/** Downloads what `id` needs; throws a `ModelsError` (see its codes) when it cannot. */
export async function pullModel(id: string, opts: PullOptions): Promise<PullResult> {
  const m = findModel(id, opts.catalogue);
  if (m.builtin) throw builtinError(m, opts.modelsDir);
  if (!m.downloads || m.downloads.length === 0) throw noSourceError(m, opts.modelsDir);
  const dir = join(resolve(opts.modelsDir), m.id);
  if (!opts.trustUnpinned) await refuseUnpinned(m, dir);
  const fetchImpl = opts.fetchImpl ?? fetch;
  const files: PulledFile[] = [];
  for (const d of m.downloads) {
    if (opts.signal?.aborted) throw new ModelsError('aborted', `Pulling '${m.id}' was interrupted; run the same command again to resume it.`);
    const dest = pathInside(dir, d.file);
    await mkdir(dirname(dest), { recursive: true });
    const present = await presentFile(dest, d);
    if (present) {
      opts.onProgress?.({ type: 'file.present', file: d.file, bytes: present.bytes, verified: present.pinned });
      files.push({ file: d.file, ...present, downloaded: false });
      continue;
    }
    const url = opts.mirror ? mirrorUrl(opts.mirror, m.id, d.file) : d.url;
    const hint = opts.mirror
      ? `The mirror ${opts.mirror} must serve this file as ${m.id}/${d.file}.`
      : `On a machine without internet access, copy the files to a server it can reach and set LLAIS_MODELS_MIRROR (config "modelsMirror") to that server's base URL; it must serve <base>/${m.id}/${d.file}.`;
    const result = await downloadFile(
      { url, dest, sha256: d.sha256, bytes: d.bytes },
      {
        fetchImpl,
        signal: opts.signal,
        hint,
        onEvent: (e) => {
          if (!opts.onProgress) return;
          if (e.type === 'started') opts.onProgress({ ...e, type: 'file.started', file: d.file });
          else opts.onProgress({ ...e, type: 'file.progress', file: d.file });
        },
      },
    );
    opts.onProgress?.({ type: 'file.done', file: d.file, ...result });
    files.push({ file: d.file, ...result, downloaded: true });
  }
  return { id: m.id, dir, files, installed: isInstalled(m, opts.modelsDir) };
}

/** `<mirror>/<id>/<file>`, each path segment escaped (GPT-SoVITS names hold `=`). */
export function mirrorUrl(mirror: string, id: string, file: string): string {
  const path = [id, ...file.split('/')].map(encodeURIComponent).join('/');
  return `${mirror.replace(/\/+$/, '')}/${path}`;
}

/** A file already in place that matches what is pinned about it; undefined: download it. */
async function presentFile(dest: string, d: ModelDownload): Promise<{ bytes: number; sha256?: string; pinned: boolean } | undefined> {
  let bytes: number;
  try {
    const s = await stat(dest);
    if (!s.isFile()) return undefined;
    bytes = s.size;
  } catch {
    return undefined;
  }
  if (d.bytes !== undefined && bytes !== d.bytes) return undefined;
  if (d.sha256 === undefined) return { bytes, pinned: false };
  const sha256 = await hashFile(dest);
  return sha256 === d.sha256 ? { bytes, sha256, pinned: true } : undefined;
}

/**
 * A download nobody can verify is installed only when the caller says so: checked for every file
 * before the first byte is fetched, so a refused pull leaves nothing half installed. Files
 * already in place are not downloaded, so they need no trust.
 */
async function refuseUnpinned(m: InstallableModel, dir: string): Promise<void> {
  const unpinned: string[] = [];
  for (const d of m.downloads ?? []) {
    if (d.sha256 === undefined && !(await presentFile(pathInside(dir, d.file), d))) unpinned.push(d.file);
  }
  if (unpinned.length === 0) return;
  throw new ModelsError(
    'unpinned_download',
    `The catalogue pins no sha256 for ${unpinned.join(', ')} of '${m.id}', so the download could not be verified. ` +
      `To install it unverified, run \`llais models pull ${m.id} --trust-unpinned\`: it prints each file's sha256, to compare with what the publisher states.`,
  );
}

/** Catalogue paths are relative and `/`-separated; one that climbs out is a catalogue bug. */
function pathInside(dir: string, file: string): string {
  const p = resolve(dir, file);
  if (!p.startsWith(dir + sep)) throw new Error(`catalogue: download path '${file}' leaves the model directory`);
  return p;
}

function builtinError(m: InstallableModel, modelsDir: string): ModelsError {
  if (!m.files || m.files.length === 0) {
    return new ModelsError('builtin_model', `Model '${m.id}' is built in: it ships with the server, so there is nothing to pull.`);
  }
  const found = modelDataDir(m, modelsDir);
  const places = [join(resolve(modelsDir), m.id), ...(m.data_dirs ?? [])].join(' or ');
  const how = m.install_hint?.replaceAll('<modelsDir>', resolve(modelsDir)) ?? `put ${m.files.join(', ')} into ${places}`;
  const status = found ? `They are installed, in ${found}.` : `None were found in ${places}. To install them: ${how}, then restart the server.`;
  return new ModelsError(
    'builtin_model',
    `Model '${m.id}' is built in, so there is nothing to pull: its engine ships with the server, but its data files (${m.files.join(', ')}) do not. ${status}`,
  );
}

function noSourceError(m: InstallableModel, modelsDir: string): ModelsError {
  const dir = join(resolve(modelsDir), m.id);
  const how = m.manual_install?.replaceAll('<modelsDir>', resolve(modelsDir)) ?? `put ${(m.files ?? []).join(', ')} into ${dir}/`;
  return new ModelsError(
    'no_download_source',
    `Model '${m.id}' has no download source yet, so it cannot be pulled. Install it by hand: ${how}. \`llais models list\` then shows it installed.`,
  );
}
