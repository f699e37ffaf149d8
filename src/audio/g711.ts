/**
 * ITU-T G.711 μ-law and A-law: the 8 kHz mono telephony codecs behind OpenAI Realtime's
 * `audio/pcmu` and `audio/pcma` formats.
 *
 * Decoding expands each byte with the algorithm of Sun's public-domain g711.c (the one ffmpeg's
 * pcm_mulaw/pcm_alaw use), precomputed into a 256-entry table. Encoding looks the sample up in a
 * 16384-entry table indexed by the top 14 bits, built the way ffmpeg's `build_xlaw_table` does: each
 * code covers the inputs nearer to its reconstruction level than to its neighbours'. Output is
 * byte-identical to ffmpeg's for all 65536 inputs. WHY ffmpeg's rule and not Sun's `linear2ulaw`:
 * the two agree except within a few LSB of the segment edges (512 inputs for μ-law, 964 for A-law),
 * where Sun cuts at the edge and ffmpeg at the midpoint between levels (one code apart, so the
 * error differs by a fraction of a step); matching ffmpeg keeps our output checkable against it.
 * Neither direction allocates per sample.
 */

const MULAW_BIAS = 0x84;

/** Sun g711.c `ulaw2linear`: 16-bit linear value of a μ-law byte. */
function mulawByteToLinear(byte: number): number {
  const u = ~byte & 0xff;
  const magnitude = (((u & 0x0f) << 3) + MULAW_BIAS) << ((u & 0x70) >> 4);
  return u & 0x80 ? MULAW_BIAS - magnitude : magnitude - MULAW_BIAS;
}

/** Sun g711.c `alaw2linear`: 16-bit linear value of an A-law byte. */
function alawByteToLinear(byte: number): number {
  const a = byte ^ 0x55;
  const segment = (a & 0x70) >> 4;
  let magnitude = (a & 0x0f) << 4;
  if (segment === 0) magnitude += 8;
  else magnitude = (magnitude + 0x108) << (segment - 1);
  return a & 0x80 ? magnitude : -magnitude;
}

function decodeTable(toLinear: (byte: number) => number): Int16Array {
  const table = new Int16Array(256);
  for (let byte = 0; byte < 256; byte++) table[byte] = toLinear(byte);
  return table;
}

/**
 * ffmpeg `build_xlaw_table`. Index i stands for the 16-bit inputs (i - 8192) << 2 .. +3; codes are
 * walked outwards from zero in order of magnitude, and each takes every index below the midpoint
 * between its level and the next one's. `mask` is the codec's bit inversion (0xff for μ-law, 0xd5
 * for A-law); `mask ^ 0x80` gives the negative code of the same magnitude.
 */
function encodeTable(toLinear: (byte: number) => number, mask: number): Uint8Array {
  const table = new Uint8Array(16_384);
  table[8192] = mask;
  let j = 1;
  for (let i = 0; i < 127; i++) {
    const midpoint = (toLinear(i ^ mask) + toLinear((i + 1) ^ mask) + 4) >> 3;
    for (; j < midpoint; j++) {
      table[8192 - j] = i ^ mask ^ 0x80;
      table[8192 + j] = i ^ mask;
    }
  }
  for (; j < 8192; j++) {
    table[8192 - j] = 127 ^ mask ^ 0x80;
    table[8192 + j] = 127 ^ mask;
  }
  // Index 0 (-32768 .. -32765) has no mirror on the positive side; it takes its neighbour's code.
  table[0] = table[1]!;
  return table;
}

const MULAW_TO_LINEAR = decodeTable(mulawByteToLinear);
const ALAW_TO_LINEAR = decodeTable(alawByteToLinear);
const LINEAR_TO_MULAW = encodeTable(mulawByteToLinear, 0xff);
const LINEAR_TO_ALAW = encodeTable(alawByteToLinear, 0xd5);

function decodeWith(table: Int16Array, bytes: Uint8Array): Int16Array {
  const pcm = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) pcm[i] = table[bytes[i]!]!;
  return pcm;
}

function encodeWith(table: Uint8Array, pcm: Int16Array): Uint8Array {
  const bytes = new Uint8Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) bytes[i] = table[(pcm[i]! + 32_768) >> 2]!;
  return bytes;
}

/** G.711 μ-law bytes to PCM16, one sample per byte. */
export function decodeMulaw(bytes: Uint8Array): Int16Array {
  return decodeWith(MULAW_TO_LINEAR, bytes);
}

/** PCM16 to G.711 μ-law bytes, one byte per sample. */
export function encodeMulaw(pcm: Int16Array): Uint8Array {
  return encodeWith(LINEAR_TO_MULAW, pcm);
}

/** G.711 A-law bytes to PCM16, one sample per byte. */
export function decodeAlaw(bytes: Uint8Array): Int16Array {
  return decodeWith(ALAW_TO_LINEAR, bytes);
}

/** PCM16 to G.711 A-law bytes, one byte per sample. */
export function encodeAlaw(pcm: Int16Array): Uint8Array {
  return encodeWith(LINEAR_TO_ALAW, pcm);
}
