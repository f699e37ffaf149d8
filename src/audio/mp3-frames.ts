/**
 * MPEG audio Layer III frame lengths, read from the 4-byte frame header (ISO/IEC 11172-3 and
 * 13818-3; MPEG 2.5 as LAME writes it). libmp3lame is the only MP3 encoder here, so only Layer III
 * is known.
 */

const HEADER_BYTES = 4;
/** kbps by bitrate index, Layer III. */
const MPEG1_KBPS = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const MPEG2_KBPS = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
/** Hz by sample-rate index, by the header's version bits (0: 2.5, 2: 2, 3: 1). */
const SAMPLE_RATES_HZ: Record<number, readonly number[]> = { 0: [11025, 12000, 8000], 2: [22050, 24000, 16000], 3: [44100, 48000, 32000] };

/**
 * Bytes of the frame starting at `buf[0]`; 0 while fewer than 4 bytes are there. Throws when the
 * bytes are no Layer III frame header (free-format frames, which LAME never writes, included).
 */
export function mp3FrameLength(buf: Uint8Array): number {
  if (buf.length < HEADER_BYTES) return 0;
  const [b0, b1, b2] = [buf[0]!, buf[1]!, buf[2]!];
  const version = (b1 >> 3) & 3;
  const layer = (b1 >> 1) & 3;
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 3;
  const rates = SAMPLE_RATES_HZ[version];
  if (b0 !== 0xff || (b1 & 0xe0) !== 0xe0 || !rates || layer !== 1 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) {
    throw new Error('not an MPEG Layer III frame header');
  }
  const padding = (b2 >> 1) & 1;
  const kbps = (version === 3 ? MPEG1_KBPS : MPEG2_KBPS)[bitrateIndex]!;
  // 1152 samples a frame in MPEG 1, 576 in MPEG 2 and 2.5: 144 or 72 bytes per kbps per Hz.
  const bytesPerKbps = version === 3 ? 144_000 : 72_000;
  return Math.floor((bytesPerKbps * kbps) / rates[rateIndex]!) + padding;
}
