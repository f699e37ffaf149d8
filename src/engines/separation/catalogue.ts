/**
 * The stem-separation networks `llais models pull` knows for `/v1/audio/separate/` with 4 or 6
 * stems: Demucs v4 (htdemucs, htdemucs_6s) as a single-input ONNX export. Upstream
 * (facebookresearch/demucs) publishes PyTorch checkpoints only, so, as for kNN-VC, this is the
 * layout the server reads and the pull prints how to export it: float32 waveform [1, 2, 343980]
 * (44.1 kHz stereo, 7.8 s, the STFT inside the graph) -> [1, S, 2, 343980], S stems in Demucs'
 * source order. Spleeter 4/5 stems: spleeter-catalogue.ts.
 */
import { join } from 'node:path';
import { modelDataDir, type InstallableModel } from '../model-files.js';
import { SPLEETER_CATALOGUE } from './spleeter-catalogue.js';

export interface SeparationModelInfo extends InstallableModel {
  type: 'separation';
  /** Stem names in the network's output order. */
  stems: readonly string[];
  /** The `.onnx` file under the model's folder. */
  onnxFile: string;
}

/** Demucs' training segment (7.8 s at 44.1 kHz): the export's fixed input length. */
export const DEMUCS_SEGMENT_FRAMES = 343_980;
export const DEMUCS_RATE_HZ = 44_100;
export const DEMUCS_4_STEMS: readonly string[] = ['drums', 'bass', 'other', 'vocals'];
export const DEMUCS_6_STEMS: readonly string[] = [...DEMUCS_4_STEMS, 'guitar', 'piano'];

function demucs(id: 'htdemucs' | 'htdemucs_6s', name: string, stems: readonly string[]): SeparationModelInfo {
  const file = `${id}.onnx`;
  return {
    id,
    name,
    type: 'separation',
    stems,
    onnxFile: file,
    builtin: false,
    install_hint: `llais models pull ${id}`,
    files: [file],
    manual_install:
      `export demucs.pretrained.get_model('${id}').models[0] with torch.onnx.export (opset 17) into <modelsDir>/${id}/${file}: ` +
      `one float32 input waveform [1, 2, ${DEMUCS_SEGMENT_FRAMES}] (44.1 kHz stereo) -> one float32 output [1, ${stems.length}, 2, ${DEMUCS_SEGMENT_FRAMES}] ` +
      `(${stems.join(', ')}); see docs/audio-tools.md`,
  };
}

const DEMUCS_CATALOGUE: readonly SeparationModelInfo[] = [
  demucs('htdemucs', 'Hybrid Transformer Demucs v4, 4 stems (drums, bass, other, vocals)', DEMUCS_4_STEMS),
  demucs('htdemucs_6s', 'Hybrid Transformer Demucs v4, 6 stems (+ guitar, piano)', DEMUCS_6_STEMS),
];

export const SEPARATION_MODEL_CATALOGUE: readonly SeparationModelInfo[] = [...DEMUCS_CATALOGUE, ...SPLEETER_CATALOGUE];

/** The catalogue entry serving `stems` (4 or 6), installed or not. */
export function separationModelFor(stems: 4 | 6): SeparationModelInfo {
  return DEMUCS_CATALOGUE.find((m) => m.stems.length === stems)!;
}

/** The `.onnx` path of the model serving `stems`, when installed. */
export function installedSeparationModel(stems: 4 | 6, modelsDir: string): string | undefined {
  const m = separationModelFor(stems);
  const dir = modelDataDir(m, modelsDir);
  return dir === undefined ? undefined : join(dir, m.onnxFile);
}
