/**
 * Tiny stand-ins for the published Kokoro 82M v1.0 files, in their real layouts:
 * - ONNX models with exactly the inputs and output of both exports: kokoro-onnx's
 *   `tokens` int64 [1, n], `style` float32 [1, 256], `speed` float32 [1] -> `audio` float32
 *   [samples]; onnx-community's `input_ids` (same), `style`, `speed` -> `waveform` float32
 *   [1, samples]. Instead of speech the graph makes a sine wave of SAMPLES_PER_TOKEN samples
 *   per input token (pads included) divided by speed, as Kokoro's durations scale, with the
 *   style vector's first value as its amplitude, so tests can measure length, speed and the
 *   style (mixing) in the audio.
 * - voices: kokoro-onnx's `voices-v1.0.bin` (an .npz of [510, 1, 256] float32 arrays, written
 *   as numpy's savez writes it) and onnx-community's raw per-voice `voices/<name>.bin`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';
import type { KokoroExportId } from '../../src/engines/tts/kokoro/signature.js';
import { STYLE_DIM, STYLE_ROWS } from '../../src/engines/tts/kokoro/voices.js';

export const SAMPLES_PER_TOKEN = 600;
export const TONE_HZ = 300;
const SAMPLE_RATE_HZ = 24_000;

// The package is CommonJS; its namespace is the default export under ESM.
const { onnx } = onnxProto;
const { DataType } = onnx.TensorProto;

function tensor(name: string, elemType: number, dims: Array<number | string>): OnnxTypes.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } };
}

function node(opType: string, input: string[], output: string, attribute: OnnxTypes.IAttributeProto[] = []): OnnxTypes.INodeProto {
  return { opType, input, output: [output], name: output, attribute };
}

const cast = (to: number): OnnxTypes.IAttributeProto => ({ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: to });
const axis = (value: number): OnnxTypes.IAttributeProto => ({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: value });

/** The bytes of a Kokoro-shaped model of the given export. */
export function tinyKokoroModel(exportId: KokoroExportId): Uint8Array {
  const names = exportId === 'kokoro-onnx' ? { tokens: 'tokens', audio: 'audio' } : { tokens: 'input_ids', audio: 'waveform' };
  const omega = (2 * Math.PI * TONE_HZ) / SAMPLE_RATE_HZ;
  const model: OnnxTypes.IModelProto = {
    irVersion: 8,
    producerName: 'llais-test',
    opsetImport: [{ domain: '', version: 15 }],
    graph: {
      name: `tiny-kokoro-${exportId}`,
      node: [
        node('Shape', [names.tokens], 'token_shape'),
        node('Gather', ['token_shape', 'one'], 'token_count', [axis(0)]),
        node('Cast', ['token_count'], 'token_count_f', [cast(DataType.FLOAT)]),
        node('Mul', ['token_count_f', 'samples_per_token'], 'samples_at_1'),
        node('Div', ['samples_at_1', 'speed'], 'samples_f'),
        node('Floor', ['samples_f'], 'samples_floor'),
        node('Cast', ['samples_floor'], 'samples_1', [cast(DataType.INT64)]),
        node('Squeeze', ['samples_1'], 'samples'),
        node('Range', ['zero', 'samples', 'one'], 'index'),
        node('Cast', ['index'], 'index_f', [cast(DataType.FLOAT)]),
        node('Mul', ['index_f', 'omega'], 'phase'),
        node('Sin', ['phase'], 'sine'),
        node('Gather', ['style', 'zero'], 'amplitude', [axis(1)]),
        node('Mul', ['sine', 'amplitude'], 'wave'),
        node('Reshape', ['wave', 'audio_shape'], names.audio),
      ],
      initializer: [
        { name: 'zero', dataType: DataType.INT64, dims: [], int64Data: [0] },
        { name: 'one', dataType: DataType.INT64, dims: [], int64Data: [1] },
        { name: 'samples_per_token', dataType: DataType.FLOAT, dims: [], floatData: [SAMPLES_PER_TOKEN] },
        { name: 'omega', dataType: DataType.FLOAT, dims: [], floatData: [omega] },
        { name: 'audio_shape', dataType: DataType.INT64, dims: exportId === 'kokoro-onnx' ? [1] : [2], int64Data: exportId === 'kokoro-onnx' ? [-1] : [1, -1] },
      ],
      input: [tensor(names.tokens, DataType.INT64, [1, 'sequence_length']), tensor('style', DataType.FLOAT, [1, STYLE_DIM]), tensor('speed', DataType.FLOAT, [1])],
      output: [tensor(names.audio, DataType.FLOAT, exportId === 'kokoro-onnx' ? ['audio_length'] : [1, 'num_samples'])],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/** A model whose file and signature are Kokoro's but which onnxruntime cannot load (an operator that does not exist). */
export function unloadableKokoroModel(): Uint8Array {
  const model = onnx.ModelProto.decode(tinyKokoroModel('kokoro-onnx'));
  model.graph!.node!.push(onnx.NodeProto.create({ opType: 'NoSuchKokoroOp', input: ['sine'], output: ['unused'], name: 'unused' }));
  return onnx.ModelProto.encode(model).finish();
}

/** A voice table whose style vectors all start with `amplitude` (what the tiny model plays at). */
export function voiceTable(amplitude: number): Float32Array {
  const table = new Float32Array(STYLE_ROWS * STYLE_DIM);
  for (let r = 0; r < STYLE_ROWS; r++) for (let c = 0; c < STYLE_DIM; c++) table[r * STYLE_DIM + c] = c === 0 ? amplitude : r / 1000 + c / 1e6;
  return table;
}

/** A .npy file (format 1.0) as numpy writes it: header padded with spaces to 64 bytes, then '\n'. */
export function npy(data: Float32Array, shape: number[], descr = '<f4'): Buffer {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const head = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

export interface ZipOptions {
  deflate?: boolean;
  /** numpy's savez: `force_zip64=True`, so local headers carry 0xFFFFFFFF sizes and a ZIP64 extra. */
  numpyZip64?: boolean;
}

/** A zip archive of the given files (PKWARE APPNOTE: local headers, central directory, end record). */
export function zip(files: Array<[string, Buffer]>, opts: ZipOptions = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of files) {
    const nameBytes = Buffer.from(name);
    const body = opts.deflate ? deflateRawSync(content) : content;
    const method = opts.deflate ? 8 : 0;
    const crc = crc32(content);
    const localExtra = opts.numpyZip64 ? Buffer.alloc(20) : Buffer.alloc(0);
    if (opts.numpyZip64) {
      localExtra.writeUInt16LE(0x0001, 0);
      localExtra.writeUInt16LE(16, 2);
      localExtra.writeBigUInt64LE(BigInt(content.length), 4);
      localExtra.writeBigUInt64LE(BigInt(body.length), 12);
    }
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(opts.numpyZip64 ? 45 : 20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(opts.numpyZip64 ? 0xffffffff : body.length, 18);
    local.writeUInt32LE(opts.numpyZip64 ? 0xffffffff : content.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(localExtra.length, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(45, 4);
    central.writeUInt16LE(opts.numpyZip64 ? 45 : 20, 6);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(content.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, localExtra, body);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + localExtra.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** kokoro-onnx's `voices-v1.0.bin`: every voice as `<name>.npy` of shape [510, 1, 256], deflated, ZIP64 as numpy writes. */
export function voicesArchive(voices: Record<string, number>): Buffer {
  return zip(
    Object.entries(voices).map(([name, amplitude]) => [`${name}.npy`, npy(voiceTable(amplitude), [STYLE_ROWS, 1, STYLE_DIM])]),
    { deflate: true, numpyZip64: true },
  );
}

/** kokoro-onnx's layout: `<dir>/kokoro-v1.0.onnx` and `<dir>/voices-v1.0.bin`. */
export async function writeKokoroOnnxLayout(dir: string, voices: Record<string, number>): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'kokoro-v1.0.onnx'), tinyKokoroModel('kokoro-onnx'));
  await writeFile(join(dir, 'voices-v1.0.bin'), voicesArchive(voices));
}

/** onnx-community's layout: `<dir>/onnx/<modelFile>` and one raw `<dir>/voices/<name>.bin` per voice. */
export async function writeOnnxCommunityLayout(dir: string, voices: Record<string, number>, modelFile = 'model_quantized.onnx'): Promise<void> {
  await mkdir(join(dir, 'onnx'), { recursive: true });
  await mkdir(join(dir, 'voices'), { recursive: true });
  await writeFile(join(dir, 'onnx', modelFile), tinyKokoroModel('onnx-community'));
  for (const [name, amplitude] of Object.entries(voices)) {
    const table = voiceTable(amplitude);
    await writeFile(join(dir, 'voices', `${name}.bin`), Buffer.from(table.buffer, table.byteOffset, table.byteLength));
  }
}
