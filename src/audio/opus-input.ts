/**
 * Decodes the raw Opus packets a live-voice client sends one by one (typically 20 ms each, no Ogg
 * or WebM container) into 48 kHz mono PCM16, with libopus compiled to WASM (`opus-decoder`).
 *
 * Each packet is checked against the framing rules of RFC 6716 §3.4 before libopus sees it, so a
 * malformed packet becomes an `OpusPacketError` for the caller instead of a line that
 * `opus-decoder` writes to the console; the decoder state is untouched and the next packet decodes.
 *
 * WHY a spare decoder: a well-framed but hostile packet can still trap inside the WASM (fuzzing a
 * stereo decoder with random packets hit "divide by zero" twice in 30 000, after earlier garbage had
 * left odd state). A trapped instance is unusable, even for `free()`, and building a new one is
 * asynchronous, so a ready spare is swapped in synchronously and the next one built behind it.
 */
import { OpusDecoder } from 'opus-decoder';

/** Opus always decodes at 48 kHz here: the codec's native rate, so libopus does no resampling. */
export const OPUS_SAMPLE_RATE_HZ = 48_000;

/** RFC 6716 §3.2.1: no frame is longer than 1275 bytes. */
const MAX_FRAME_BYTES = 1275;

/** RFC 6716 §3.2.5: a packet carries at most 120 ms of audio (5760 samples at 48 kHz). */
const MAX_PACKET_SAMPLES = 5760;

/**
 * `opus-decoder` copies each packet into a WASM buffer of 3840 bytes per channel (256 kb/s for
 * 120 ms); a longer packet would overrun it.
 */
const INPUT_BUFFER_BYTES_PER_CHANNEL = 3840;

export type OpusPacketErrorCode =
  /** The packet breaks the framing rules of RFC 6716 §3.4, or libopus refused it. */
  | 'invalid_packet'
  /** The packet is longer than the decoder's input buffer. */
  | 'packet_too_large';

/** A packet that cannot be decoded. The decoder that threw it is still usable. */
export class OpusPacketError extends Error {
  override readonly name = 'OpusPacketError';

