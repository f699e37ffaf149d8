/**
 * The two published Kokoro ONNX signatures, checked on metadata as onnxruntime-node reports it
 * for tiny models built here with exactly those inputs and outputs, and on files that are not
 * Kokoro (a Piper voice, an export fed the wrong speed type).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import onnxProto from 'onnx-proto';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { KOKORO_SIGNATURES, matchKokoroSignature, type ValueInfo } from '../src/engines/tts/kokoro/signature.js';

const { onnx } = onnxProto;
const { FLOAT, INT32, INT64 } = onnx.TensorProto.DataType;

function valueInfo(name: string, elemType: number, dims: Array<number | string>): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

/**
 * A model with the given inputs whose one output is its speed input passed through, lifted to
 * the output's rank (Unsqueeze on the leading axes) so the declared shapes agree.
 */
function model(inputs: onnxProto.onnx.IValueInfoProto[], speedName: string, output: onnxProto.onnx.IValueInfoProto): Uint8Array {
  const extraAxes = output.type!.tensorType!.shape!.dim!.length - 1;
  const node: onnxProto.onnx.INodeProto =
    extraAxes === 0
      ? { opType: 'Identity', input: [speedName], output: [output.name!] }
      : { opType: 'Unsqueeze', input: [speedName, 'axes'], output: [output.name!] };
  const axes = Array.from({ length: extraAxes }, (_, i) => i);
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'kokoro-signature',
      node: [node],
      initializer: extraAxes === 0 ? [] : [{ name: 'axes', dataType: INT64, dims: [axes.length], int64Data: axes }],
      input: inputs,
      output: [output],
    },
  }).finish();
}

async function metadata(bytes: Uint8Array): Promise<{ inputs: ValueInfo[]; outputs: ValueInfo[]; session: InferenceSession }> {
  const session = await InferenceSession.create(bytes);
  return { inputs: [...session.inputMetadata], outputs: [...session.outputMetadata], session };
}

const kokoroOnnx = () =>
  model([valueInfo('tokens', INT64, [1, 'sequence_length']), valueInfo('style', FLOAT, [1, 256]), valueInfo('speed', FLOAT, [1])], 'speed', valueInfo('audio', FLOAT, ['audio_length']));
const onnxCommunity = (speedType = FLOAT) =>
  model([valueInfo('input_ids', INT64, ['batch_size', 'sequence_length']), valueInfo('style', FLOAT, ['batch_size', 256]), valueInfo('speed', speedType, ['batch_size'])], 'speed', valueInfo('waveform', speedType, ['num_samples']));

describe('Kokoro ONNX signatures', () => {
  it('recognises the kokoro-onnx export (tokens, style, speed -> audio) as onnxruntime reports it', async () => {
    const { inputs, outputs, session } = await metadata(kokoroOnnx());
    try {
      const match = matchKokoroSignature(inputs, outputs);
      assert.ok(match.ok, match.ok ? '' : match.reason);
      assert.equal(match.signature.id, 'kokoro-onnx');
      // The feeds the engine will build fit the model: int64 [1, n], float32 [1, 256], float32 [1].
      const sig = match.signature;
      const out = await session.run({
        [sig.tokens.name]: new Tensor('int64', BigInt64Array.from([0n, 50n, 83n, 0n]), [1, 4]),
        [sig.style.name]: new Tensor('float32', new Float32Array(256), [1, 256]),
        [sig.speed.name]: new Tensor('float32', Float32Array.from([1.25]), [1]),
      });
      assert.deepEqual([...(out[sig.audio.name].data as Float32Array)], [1.25]);
    } finally {
      await session.release();
    }
  });

  it('recognises the onnx-community export (input_ids, style, speed -> waveform)', async () => {
    const { inputs, outputs, session } = await metadata(onnxCommunity());
    await session.release();
    const match = matchKokoroSignature(inputs, outputs);
    assert.ok(match.ok, match.ok ? '' : match.reason);
    assert.equal(match.signature.id, 'onnx-community');
  });

  it('names what differs when the speed is int32 (the export-script variant)', async () => {
    const { inputs, outputs, session } = await metadata(onnxCommunity(INT32));
    await session.release();
    const match = matchKokoroSignature(inputs, outputs);
    assert.equal(match.ok, false);
    assert.match(match.ok ? '' : match.reason, /as the onnx-community export, input 'speed' is int32, expected float32/);
  });

  it('rejects a Piper voice, listing what the file has', async () => {
    const piper = model(
      [valueInfo('input', INT64, [1, 'phonemes']), valueInfo('input_lengths', INT64, [1]), valueInfo('scales', FLOAT, [3])],
      'scales',
      valueInfo('output', FLOAT, [1, 1, 'time']),
    );
    const { inputs, outputs, session } = await metadata(piper);
    await session.release();
    const match = matchKokoroSignature(inputs, outputs);
    assert.equal(match.ok, false);
    const reason = match.ok ? '' : match.reason;
    assert.match(reason, /no input named 'tokens'/);
    assert.match(reason, /inputs input int64 \[1, phonemes\], input_lengths int64 \[1\], scales float32 \[3\]/);
  });

  it('checks rank and the style width when the runtime gives shapes, and accepts names alone', () => {
    const ok: ValueInfo[] = [{ name: 'tokens' }, { name: 'style' }, { name: 'speed' }];
    assert.equal(matchKokoroSignature(ok, [{ name: 'audio' }]).ok, true);
    const wide = matchKokoroSignature(
      [{ name: 'tokens', type: 'int64', shape: [1, 'n'] }, { name: 'style', type: 'float32', shape: [1, 128] }, { name: 'speed', type: 'float32', shape: [1] }],
      [{ name: 'audio', type: 'float32', shape: ['n'] }],
    );
    assert.match(wide.ok ? '' : wide.reason, /'style' ends in 128, expected 256/);
    const flat = matchKokoroSignature([{ name: 'tokens', type: 'int64', shape: ['n'] }, ...ok.slice(1)], [{ name: 'audio' }]);
    assert.match(flat.ok ? '' : flat.reason, /'tokens' has 1 dimensions, expected 2/);
    const extra = matchKokoroSignature([...ok, { name: 'sid' }], [{ name: 'audio' }]);
    assert.match(extra.ok ? '' : extra.reason, /unexpected input 'sid'/);
  });

  it('lists both exports', () => {
    assert.deepEqual(KOKORO_SIGNATURES.map((s) => [s.id, s.tokens.name, s.style.name, s.speed.name, s.audio.name]), [
      ['kokoro-onnx', 'tokens', 'style', 'speed', 'audio'],
      ['onnx-community', 'input_ids', 'style', 'speed', 'waveform'],
    ]);
  });
});
