/**
 * Kokoro's files in `<modelsDir>/kokoro/`, in either published layout, each checked when found
 * so a truncated, corrupt or mismatched file is reported with its reason and never reaches a
 * worker:
 * - kokoro-onnx's release (the files the catalogue pulls): `kokoro-v1.0.onnx` (or its
 *   `.fp16`/`.int8` siblings) and `voices-v1.0.bin`, an `.npz` of every voice;
 * - onnx-community/Kokoro-82M-v1.0-ONNX: `onnx/model.onnx` (or a quantized sibling) and one
 *   `voices/<name>.bin` per voice.
 * Voice tables are copied into SharedArrayBuffers: posted to a worker with a job, they are
 * shared, not copied, so every worker reads the one copy the main thread holds.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readOnnxFileSignature } from '../../onnx/onnx-file-signature.js';
import { matchKokoroSignature, type KokoroExportId } from './signature.js';
import { readVoiceBin, readVoicesNpz } from './voices.js';

/**
 * Model files in order of preference: full precision first (what the references run), then the
 * smaller exports; the first that passes its checks is used. kokoro-onnx's release
 * model-files-v1.0 and onnx-community's `onnx/` folder name them so.
 */
export const KOKORO_MODEL_FILES: readonly string[] = [
  'kokoro-v1.0.onnx',
  'onnx/model.onnx',
  'kokoro-v1.0.fp16.onnx',
  'onnx/model_fp16.onnx',
  'kokoro-v1.0.int8.onnx',
  'onnx/model_quantized.onnx',
  'onnx/model_q8f16.onnx',
  'onnx/model_uint8.onnx',
  'onnx/model_uint8f16.onnx',
  'onnx/model_q4.onnx',
  'onnx/model_q4f16.onnx',
  'kokoro-v1.0.fp16-gpu.onnx',
];
/** kokoro-onnx's voices archive. */
export const VOICES_ARCHIVE = 'voices-v1.0.bin';
/** onnx-community's folder of per-voice tables. */
export const VOICES_DIR = 'voices';

export type FileState<T> = { kind: 'ready'; value: T } | { kind: 'failed'; reason: string };

export interface CheckedFile<T> {
  /** Path relative to the Kokoro directory, `/`-separated. */
  file: string;
  path: string;
  /** Size and modification time: changes whenever the file is replaced. */
  version: string;
  state: FileState<T>;
}

/** The version stamp of a file, or null when it is missing. */
export function fileVersion(path: string): string | null {
  try {
    const s = statSync(path);
    return s.isFile() ? `${s.size}:${s.mtimeMs}` : null;
  } catch {
    return null;
  }
}

/** Model files present, in order of preference. */
export function presentModelFiles(dir: string): string[] {
  return KOKORO_MODEL_FILES.filter((file) => fileVersion(join(dir, file)) !== null);
}

/** Voice files present: the archive first, then `voices/*.bin` sorted. */
export function presentVoiceFiles(dir: string): string[] {
  const files = fileVersion(join(dir, VOICES_ARCHIVE)) === null ? [] : [VOICES_ARCHIVE];
  let names: string[] = [];
  try {
    names = readdirSync(join(dir, VOICES_DIR));
  } catch {
    // No onnx-community voices folder.
  }
  return [...files, ...names.filter((n) => n.endsWith('.bin')).sort().map((n) => `${VOICES_DIR}/${n}`)];
}

/** Checks a model file's structure and signature without loading it; never throws. */
export function checkModelFile(dir: string, file: string): CheckedFile<KokoroExportId> {
  const path = join(dir, file);
  const version = fileVersion(path) ?? 'missing';
  try {
    const { inputs, outputs } = readOnnxFileSignature(path);
    const match = matchKokoroSignature(inputs, outputs);
    if (!match.ok) return { file, path, version, state: { kind: 'failed', reason: `${file}: ${match.reason}` } };
    return { file, path, version, state: { kind: 'ready', value: match.signature.id } };
  } catch (err) {
    return { file, path, version, state: { kind: 'failed', reason: `${file}: ${(err as Error).message}` } };
  }
}

/** A table moved into shared memory, so jobs can carry it to workers without copying. */
function shared(table: Float32Array): Float32Array {
  const out = new Float32Array(new SharedArrayBuffer(table.byteLength));
  out.set(table);
  return out;
}

/** Reads a voices file (the archive, or one `voices/<name>.bin`) into voice name -> table; never throws. */
export function readVoiceFile(dir: string, file: string): CheckedFile<Map<string, Float32Array>> {
  const path = join(dir, file);
  const version = fileVersion(path) ?? 'missing';
  try {
    const bytes = readFileSync(path);
    const voices = new Map<string, Float32Array>();
    if (file === VOICES_ARCHIVE) {
      for (const [name, table] of readVoicesNpz(bytes)) voices.set(name, shared(table));
    } else {
      const name = file.slice(VOICES_DIR.length + 1, -'.bin'.length);
      voices.set(name, shared(readVoiceBin(bytes, name)));
    }
    return { file, path, version, state: { kind: 'ready', value: voices } };
  } catch (err) {
    return { file, path, version, state: { kind: 'failed', reason: `${file}: ${(err as Error).message}` } };
  }
}
