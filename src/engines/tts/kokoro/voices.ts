/**
 * Kokoro's voices: reading the two published layouts, choosing the style vector for an
 * input's length, mixing voices, and what a voice's id says about it.
 *
 * A voice is a style table of 510 rows of 256 floats, one row per input length
 * (hexgrad/Kokoro-82M voices/*.pt are tensors of shape [510, 1, 256]). Two layouts:
 * - kokoro-onnx's `voices-v1.0.bin`: a NumPy `.npz`, one `<voice>.npy` of shape [510, 1, 256]
 *   float32 per voice (kokoro-onnx `Kokoro.__init__`: `np.load(voices_path)`, then
 *   `self.voices[name]`).
 * - onnx-community/Kokoro-82M-v1.0-ONNX `voices/<voice>.bin`: the same table as raw
 *   little-endian float32, 510 * 256 values, no header (hexgrad/kokoro kokoro.js/src/voices.js
 *   `getVoiceData`: `new Float32Array(buffer)`; each file there is 522240 bytes).
 */
import { ApiError } from '../../../errors.js';
import type { Gender } from '../types.js';
import { readNpzFloat32, NpzFormatError } from './npz.js';
import { MAX_PHONEME_TOKENS } from './vocab.js';

/** Floats per style vector (the model's `style` input is [1, 256]). */
export const STYLE_DIM = 256;
/** Rows per voice table: one per phoneme count the model takes. */
export const STYLE_ROWS = MAX_PHONEME_TOKENS;
const TABLE_FLOATS = STYLE_ROWS * STYLE_DIM;
/** Most voices one mix may name: enough for any blend people make, bounded work per request. */
export const MAX_MIX_VOICES = 8;

/** Voice name -> its style table (STYLE_ROWS * STYLE_DIM floats, row-major). */
export type KokoroVoicePack = ReadonlyMap<string, Float32Array>;

/** True when the bytes are a zip archive (the `.npz` layout) rather than one raw table. */
export function isZipArchive(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** Reads kokoro-onnx's `voices-v1.0.bin` (`.npz`). Throws NpzFormatError naming what is wrong. */
export function readVoicesNpz(bytes: Uint8Array): Map<string, Float32Array> {
  const pack = new Map<string, Float32Array>();
  for (const [name, array] of readNpzFloat32(bytes)) {
    const [rows, ...rest] = array.shape;
    const middle = rest.slice(0, -1);
    const shapeOk = rows === STYLE_ROWS && rest[rest.length - 1] === STYLE_DIM && middle.every((d) => d === 1) && rest.length <= 2;
    if (!shapeOk) {
      throw new NpzFormatError(`voice '${name}' has shape [${array.shape.join(', ')}], expected [${STYLE_ROWS}, 1, ${STYLE_DIM}]`);
    }
    pack.set(name, array.data);
  }
  if (pack.size === 0) throw new NpzFormatError('the voices archive holds no voices');
  return pack;
}

/** Reads one raw per-voice `.bin` (onnx-community layout). Throws NpzFormatError on a bad size. */
export function readVoiceBin(bytes: Uint8Array, name: string): Float32Array {
  if (bytes.length !== TABLE_FLOATS * 4) {
    throw new NpzFormatError(`voice file '${name}.bin' is ${bytes.length} bytes, expected ${TABLE_FLOATS * 4} (${STYLE_ROWS} x ${STYLE_DIM} float32)`);
  }
  const table = new Float32Array(TABLE_FLOATS);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < TABLE_FLOATS; i++) table[i] = dv.getFloat32(i * 4, true);
  return table;
}

/**
 * The style vector for an input of `tokenCount` phoneme tokens (pads not counted): row
 * `tokenCount`, as both ONNX references index it (kokoro-onnx `voice[len(tokens)]` with tokens
 * unpadded; kokoro.js `min(max(ids - 2, 0), 509)`), clamped to the last row. hexgrad's PyTorch
 * pipeline indexes `pack[len(ps) - 1]` instead, one row earlier; we follow the ONNX exports'
 * own loaders. Returns a copy of 256 floats.
 */
export function styleForTokens(table: Float32Array, tokenCount: number): Float32Array {
  if (!Number.isInteger(tokenCount) || tokenCount < 0) throw new RangeError(`token count must be a whole number >= 0, got ${tokenCount}`);
  const row = Math.min(tokenCount, STYLE_ROWS - 1);
  return table.slice(row * STYLE_DIM, (row + 1) * STYLE_DIM);
}

export interface VoiceMixPart {
  voice: string;
  weight: number;
}

const PART = /^([A-Za-z0-9_-]+)(?:\(\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*\))?$/;

