/**
 * A minimal NumPy `.npz` reader: a zip archive (stored or deflated entries) of `.npy` arrays,
 * of which only little-endian float32 (`<f4`), C order, is accepted — what `np.savez` writes
 * for Kokoro's voice tables. Every malformed, truncated or unexpected byte is an
 * `NpzFormatError` naming what is wrong, so a corrupt voices file reports a reason.
 *
 * Formats: PKWARE APPNOTE.TXT (end of central directory, central directory, local header,
 * ZIP64 extra field 0x0001 and end record, which numpy writes with `force_zip64=True`) and
 * numpy's NEP 1 `.npy` format (magic, version, header length, a Python dict literal).
 */
import { endianness } from 'node:os';
import { crc32, inflateRawSync } from 'node:zlib';

export class NpzFormatError extends Error {
  override readonly name = 'NpzFormatError';
}

/** One float32 array of an archive. */
export interface NpyFloat32 {
  shape: number[];
  data: Float32Array;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_EOCD_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const ZIP64_EXTRA_ID = 0x0001;
/** A 32-bit field at this value means "see the ZIP64 extra field". */
const ZIP64_MARK = 0xffffffff;
/** End record (22 bytes) plus the longest archive comment the format allows. */
const EOCD_SEARCH_BYTES = 22 + 0xffff;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;

interface Entry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function u64(dv: DataView, at: number): number {
  const value = dv.getBigUint64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new NpzFormatError('zip: 64-bit offset out of range');
  return Number(value);
}

function findEndRecord(bytes: Uint8Array, dv: DataView): number {
  const stop = Math.max(0, bytes.length - EOCD_SEARCH_BYTES);
  for (let at = bytes.length - 22; at >= stop; at--) {
    if (dv.getUint32(at, true) === EOCD_SIGNATURE) return at;
  }
  throw new NpzFormatError('zip: no end of central directory (not a zip archive, or truncated)');
}

/** Entry count and central directory offset, from the ZIP64 end record when numpy wrote one. */
function centralDirectory(bytes: Uint8Array, dv: DataView): { count: number; offset: number } {
  const eocd = findEndRecord(bytes, dv);
  let count = dv.getUint16(eocd + 10, true);
  let offset = dv.getUint32(eocd + 16, true);
  const locator = eocd - 20;
  if (locator >= 0 && dv.getUint32(locator, true) === ZIP64_EOCD_LOCATOR_SIGNATURE) {
    const record = u64(dv, locator + 8);
    if (record + 56 > bytes.length || dv.getUint32(record, true) !== ZIP64_EOCD_SIGNATURE) {
      throw new NpzFormatError('zip: bad ZIP64 end of central directory record');
    }
    count = u64(dv, record + 32);
    offset = u64(dv, record + 48);
  }
  if (offset > bytes.length) throw new NpzFormatError('zip: central directory lies past the end of the file (truncated)');
  return { count, offset };
}

/** Sizes and offset that overflowed 32 bits live, in this order, in the ZIP64 extra field. */
function applyZip64Extra(entry: Entry, dv: DataView, extraStart: number, extraEnd: number): void {
  for (let at = extraStart; at + 4 <= extraEnd; ) {
    const id = dv.getUint16(at, true);
    const length = dv.getUint16(at + 2, true);
    if (id === ZIP64_EXTRA_ID) {
      let field = at + 4;
      if (entry.size === ZIP64_MARK) { entry.size = u64(dv, field); field += 8; }
      if (entry.compressedSize === ZIP64_MARK) { entry.compressedSize = u64(dv, field); field += 8; }
      if (entry.localOffset === ZIP64_MARK) entry.localOffset = u64(dv, field);
      return;
    }
    at += 4 + length;
  }
}

function readEntries(bytes: Uint8Array): Entry[] {
  const dv = view(bytes);
  const { count, offset } = centralDirectory(bytes, dv);
  const entries: Entry[] = [];
  let at = offset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.length || dv.getUint32(at, true) !== CENTRAL_SIGNATURE) {
      throw new NpzFormatError(`zip: central directory entry ${i} is damaged or truncated`);
    }
    const nameLength = dv.getUint16(at + 28, true);
    const extraLength = dv.getUint16(at + 30, true);
    const commentLength = dv.getUint16(at + 32, true);
    const nameStart = at + 46;
    const entry: Entry = {
      name: new TextDecoder().decode(bytes.subarray(nameStart, nameStart + nameLength)),
      method: dv.getUint16(at + 10, true),
      crc: dv.getUint32(at + 16, true),
      compressedSize: dv.getUint32(at + 20, true),
      size: dv.getUint32(at + 24, true),
      localOffset: dv.getUint32(at + 42, true),
    };
    applyZip64Extra(entry, dv, nameStart + nameLength, nameStart + nameLength + extraLength);
    entries.push(entry);
    at = nameStart + nameLength + extraLength + commentLength;
  }
  return entries;
}

