/**
 * Audio in and out of a Realtime session. Inside, a session works on 24 kHz mono PCM16 (the
 * protocol's `audio/pcm`); clients may send and receive G.711 (8 kHz telephony) instead, or send
 * raw Opus packets (our extension), and these convert at the edges.
 */
import { decodeAlaw, decodeMulaw, encodeAlaw, encodeMulaw } from '../../audio/g711.js';
import { OPUS_SAMPLE_RATE_HZ, OpusInputDecoder } from '../../audio/opus-input.js';
import { OUTPUT_SAMPLE_RATE_HZ } from '../../audio/pcm.js';
import { StreamResampler } from '../../audio/resample.js';
import { ApiError } from '../../errors.js';
import type { AudioFormatType, SessionConfig } from './session-config.js';

export const SESSION_RATE_HZ = OUTPUT_SAMPLE_RATE_HZ;
const G711_RATE_HZ = 8000;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes `audio` fields: base64 text to bytes, with a 400 for anything else. */
export function base64Bytes(value: unknown, param: string): Buffer {
  if (typeof value !== 'string') throw new ApiError('invalid_type', `'${param}' must be a base64 string.`, param);
  if (value.length % 4 === 1 || !BASE64.test(value)) throw new ApiError('invalid_value', `'${param}' is not valid base64.`, param);
  return Buffer.from(value, 'base64');
}

/** One session's input converter; keeps state across appends (a PCM sample split between two). */
export class InputDecoder {
  private carry: number | null = null;
  private readonly resampler: StreamResampler | null;
  private opus: OpusInputDecoder | null = null;

  private constructor(readonly format: AudioFormatType) {
    this.resampler =
      format === 'audio/pcmu' || format === 'audio/pcma'
        ? new StreamResampler(G711_RATE_HZ, SESSION_RATE_HZ)
        : format === 'audio/opus'
          ? new StreamResampler(OPUS_SAMPLE_RATE_HZ, SESSION_RATE_HZ)
          : null;
  }

  static async create(format: AudioFormatType): Promise<InputDecoder> {
    const decoder = new InputDecoder(format);
    if (format === 'audio/opus') decoder.opus = await OpusInputDecoder.create({ channels: 1 });
    return decoder;
  }

  /** Converts one append's bytes to session-rate PCM (possibly empty). */
  decode(bytes: Uint8Array): Int16Array {
    switch (this.format) {
      case 'audio/pcm':
        return this.pcm16(bytes);
      case 'audio/pcmu':
        return this.resampler!.process(decodeMulaw(bytes));
      case 'audio/pcma':
        return this.resampler!.process(decodeAlaw(bytes));
      case 'audio/opus': {
        let pcm: Int16Array;
        try {
          pcm = this.opus!.decode(bytes);
        } catch (err) {
          throw new ApiError('invalid_audio', `The appended audio is not a valid Opus packet: ${(err as Error).message}`, 'audio');
        }
        return this.resampler!.process(pcm);
      }
    }
  }

  free(): void {
    this.opus?.free();
    this.opus = null;
  }

  private pcm16(bytes: Uint8Array): Int16Array {
    const total = bytes.length + (this.carry === null ? 0 : 1);
    const out = new Int16Array(total >> 1);
    let i = 0;
    let o = 0;
    if (this.carry !== null && bytes.length > 0) {
      out[o++] = (this.carry | (bytes[0]! << 8)) << 16 >> 16;
      i = 1;
      this.carry = null;
    }
    for (; i + 1 < bytes.length; i += 2) out[o++] = (bytes[i]! | (bytes[i + 1]! << 8)) << 16 >> 16;
    if (i < bytes.length) this.carry = bytes[i]!;
    return out;
  }
}

/** One response's output converter. */
export class OutputEncoder {
  private readonly resampler: StreamResampler | null;

  constructor(readonly format: SessionConfig['outputFormat']) {
    this.resampler = format === 'audio/pcm' ? null : new StreamResampler(SESSION_RATE_HZ, G711_RATE_HZ);
  }

  encode(pcm: Int16Array): Uint8Array {
    if (this.format === 'audio/pcm') return new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    const narrow = this.resampler!.process(pcm);
    return this.format === 'audio/pcmu' ? encodeMulaw(narrow) : encodeAlaw(narrow);
  }

  /** The resampler's tail, at the end of a response. */
  flush(): Uint8Array {
    if (!this.resampler) return new Uint8Array(0);
    const tail = this.resampler.flush();
    return this.format === 'audio/pcmu' ? encodeMulaw(tail) : encodeAlaw(tail);
  }
}