/**
 * Parses `af_bella`, `af_bella+af_sky` (equal weights) or `af_bella(2)+af_sky(1)` (relative
 * weights, any positive numbers). ',' separates like '+' (hexgrad/kokoro `load_voice`'s own
 * delimiter). Throws ApiError invalid_value (param `voice`) for a malformed mix.
 */
export function parseVoiceMix(spec: string): VoiceMixPart[] {
  const pieces = spec.split(/[+,]/).map((p) => p.trim());
  if (pieces.length > MAX_MIX_VOICES) {
    throw new ApiError('invalid_value', `A voice mix names at most ${MAX_MIX_VOICES} voices; '${spec}' names ${pieces.length}.`, 'voice');
  }
  return pieces.map((piece) => {
    const m = PART.exec(piece);
    if (!m) {
      throw new ApiError('invalid_value', `Cannot read '${piece}' in voice '${spec}': write a voice id, optionally with a weight, e.g. 'af_bella(2)+af_sky(1)'.`, 'voice');
    }
    const weight = m[2] === undefined ? 1 : Number(m[2]);
    if (!Number.isFinite(weight) || weight <= 0) {
      throw new ApiError('invalid_value', `The weight of '${m[1]}' in voice '${spec}' must be a number greater than 0.`, 'voice');
    }
    return { voice: m[1], weight };
  });
}

/** Weighted mean of style tables: sum(w_i * T_i) / sum(w_i); equal weights give the plain mean. */
export function mixStyleTables(parts: ReadonlyArray<{ table: Float32Array; weight: number }>): Float32Array {
  if (parts.length === 0) throw new RangeError('nothing to mix');
  const total = parts.reduce((sum, p) => sum + p.weight, 0);
  const out = new Float32Array(parts[0].table.length);
  for (const { table, weight } of parts) {
    if (table.length !== out.length) throw new RangeError('style tables of different sizes');
    const w = weight / total;
    for (let i = 0; i < out.length; i++) out[i] += w * table[i];
  }
  return out;
}

/**
 * The style table a voice spec names, mixed when it names several. Unknown names are
 * ApiError voice_not_found (param `voice`); the pack's own table is returned unmixed (no copy).
 */
export function voiceTableFor(pack: KokoroVoicePack, spec: string): Float32Array {
  const parts = parseVoiceMix(spec);
  const tables = parts.map(({ voice, weight }) => {
    const table = pack.get(voice);
    if (!table) throw new ApiError('voice_not_found', `Kokoro has no voice '${voice}'. GET /v1/voices/?model=kokoro lists its voices.`, 'voice');
    return { table, weight };
  });
  return tables.length === 1 ? tables[0].table : mixStyleTables(tables);
}

/** What a Kokoro voice id's two-letter prefix says (hexgrad/Kokoro-82M VOICES.md). */
export interface KokoroVoiceInfo {
  /** Language code for `/v1/voices/`, e.g. `en-us`, `pt-br`. */
  language: string;
  gender: Gender;
  /** Display name: the part after the prefix, capitalised (`af_bella` -> `Bella`). */
  name: string;
  /** The eSpeak NG voice that phonemizes for it (hexgrad/kokoro pipeline.py `LANG_CODES`). */
  espeakVoice: string;
}

/** First letter of a voice id -> language, and the eSpeak voice misaki uses for it. */
const LANGUAGES: Readonly<Record<string, { language: string; espeakVoice: string }>> = {
  a: { language: 'en-us', espeakVoice: 'en-us' },
  b: { language: 'en-gb', espeakVoice: 'en-gb' },
  e: { language: 'es', espeakVoice: 'es' },
  f: { language: 'fr', espeakVoice: 'fr-fr' },
  h: { language: 'hi', espeakVoice: 'hi' },
  i: { language: 'it', espeakVoice: 'it' },
  p: { language: 'pt-br', espeakVoice: 'pt-br' },
  j: { language: 'ja', espeakVoice: 'ja' },
  z: { language: 'zh', espeakVoice: 'cmn' },
};

/** Metadata from an id like `af_bella`; undefined when the prefix is not one Kokoro publishes. */
export function kokoroVoiceInfo(id: string): KokoroVoiceInfo | undefined {
  const m = /^([a-z])([fm])_(.+)$/.exec(id);
  const lang = m ? LANGUAGES[m[1]] : undefined;
  if (!m || !lang) return undefined;
  return {
    language: lang.language,
    gender: m[2] === 'f' ? 'female' : 'male',
    name: m[3].charAt(0).toUpperCase() + m[3].slice(1),
    espeakVoice: lang.espeakVoice,
  };
}
