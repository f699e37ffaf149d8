/**
 * Splits a native FLAC stream (https://xiph.org/flac/format.html) into its metadata header and its
 * frames. A frame states no length, so one ends where the next valid frame header starts and the
 * frame's CRC-16 checks out: a frame is known whole only once the next one begins, or the stream ends.
 */

const MARKER = [0x66, 0x4c, 0x61, 0x43]; // "fLaC"
const BLOCK_HEADER_BYTES = 4;
const FOOTER_BYTES = 2;

/** Finds the units of one FLAC stream: first the marker with all metadata blocks, then one frame at a time. */
export class FlacSplitter {
  #inFrames = false;

  /** Bytes of the unit at `buf[0]`; 0 while it may not be complete. `atEnd`: no more bytes will come. Throws on bytes that are no FLAC. */
  unitLength(buf: Uint8Array, atEnd: boolean): number {
    const n = this.#inFrames ? frameLength(buf, atEnd) : headerLength(buf);
    if (n > 0) this.#inFrames = true;
    if (n === 0 && atEnd && buf.length > 0) throw new Error('FLAC stream ends inside a unit');
    return n;
  }
}

/** "fLaC" and every metadata block, up to the one flagged last. */
function headerLength(buf: Uint8Array): number {
  for (let i = 0; i < Math.min(buf.length, MARKER.length); i++) {
    if (buf[i] !== MARKER[i]) throw new Error('not a FLAC stream');
  }
  let at = MARKER.length;
  for (;;) {
    if (buf.length < at + BLOCK_HEADER_BYTES) return 0;
    const last = (buf[at]! & 0x80) !== 0;
    at += BLOCK_HEADER_BYTES + ((buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!);
    if (last) return buf.length >= at ? at : 0;
  }
}

function frameLength(buf: Uint8Array, atEnd: boolean): number {
  const header = frameHeaderLength(buf, 0);
  if (header === null) throw new Error('not a FLAC frame header');
  if (header === 0) return 0;
  let crc = 0;
  for (let i = 0; i < buf.length; i++) {
    // The CRC-16 of a whole frame, its own footer included, is 0.
    if (i >= header + FOOTER_BYTES && crc === 0 && buf[i] === 0xff) {
      const next = frameHeaderLength(buf, i);
      // A header cut short may be the next frame's: wait for it, unless nothing more is coming.
      if (next === 0 && !atEnd) return 0;
      if (next !== null && next > 0) return i;
    }
    crc = crc16Step(crc, buf[i]!);
  }
  return atEnd && crc === 0 ? buf.length : 0;
}

/** Length of a valid frame header at `buf[at]` (CRC-8 checked); 0 if it is cut short; null if it is none. */
function frameHeaderLength(buf: Uint8Array, at: number): number | null {
  const avail = buf.length - at;
  if (avail < 1) return 0;
  if (buf[at] !== 0xff) return null;
  if (avail < 5) return avail >= 2 && (buf[at + 1]! & 0xfe) !== 0xf8 ? null : 0;
  const [b1, b2, b3, b4] = [buf[at + 1]!, buf[at + 2]!, buf[at + 3]!, buf[at + 4]!];
  const blockSizeCode = b2 >> 4;
  const rateCode = b2 & 0x0f;
  if ((b1 & 0xfe) !== 0xf8 || blockSizeCode === 0 || rateCode === 0x0f || b3 >> 4 >= 11 || (b3 & 0x01) !== 0) return null;
  // The frame or sample number, UTF-8 coded (up to 7 bytes).
  const numberBytes = b4 < 0x80 ? 1 : b4 >= 0xc0 && b4 < 0xfe ? Math.clz32(~(b4 << 24)) : b4 === 0xfe ? 7 : 0;
  if (numberBytes === 0) return null;
  let len = 4 + numberBytes;
  if (blockSizeCode === 6) len += 1;
  else if (blockSizeCode === 7) len += 2;
  if (rateCode === 12) len += 1;
  else if (rateCode === 13 || rateCode === 14) len += 2;
  if (avail < len + 1) return 0;
  for (let i = 1; i < numberBytes; i++) if ((buf[at + 4 + i]! & 0xc0) !== 0x80) return null;
  let crc = 0;
  for (let i = 0; i < len; i++) crc = crc8Step(crc, buf[at + i]!);
  return crc === buf[at + len] ? len + 1 : null;
}

/** CRC-8, polynomial x^8 + x^2 + x + 1, initial 0 (the frame header's). */
function crc8Step(crc: number, byte: number): number {
  let c = crc ^ byte;
  for (let k = 0; k < 8; k++) c = c & 0x80 ? ((c << 1) ^ 0x07) & 0xff : (c << 1) & 0xff;
  return c;
}

/** CRC-16, polynomial x^16 + x^15 + x^2 + 1, initial 0 (the frame footer's). */
function crc16Step(crc: number, byte: number): number {
  let c = crc ^ (byte << 8);
  for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x8005) & 0xffff : (c << 1) & 0xffff;
  return c;
}