function entryBytes(bytes: Uint8Array, entry: Entry): Uint8Array {
  const dv = view(bytes);
  const local = entry.localOffset;
  if (local + 30 > bytes.length || dv.getUint32(local, true) !== LOCAL_SIGNATURE) {
    throw new NpzFormatError(`zip: local header of '${entry.name}' is damaged or truncated`);
  }
  // The local header's own name and extra lengths: its extra field may differ from the central one.
  const start = local + 30 + dv.getUint16(local + 26, true) + dv.getUint16(local + 28, true);
  const end = start + entry.compressedSize;
  if (end > bytes.length) throw new NpzFormatError(`zip: '${entry.name}' runs past the end of the file (truncated)`);
  const stored = bytes.subarray(start, end);
  let data: Uint8Array;
  if (entry.method === METHOD_STORED) data = stored;
  else if (entry.method === METHOD_DEFLATE) {
    try {
      data = inflateRawSync(stored);
    } catch (err) {
      throw new NpzFormatError(`zip: '${entry.name}' does not inflate: ${(err as Error).message}`);
    }
  } else throw new NpzFormatError(`zip: '${entry.name}' uses compression method ${entry.method}; only stored and deflate are read`);
  if (data.length !== entry.size) throw new NpzFormatError(`zip: '${entry.name}' is ${data.length} bytes, its header says ${entry.size}`);
  if (crc32(data) !== entry.crc) throw new NpzFormatError(`zip: '${entry.name}' fails its CRC-32 check (corrupt)`);
  return data;
}

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Copies little-endian float32 bytes into an aligned array, swapping on a big-endian host. */
function float32FromLE(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length / 4);
  if (endianness() === 'LE') {
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  const dv = view(bytes);
  for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(i * 4, true);
  return out;
}

/** Parses one `.npy` file holding a little-endian float32 array in C order. */
export function readNpyFloat32(bytes: Uint8Array, label = 'array'): NpyFloat32 {
  if (bytes.length < 10 || NPY_MAGIC.some((b, i) => bytes[i] !== b)) throw new NpzFormatError(`npy: ${label} is not a .npy array`);
  const dv = view(bytes);
  const major = bytes[6];
  const headerLength = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const dataStart = (major === 1 ? 10 : 12) + headerLength;
  if (major < 1 || major > 3 || dataStart > bytes.length) throw new NpzFormatError(`npy: ${label} has a bad header (version ${major})`);
  const header = new TextDecoder().decode(bytes.subarray(major === 1 ? 10 : 12, dataStart));
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new NpzFormatError(`npy: ${label} header is not a numpy header`);
  if (descr !== '<f4') throw new NpzFormatError(`npy: ${label} holds '${descr}', expected little-endian float32 '<f4'`);
  if (fortran === 'True') throw new NpzFormatError(`npy: ${label} is in Fortran order, expected C order`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new NpzFormatError(`npy: ${label} has a bad shape (${shapeText})`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (bytes.length - dataStart !== count * 4) {
    throw new NpzFormatError(`npy: ${label} of shape [${shape.join(', ')}] needs ${count * 4} bytes of data, has ${bytes.length - dataStart}`);
  }
  return { shape, data: float32FromLE(bytes.subarray(dataStart)) };
}

/** Every `.npy` array of an `.npz` archive, by name without the `.npy` suffix, in archive order. */
export function readNpzFloat32(bytes: Uint8Array): Map<string, NpyFloat32> {
  const arrays = new Map<string, NpyFloat32>();
  for (const entry of readEntries(bytes)) {
    if (!entry.name.endsWith('.npy')) continue;
    const name = entry.name.slice(0, -'.npy'.length);
    arrays.set(name, readNpyFloat32(entryBytes(bytes, entry), `'${entry.name}'`));
  }
  return arrays;
}
