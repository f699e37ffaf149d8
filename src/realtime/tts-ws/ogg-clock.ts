/**
 * How much audio an Ogg Opus byte stream has delivered so far, read from its page headers
 * (RFC 3533 page layout, RFC 7845 granule positions and pre-skip). The encoder runs behind the
 * PCM fed to it, so this is what tells a session when an event may follow the audio it is about.
 */

const PAGE_HEADER_BYTES = 27;
const OPUS_GRANULE_RATE_HZ = 48_000;

export class OggOpusClock {
  #carry: Uint8Array = new Uint8Array(0);
  #preSkip = 0;
  #granule = 0;
  #sawHead = false;

  /** Samples at `sampleRateHz` delivered by the complete pages seen so far. */
  deliveredSamples(sampleRateHz: number): number {
    const samples48k = Math.max(0, this.#granule - this.#preSkip);
    return Math.floor((samples48k * sampleRateHz) / OPUS_GRANULE_RATE_HZ);
  }

  /** Reads the page headers in `bytes` (pages may span calls). */
  push(bytes: Uint8Array): void {
    let buf = bytes;
    if (this.#carry.length > 0) {
      buf = new Uint8Array(this.#carry.length + bytes.length);
      buf.set(this.#carry);
      buf.set(bytes, this.#carry.length);
    }
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let at = 0;
    while (buf.length - at >= PAGE_HEADER_BYTES) {
      const segments = buf[at + 26]!;
      const headerBytes = PAGE_HEADER_BYTES + segments;
      if (buf.length - at < headerBytes) break;
      let bodyBytes = 0;
      for (let i = 0; i < segments; i++) bodyBytes += buf[at + PAGE_HEADER_BYTES + i]!;
      if (buf.length - at < headerBytes + bodyBytes) break;
      const body = at + headerBytes;
      if (!this.#sawHead && bodyBytes >= 12 && String.fromCharCode(...buf.subarray(body, body + 8)) === 'OpusHead') {
        this.#sawHead = true;
        this.#preSkip = view.getUint16(body + 10, true);
      }
      // -1 marks a page on which no packet ends.
      const granule = view.getBigInt64(at + 6, true);
      if (granule >= 0n) this.#granule = Number(granule);
      at += headerBytes + bodyBytes;
    }
    this.#carry = buf.slice(at);
  }
}
