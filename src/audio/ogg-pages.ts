/** Ogg page lengths, read from the page header and its segment table (RFC 3533, section 6). */

const HEADER_BYTES = 27;
const CAPTURE = [0x4f, 0x67, 0x67, 0x53]; // "OggS"

/** Bytes of the page starting at `buf[0]`; 0 while its header or segment table is incomplete. Throws on no Ogg page. */
export function oggPageLength(buf: Uint8Array): number {
  for (let i = 0; i < Math.min(buf.length, CAPTURE.length); i++) {
    if (buf[i] !== CAPTURE[i]) throw new Error('not an Ogg page');
  }
  if (buf.length < HEADER_BYTES) return 0;
  const segments = buf[26]!;
  if (buf.length < HEADER_BYTES + segments) return 0;
  let body = 0;
  for (let i = 0; i < segments; i++) body += buf[HEADER_BYTES + i]!;
  return HEADER_BYTES + segments + body;
}
