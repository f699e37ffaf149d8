/**
 * Spleeter's 4- and 5-stem networks as sherpa-onnx exports them (k2-fsa/sherpa-onnx
 * scripts/spleeter/export_onnx.py, run by scripts/spleeter/separate_onnx.py): one ONNX file per
 * stem, input `x` float32 [2, num_splits, 512, 1024] (per channel, the STFT magnitude of 512-frame
 * chunks, bins 0-1023), output `y` of the same shape (that stem's magnitude estimate). Upstream
 * publishes TensorFlow checkpoints only (deezer/spleeter), so the pull prints how to export them.
 */
import { join } from 'node:path';
import { modelDataDir } from '../model-files.js';
import type { SeparationModelInfo } from './catalogue.js';

/** Stem order of deezer/spleeter's 4stems and 5stems configurations. */
export const SPLEETER_4_STEMS: readonly string[] = ['vocals', 'drums', 'bass', 'other'];
export const SPLEETER_5_STEMS: readonly string[] = ['vocals', 'drums', 'bass', 'piano', 'other'];

function spleeter(stems: 4 | 5): SeparationModelInfo {
  const id = `spleeter-${stems}stems`;
  const names = stems === 4 ? SPLEETER_4_STEMS : SPLEETER_5_STEMS;
  const files = names.map((s) => `${s}.onnx`);
  return {
    id,
    name: `Spleeter ${stems} stems (${names.join(', ')}), sherpa-onnx export`,
    type: 'separation',
    stems: names,
    onnxFile: files[0]!,
    builtin: false,
    install_hint: `llais models pull ${id}`,
    files,
    manual_install:
      `run k2-fsa/sherpa-onnx scripts/spleeter (convert_to_torch.py then export_onnx.py) on deezer/spleeter's ${stems}stems checkpoint ` +
      `and put ${files.join(', ')} into <modelsDir>/${id}/: each one float32 input x [2, num_splits, 512, 1024] -> one float32 output y of the same shape; see docs/audio-tools.md`,
  };
}

export const SPLEETER_CATALOGUE: readonly SeparationModelInfo[] = [spleeter(4), spleeter(5)];

export function spleeterModelFor(stems: 4 | 5): SeparationModelInfo {
  return SPLEETER_CATALOGUE.find((m) => m.stems.length === stems)!;
}

/** One `.onnx` path per stem (in stem order) when installed. */
export function installedSpleeterModel(stems: 4 | 5, modelsDir: string): string[] | undefined {
  const m = spleeterModelFor(stems);
  const dir = modelDataDir(m, modelsDir);
  return dir === undefined ? undefined : m.files!.map((f) => join(dir, f));
}
