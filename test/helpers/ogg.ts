/**
 * A minimal Ogg demuxer (RFC 3533) for tests: splits a single-stream Ogg file into its packets, so
 * a test can feed an encoder's raw packets to a decoder the way a client would send them.
 * No CRC check and no multiplexed streams; it is for files ffmpeg has just written.
 */

const CAPTURE_PATTERN = 0x5367674f; // "OggS", little-endian
const HEADER_BYTES = 27;

/** Every packet of the stream in order, with packets that span pages joined. */
export function oggPackets(file: Uint8Array): Uint8Array[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const packets: Uint8Array[] = [];
  let pending: Uint8Array[] = [];
  let at = 0;
  while (at + HEADER_BYTES <= file.length) {
    if (view.getUint32(at, true) !== CAPTURE_PATTERN) throw new Error(`no Ogg page at byte ${at}`);
    const segmentCount = file[at + 26]!;
    const lacing = file.subarray(at + HEADER_BYTES, at + HEADER_BYTES + segmentCount);
    let body = at + HEADER_BYTES + segmentCount;
    for (const lace of lacing) {
      pending.push(file.subarray(body, body + lace));
      body += lace;
      // A lacing value under 255 ends a packet; 255 means it continues (possibly on the next page).
      if (lace < 255) {
        packets.push(Buffer.concat(pending));
        pending = [];
      }
    }
    at = body;
  }
  return packets;
}

/** The Opus audio packets of an Ogg Opus file: everything after OpusHead and OpusTags. */
export function oggOpusAudioPackets(file: Uint8Array): Uint8Array[] {
  const packets = oggPackets(file);
  const magic = (p: Uint8Array | undefined): string => Buffer.from(p?.subarray(0, 8) ?? []).toString('latin1');
  if (magic(packets[0]) !== 'OpusHead' || magic(packets[1]) !== 'OpusTags') throw new Error('not an Ogg Opus stream');
  return packets.slice(2);
}
