/**
 * What an audio tool request asks for, as plain data that crosses to a pool worker, and the rate
 * and stems each tool works with. The API validates into these; the worker builds the DSP from them.
 */
import type { DereverbOptions } from '../dereverb/dereverb-chain.js';
import { DEREVERB_RATE_HZ } from '../dereverb/dereverb-chain.js';
import type { EnhanceOptions } from '../enhance/enhance-chain.js';
import { ENHANCE_RATE_HZ } from '../enhance/enhance-chain.js';
import { SEPARATE_RATE_HZ, TWO_STEMS } from '../separate/separate-chain.js';

export type ToolSpec =
  | { tool: 'enhance'; options: EnhanceOptions }
  | { tool: 'dereverb'; options: DereverbOptions }
  | { tool: 'separate'; stems: 2 }
  /** A separation network (src/engines/separation/), found installed by the API. */
  | { tool: 'separate'; stems: 4 | 6; model: SeparationModelRef }
  /** Spleeter (src/engines/separation/spleeter-onnx.ts): one export file per stem. */
  | { tool: 'separate'; stems: 4 | 5; spleeter: SpleeterModelRef };

/** An installed Spleeter export, as plain data: its stems and one `.onnx` path per stem. */
export interface SpleeterModelRef {
  id: string;
  stems: readonly string[];
  paths: readonly string[];
}

/** Which installed separation export runs, as plain data (the worker loads it). */
export interface SeparationModelRef {
  id: string;
  path: string;
  /** The export's fixed input length (frames at 44.1 kHz). */
  segmentFrames: number;
}

/** Demucs' source order (facebookresearch/demucs): 4 stems, then guitar and piano for 6. */
const DEMUCS_STEMS = ['drums', 'bass', 'other', 'vocals', 'guitar', 'piano'] as const;

export type ToolName = ToolSpec['tool'];

/** The rate a tool's DSP runs at (the upload is decoded to it). */
export function toolRateHz(spec: ToolSpec): number {
  switch (spec.tool) {
    case 'enhance':
      return ENHANCE_RATE_HZ;
    case 'dereverb':
      return DEREVERB_RATE_HZ;
    case 'separate':
      return SEPARATE_RATE_HZ;
  }
}

export function toolStems(spec: ToolSpec): readonly string[] {
  if (spec.tool !== 'separate') return ['audio'];
  if (spec.stems === 2) return TWO_STEMS;
  return 'spleeter' in spec ? spec.spleeter.stems : DEMUCS_STEMS.slice(0, spec.stems);
}
