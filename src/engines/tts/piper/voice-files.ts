/**
 * The Piper voices in `<modelsDir>/piper/`: every `<name>.onnx` with its `<name>.onnx.json`,
 * each checked when found (config schema; the model's bytes parse as ONNX and its inputs and
 * output are Piper's), so a broken voice is reported with its reason and never reaches a worker.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ONNX_FLOAT, ONNX_INT64, readGraphSignature, type GraphSignature } from './onnx-signature.js';
import { parsePiperConfig, type PiperVoiceConfig } from './voice-config.js';

/** One voice pair on disk and what checking it found. */
export interface PiperVoiceFile {
  /** The file name without `.onnx`: the public voice id. */
  name: string;
  modelPath: string;
  configPath: string;
  /** Changes whenever either file is replaced: sessions and checks are keyed by it. */
  version: string;
  state: { kind: 'ready'; config: PiperVoiceConfig } | { kind: 'failed'; reason: string };
}

/** Published Piper models' inputs: name, element type, rank (`export_onnx.py`, `piper.cpp`). */
const REQUIRED_INPUTS = [
  { name: 'input', elemType: ONNX_INT64, rank: 2 },
  { name: 'input_lengths', elemType: ONNX_INT64, rank: 1 },
  { name: 'scales', elemType: ONNX_FLOAT, rank: 1 },
] as const;
const SPEAKER_INPUT = { name: 'sid', elemType: ONNX_INT64, rank: 1 } as const;
const OUTPUT = { name: 'output', elemType: ONNX_FLOAT, rank: 4 } as const;

const TYPE_NAMES: Record<number, string> = { [ONNX_FLOAT]: 'float32', [ONNX_INT64]: 'int64' };

/** The `<name>` of each `<name>.onnx` in `dir`, sorted; none when the directory is missing. */
export function listVoiceNames(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => n.endsWith('.onnx')).map((n) => n.slice(0, -'.onnx'.length)).sort();
}

/** The version stamp of a voice pair (sizes and modification times), or null when a file is missing. */
export function voiceVersion(dir: string, name: string): string | null {
  try {
    const model = statSync(join(dir, `${name}.onnx`));
    const config = statSync(join(dir, `${name}.onnx.json`));
    return `${model.size}:${model.mtimeMs}:${config.size}:${config.mtimeMs}`;
  } catch {
    return null;
  }
}

/** Reads and checks one voice pair; never throws. */
export function checkVoiceFile(dir: string, name: string): PiperVoiceFile {
  const modelPath = join(dir, `${name}.onnx`);
  const configPath = join(dir, `${name}.onnx.json`);
  const version = voiceVersion(dir, name) ?? 'missing';
  const failed = (reason: string): PiperVoiceFile => ({ name, modelPath, configPath, version, state: { kind: 'failed', reason } });
  let configText: string;
  try {
    configText = readFileSync(configPath, 'utf8');
  } catch {
    return failed(`${name}.onnx.json is missing next to ${name}.onnx`);
  }
  let config: PiperVoiceConfig;
  try {
    config = parsePiperConfig(configText);
  } catch (err) {
    return failed(`${name}.onnx.json: ${(err as Error).message}`);
  }
  try {
    checkSignature(readGraphSignature(readFileSync(modelPath)), config.multiSpeaker);
  } catch (err) {
    return failed(`${name}.onnx: ${(err as Error).message}`);
  }
  return { name, modelPath, configPath, version, state: { kind: 'ready', config } };
}

/** Throws unless the graph has Piper's inputs (with `sid` exactly when multi-speaker) and output. */
function checkSignature(graph: GraphSignature, multiSpeaker: boolean): void {
  const expected = multiSpeaker ? [...REQUIRED_INPUTS, SPEAKER_INPUT] : [...REQUIRED_INPUTS];
  for (const want of expected) expectTensor(graph.inputs, want, 'input');
  const hasSid = graph.inputs.some((i) => i.name === SPEAKER_INPUT.name);
  if (hasSid && !multiSpeaker) throw new Error("the model takes a speaker id ('sid') but its JSON lists one speaker");
  expectTensor(graph.outputs, OUTPUT, 'output');
}

function expectTensor(list: GraphSignature['inputs'], want: { name: string; elemType: number; rank: number }, kind: string): void {
  const found = list.find((t) => t.name === want.name);
  const typeName = TYPE_NAMES[want.elemType]!;
  if (!found) throw new Error(`not a Piper voice model: no ${kind} '${want.name}' (has ${list.map((t) => t.name).join(', ') || 'none'})`);
  if (found.elemType !== want.elemType) throw new Error(`${kind} '${want.name}' is not ${typeName}`);
  if (found.rank !== null && found.rank !== want.rank) throw new Error(`${kind} '${want.name}' has rank ${found.rank}, not ${want.rank}`);
}
