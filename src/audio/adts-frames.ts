/** AAC ADTS frame lengths, read from the frame header (ISO/IEC 13818-7, 6.2). */

const HEADER_BYTES = 7;

/** Bytes of the ADTS frame starting at `buf[0]`, header included; 0 while the header is incomplete. Throws on no ADTS header. */
export function adtsFrameLength(buf: Uint8Array): number {
  if (buf.length < HEADER_BYTES) return 0;
  // 12-bit sync word, then the layer bits, always 00.
  if (buf[0] !== 0xff || (buf[1]! & 0xf6) !== 0xf0) throw new Error('not an ADTS frame header');
  const length = ((buf[3]! & 0x03) << 11) | (buf[4]! << 3) | (buf[5]! >> 5);
  if (length < HEADER_BYTES) throw new Error('ADTS frame shorter than its header');
  return length;
}
