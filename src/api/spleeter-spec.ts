/**
 * Which Spleeter export serves `/v1/audio/separate/` with model=spleeter and 4 or 5 stems: the
 * installed sherpa-onnx per-stem files (spleeter-4stems, spleeter-5stems), each checked on the main
 * thread by reading its graph's signature (no weights loaded), so a missing or wrong file is a 424
 * naming the install command before the upload is billed, never a worker failure.
 */
import type { ToolSpec } from '../audio/tools/tool-spec.js';
import { ApiError } from '../errors.js';
import { singleFloat32Io } from '../engines/onnx/onnx-file-signature.js';
import { installedSpleeterModel, spleeterModelFor } from '../engines/separation/spleeter-catalogue.js';

export function spleeterSpec(modelsDir: string, stems: 4 | 5): ToolSpec {
  const info = spleeterModelFor(stems);
  const paths = installedSpleeterModel(stems, modelsDir);
  if (paths === undefined) {
    throw new ApiError('model_not_installed', `${stems}-stem Spleeter separation needs the ${info.id} model (${info.files!.join(', ')}), which is not installed on this server. Install it with \`llais models pull ${info.id}\` and restart, or ask for 2 stems (no model needed).`, 'stems');
  }
  for (const path of paths) checkStemFile(info.id, path);
  return { tool: 'separate', stems, spleeter: { id: info.id, stems: info.stems, paths } };
}

/** One float32 input [2, n, 512, 1024] and one float32 output of rank 4, as export_onnx.py writes. */
function checkStemFile(id: string, path: string): void {
  const damaged = (why: string): ApiError =>
    new ApiError('model_not_installed', `The ${id} separation model file ${path} is damaged or not a Spleeter stem export (${why}); reinstall it with \`llais models pull ${id}\`.`, 'stems');
  const { input, output } = singleFloat32Io(path, damaged);
  const shape = input.shape ?? [];
  const fixed = (d: unknown, v: number): boolean => typeof d !== 'number' || d === v;
  if (shape.length !== 4 || !fixed(shape[0], 2) || !fixed(shape[2], 512) || !fixed(shape[3], 1024) || (output.shape ?? []).length !== 4) {
    throw damaged(`input [${shape.join(', ')}], expected [2, num_splits, 512, 1024]`);
  }
}