  constructor(
    readonly code: OpusPacketErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface OpusInputDecoderOptions {
  /** Channels of the Opus stream the client encodes (default 1). Stereo is averaged to mono. */
  channels?: 1 | 2;
}

async function readyDecoder(channels: 1 | 2): Promise<OpusDecoder<typeof OPUS_SAMPLE_RATE_HZ>> {
  const decoder = new OpusDecoder({ channels, sampleRate: OPUS_SAMPLE_RATE_HZ });
  await decoder.ready;
  return decoder;
}

/** One client's Opus stream. Create it with `OpusInputDecoder.create()`; call `free()` when done. */
export class OpusInputDecoder {
  #decoder: OpusDecoder<typeof OPUS_SAMPLE_RATE_HZ> | undefined;
  /** Replaces `#decoder` if it traps; undefined while the next one is being built. */
  #spare: OpusDecoder<typeof OPUS_SAMPLE_RATE_HZ> | undefined;
  readonly #channels: 1 | 2;
  #freed = false;

  private constructor(
    decoder: OpusDecoder<typeof OPUS_SAMPLE_RATE_HZ>,
    spare: OpusDecoder<typeof OPUS_SAMPLE_RATE_HZ>,
    channels: 1 | 2,
  ) {
    this.#decoder = decoder;
    this.#spare = spare;
    this.#channels = channels;
  }

  /** Compiles (once per process) and instantiates the WASM decoder and its spare. */
  static async create(options: OpusInputDecoderOptions = {}): Promise<OpusInputDecoder> {
    const channels = options.channels ?? 1;
    const [decoder, spare] = await Promise.all([readyDecoder(channels), readyDecoder(channels)]);
    return new OpusInputDecoder(decoder, spare, channels);
  }

  /**
   * Decodes one Opus packet to 48 kHz mono PCM16: 960 samples for a 20 ms packet.
   * Throws `OpusPacketError` for a malformed packet, leaving the stream state as it was.
   */
  decode(packet: Uint8Array): Int16Array {
    if (this.#freed) throw new Error('OpusInputDecoder.decode() called after free()');
    const decoder = this.#decoder;
    if (decoder === undefined) throw new Error('OpusInputDecoder faulted twice before its spare was ready; call reset()');
    const limitBytes = INPUT_BUFFER_BYTES_PER_CHANNEL * this.#channels;
    if (packet.length > limitBytes) {
      throw new OpusPacketError('packet_too_large', `Opus packet of ${packet.length} bytes exceeds the ${limitBytes}-byte limit`);
    }
    const problem = framingProblem(packet);
    if (problem !== undefined) throw new OpusPacketError('invalid_packet', `invalid Opus packet: ${problem}`);

    let decoded: ReturnType<typeof decoder.decodeFrame>;
    try {
      decoded = decoder.decodeFrame(packet);
    } catch (error) {
      this.#replaceTrapped();
      throw new OpusPacketError('invalid_packet', `invalid Opus packet: libopus faulted (${String(error)}); stream restarted`);
    }
    const { channelData, samplesDecoded, errors } = decoded;
    if (errors.length > 0) throw new OpusPacketError('invalid_packet', `invalid Opus packet: ${errors[0]!.message}`);
    return toMonoPcm16(channelData, samplesDecoded);
  }

  /** Drops the trapped decoder without `free()` (its heap is corrupt) and swaps the spare in. */
  #replaceTrapped(): void {
    this.#decoder = this.#spare;
    this.#spare = undefined;
    this.#buildSpare();
  }

  #buildSpare(): void {
    readyDecoder(this.#channels).then(
      (spare) => {
        if (this.#freed || this.#spare !== undefined) spare.free();
        else this.#spare = spare;
      },
      () => {}, // instantiation failed: a second fault leaves the decoder unusable until reset()
    );
  }

  /**
   * Starts a new stream: prediction and packet-loss state from earlier packets is dropped.
   * `opus-decoder` resets by instantiating afresh, which is asynchronous; packets decoded before
   * the promise settles still continue the old stream.
   */
  async reset(): Promise<void> {
    const fresh = await readyDecoder(this.#channels);
    if (this.#freed) {
      fresh.free();
      return;
    }
    const old = this.#decoder;
    this.#decoder = fresh;
    // Undefined after two faults; then the spare is missing too.
    if (old === undefined) this.#buildSpare();
    else old.free();
  }

  /**
   * Releases the WASM allocations. The instance's WASM memory itself is reclaimed by the garbage
   * collector once the decoder is dropped, which is why the reference is cleared here. Idempotent.
   */
  free(): void {
    this.#decoder?.free();
    this.#spare?.free();
    this.#decoder = undefined;
    this.#spare = undefined;
    this.#freed = true;
  }
}

function clampToInt16(sample: number): number {
  const scaled = Math.round(sample * 32_768);
  return scaled > 32_767 ? 32_767 : scaled < -32_768 ? -32_768 : scaled;
}

function toMonoPcm16(channelData: readonly Float32Array[], samples: number): Int16Array {
  const pcm = new Int16Array(samples);
  const left = channelData[0]!;
  const right = channelData[1];
  if (right === undefined) {
    for (let i = 0; i < samples; i++) pcm[i] = clampToInt16(left[i]!);
  } else {
    for (let i = 0; i < samples; i++) pcm[i] = clampToInt16((left[i]! + right[i]!) / 2);
  }
  return pcm;
}

/** Samples at 48 kHz per frame, by TOC config (RFC 6716 §3.1, Table 2). */
function frameSamples(config: number): number {
  if (config < 12) return [480, 960, 1920, 2880][config % 4]!; // SILK-only: 10, 20, 40, 60 ms
  if (config < 16) return [480, 960][config % 2]!; // Hybrid: 10, 20 ms
  return [120, 240, 480, 960][config % 4]!; // CELT-only: 2.5, 5, 10, 20 ms
}

/**
 * Reads a frame length (RFC 6716 §3.2.1) at `at`: one byte below 252, else two.
 * Returns [length, bytes used], or undefined if the packet ends first.
 */
function frameLength(packet: Uint8Array, at: number): [number, number] | undefined {
  const first = packet[at];
  if (first === undefined) return undefined;
  if (first < 252) return [first, 1];
  const second = packet[at + 1];
  return second === undefined ? undefined : [second * 4 + first, 2];
}

/** Why `packet` breaks RFC 6716 §3.4's requirements R1–R7, or undefined if it does not. */
function framingProblem(packet: Uint8Array): string | undefined {
  if (packet.length === 0) return 'empty packet'; // R1
  const toc = packet[0]!;
  const body = packet.length - 1;
  switch (toc & 0x03) {
    case 0: // one frame
      return body > MAX_FRAME_BYTES ? 'frame longer than 1275 bytes' : undefined; // R2
    case 1: // two frames of equal size
      if (body % 2 !== 0) return 'code 1 packet with an odd payload length'; // R3
      return body / 2 > MAX_FRAME_BYTES ? 'frame longer than 1275 bytes' : undefined;
    case 2: {
      // two frames, the first one's length coded
      const first = frameLength(packet, 1);
      if (first === undefined) return 'code 2 packet ends inside the frame length'; // R4
      const [length, used] = first;
      const second = body - used - length;
      if (second < 0) return 'code 2 first frame runs past the end'; // R4
      return length > MAX_FRAME_BYTES || second > MAX_FRAME_BYTES ? 'frame longer than 1275 bytes' : undefined;
    }
    default:
      return code3Problem(packet, toc);
  }
}

/** R5–R7: a code 3 packet, M frames with optional padding, CBR or VBR. */
function code3Problem(packet: Uint8Array, toc: number): string | undefined {
  const countByte = packet[1];
  if (countByte === undefined) return 'code 3 packet without a frame count byte'; // R5
  const frames = countByte & 0x3f;
  if (frames === 0) return 'code 3 packet with zero frames'; // R5
  if (frames * frameSamples(toc >> 3) > MAX_PACKET_SAMPLES) return 'more than 120 ms of audio'; // R5
  const vbr = (countByte & 0x80) !== 0;
  let at = 2;
  let padding = 0;
  if (countByte & 0x40) {
    // Padding length: each 255 byte adds 254 and continues; the first other byte ends it.
    for (;;) {
      const lengthByte = packet[at++];
      if (lengthByte === undefined) return 'code 3 padding length runs past the end'; // R6/R7
      padding += lengthByte === 255 ? 254 : lengthByte;
      if (lengthByte !== 255) break;
    }
  }
  let remaining = packet.length - at - padding;
  if (remaining < 0) return 'code 3 padding longer than the packet'; // R6/R7
  if (!vbr) {
    if (remaining % frames !== 0) return 'code 3 CBR payload not a multiple of the frame count'; // R6
    return remaining / frames > MAX_FRAME_BYTES ? 'frame longer than 1275 bytes' : undefined;
  }
  for (let frame = 0; frame < frames - 1; frame++) {
    const coded = frameLength(packet, at);
    if (coded === undefined) return 'code 3 VBR frame lengths run past the end'; // R7
    const [length, used] = coded;
    at += used;
    remaining -= used + length;
    if (remaining < 0) return 'code 3 VBR frames run past the end'; // R7
    if (length > MAX_FRAME_BYTES) return 'frame longer than 1275 bytes';
  }
  return remaining > MAX_FRAME_BYTES ? 'frame longer than 1275 bytes' : undefined; // R7: last frame
}
