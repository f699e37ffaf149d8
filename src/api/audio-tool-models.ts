/**
 * Which separation network serves `/v1/audio/separate/` with more than 2 stems: the installed
 * Demucs export (htdemucs for 4, htdemucs_6s for 6), checked on the main thread by reading its
 * graph's signature (no weights loaded), so a missing, cut-short or wrong file is a 424 naming the
 * install command before the upload is billed, never a worker failure. Spleeter: spleeter-spec.ts.
 */
import type { ToolSpec } from '../audio/tools/tool-spec.js';
import { ApiError } from '../errors.js';
import { singleFloat32Io } from '../engines/onnx/onnx-file-signature.js';
import { spleeterSpec } from './spleeter-spec.js';
import { DEMUCS_SEGMENT_FRAMES, installedSeparationModel, separationModelFor } from '../engines/separation/catalogue.js';

/** The spec for `stems` beyond 2 with `model`; throws 400 for a count the model lacks, 424 when not installed or damaged. */
export function separationSpec(modelsDir: string, model: 'demucs' | 'spleeter', stems: 4 | 5 | 6): ToolSpec {
  const valid = model === 'demucs' ? [4, 6] : [4, 5];
  if (!valid.includes(stems)) throw new ApiError('invalid_value', `'${model}' separates into 2 or ${valid.join(' or ')} stems; got ${stems}`, 'stems');
  if (model === 'spleeter') return spleeterSpec(modelsDir, stems as 4 | 5);
  const n = stems as 4 | 6;
  const info = separationModelFor(n);
  const path = installedSeparationModel(n, modelsDir);
  if (path === undefined) {
    throw new ApiError('model_not_installed', `${stems}-stem separation needs the ${info.id} model, which is not installed on this server. Install it with \`llais models pull ${info.id}\` and restart, or ask for 2 stems (no model needed).`, 'stems');
  }
  return { tool: 'separate', stems: n, model: { id: info.id, path, segmentFrames: segmentOf(info.id, path, n) } };
}

/** The export's fixed input length, from its file; 424 when the file is not a Demucs export. */
function segmentOf(id: string, path: string, stems: number): number {
  const damaged = (why: string): ApiError =>
    new ApiError('model_not_installed', `The ${id} separation model at ${path} is damaged or not a ${id} export (${why}); reinstall it with \`llais models pull ${id}\`.`, 'stems');
  const { input, output } = singleFloat32Io(path, damaged);
  const inShape = input.shape ?? [];
  const outShape = output.shape ?? [];
  if (inShape.length !== 3 || inShape[1] !== 2 || outShape.length !== 4 || (typeof outShape[1] === 'number' && outShape[1] !== stems)) {
    throw damaged(`input [${inShape.join(', ')}] and output [${outShape.join(', ')}], expected [1, 2, L] and [1, ${stems}, 2, L]`);
  }
  const length = inShape[2];
  // A fixed length is the export's segment; a symbolic one takes Demucs' own.
  return typeof length === 'number' && length > 0 ? length : DEMUCS_SEGMENT_FRAMES;
}

