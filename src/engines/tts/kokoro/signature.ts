/**
 * The input/output signatures of the two published Kokoro 82M v1.0 ONNX exports, so the engine
 * can tell which one it loaded and name exactly what differs when a file is neither.
 *
 * - `kokoro-onnx`: `kokoro-v1.0.onnx` from thewh1teagle/kokoro-onnx's release model-files-v1.0
 *   (taylorchu/kokoro-onnx v0.2.0's export). Names and types as onnxruntime reports them in
 *   k2-fsa/sherpa-onnx scripts/kokoro/v1.0/test.py (commit 01b1c4875d0aa96c4ce7fdf0cfa5bd493d5f4387):
 *   tokens int64 [1, sequence_length], style float [1, 256], speed float [1] -> audio float
 *   [audio_length]; kokoro-onnx `_create_audio` feeds `tokens`, `style`, `speed` (float32).
 * - `onnx-community`: onnx-community/Kokoro-82M-v1.0-ONNX `onnx/model*.onnx`, as hexgrad/kokoro
 *   kokoro.js/src/kokoro.js (commit dfb907a02bba8152ca444717ca5d78747ccb4bec) runs it:
 *   `input_ids` int64 [1, n], `style` float32 [1, 256], `speed` float32 [1] -> `waveform`
 *   (names from hexgrad/kokoro examples/export.py's `input_names`/`output_names`, which also
 *   emits `duration`, int64). kokoro-onnx feeds this export an int32 speed, which the published
 *   file rejects (thewh1teagle/kokoro-onnx issue #135: "Actual: (tensor(int32)), expected:
 *   (tensor(float))"), so float32 is the published type.
 * Output ranks are left open: both are one waveform read as flat samples, and the exporters
 * squeeze it differently.
 */

export type KokoroExportId = 'kokoro-onnx' | 'onnx-community';

/** ONNX element types as onnxruntime-node names them (`Tensor.Type`). */
export type KokoroTensorType = 'int64' | 'float32';

export interface TensorSpec {
  name: string;
  type: KokoroTensorType;
  /** Number of dimensions; undefined when any is accepted. */
  rank?: number;
  /** Fixed size of the last dimension, where the model fixes it. */
  lastDim?: number;
}

export interface KokoroSignature {
  id: KokoroExportId;
  /** The phoneme ids with pads, [1, n]. */
  tokens: TensorSpec;
  /** One style row, [1, 256]. */
  style: TensorSpec;
  /** Speed factor, [1]; larger is faster. */
  speed: TensorSpec;
  /** Audio samples at 24 kHz, float in [-1, 1]. */
  audio: TensorSpec;
}

/** The sample rate both exports produce (kokoro-onnx `SAMPLE_RATE`, kokoro.js `SAMPLE_RATE`). */
export const KOKORO_SAMPLE_RATE_HZ = 24000;

export const KOKORO_SIGNATURES: readonly KokoroSignature[] = Object.freeze([
  {
    id: 'kokoro-onnx',
    tokens: { name: 'tokens', type: 'int64', rank: 2 },
    style: { name: 'style', type: 'float32', rank: 2, lastDim: 256 },
    speed: { name: 'speed', type: 'float32', rank: 1 },
    audio: { name: 'audio', type: 'float32' },
  },
  {
    id: 'onnx-community',
    tokens: { name: 'input_ids', type: 'int64', rank: 2 },
    style: { name: 'style', type: 'float32', rank: 2, lastDim: 256 },
    speed: { name: 'speed', type: 'float32', rank: 1 },
    audio: { name: 'waveform', type: 'float32' },
  },
]);

/**
 * What a loaded session says about one input or output. onnxruntime-node's
 * `session.inputMetadata`/`outputMetadata` entries fit; `type`/`shape` may be absent (a
 * non-tensor value, or an older runtime that only gives names).
 */
export interface ValueInfo {
  name: string;
  isTensor?: boolean;
  type?: string;
  shape?: ReadonlyArray<number | string>;
}

export type SignatureMatch =
  | { ok: true; signature: KokoroSignature }
  | { ok: false; reason: string };

function describe(values: readonly ValueInfo[]): string {
  return values.map((v) => (v.type ? `${v.name} ${v.type}${v.shape ? ` [${v.shape.join(', ')}]` : ''}` : v.name)).join(', ') || 'none';
}

/** The first way `value` breaks `spec`, or undefined when it fits. */
function misfit(spec: TensorSpec, value: ValueInfo | undefined, role: string): string | undefined {
  if (!value) return `no ${role} named '${spec.name}'`;
  if (value.isTensor === false) return `${role} '${spec.name}' is not a tensor`;
  if (value.type !== undefined && value.type !== spec.type) return `${role} '${spec.name}' is ${value.type}, expected ${spec.type}`;
  if (value.shape === undefined || value.shape.length === 0) return undefined;
  if (spec.rank !== undefined && value.shape.length !== spec.rank) {
    return `${role} '${spec.name}' has ${value.shape.length} dimensions, expected ${spec.rank}`;
  }
  const last = value.shape[value.shape.length - 1];
  if (spec.lastDim !== undefined && typeof last === 'number' && last !== spec.lastDim) {
    return `${role} '${spec.name}' ends in ${last}, expected ${spec.lastDim}`;
  }
  return undefined;
}

/**
 * Which export a session is, from its inputs and outputs. The reason of a mismatch names the
 * closest export (the one whose token input name is present, else the first) and what differs,
 * with what the file actually has, so the model's `failed` state can say it.
 */
export function matchKokoroSignature(inputs: readonly ValueInfo[], outputs: readonly ValueInfo[]): SignatureMatch {
  const byName = (values: readonly ValueInfo[], name: string) => values.find((v) => v.name === name);
  const problems = KOKORO_SIGNATURES.map((sig) => {
    const found = [
      misfit(sig.tokens, byName(inputs, sig.tokens.name), 'input'),
      misfit(sig.style, byName(inputs, sig.style.name), 'input'),
      misfit(sig.speed, byName(inputs, sig.speed.name), 'input'),
      misfit(sig.audio, byName(outputs, sig.audio.name), 'output'),
    ].filter((p): p is string => p !== undefined);
    const extra = inputs.filter((v) => ![sig.tokens.name, sig.style.name, sig.speed.name].includes(v.name));
    if (extra.length > 0) found.push(`unexpected input${extra.length > 1 ? 's' : ''} ${extra.map((v) => `'${v.name}'`).join(', ')}`);
    return { sig, found };
  });
  const fit = problems.find((p) => p.found.length === 0);
  if (fit) return { ok: true, signature: fit.sig };
  const closest = problems.find((p) => byName(inputs, p.sig.tokens.name)) ?? problems[0];
  return {
    ok: false,
    reason:
      `not a Kokoro v1.0 ONNX export: as the ${closest.sig.id} export, ${closest.found.join('; ')} ` +
      `(the file has inputs ${describe(inputs)}; outputs ${describe(outputs)})`,
  };
}
