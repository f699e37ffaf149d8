/**
 * File-to-file conversion for `POST /v1/audio/convert/`: an upload on disk through one ffmpeg
 * process straight to the response, the encoded bytes yielded as ffmpeg writes them, so neither
 * the input nor the output is ever held whole in memory. Separate from `encode.ts`, which encodes
 * our own mono PCM: here the input is any container and the output may be stereo.
 *
 * Every output is written to a pipe, so formats whose headers are normally rewritten at the end
 * are written in their streamable form: WAV with open-ended sizes, FLAC without a sample count,
 * M4A as fragmented MP4 (`empty_moov`), which players and ffprobe read like a plain one.
 */
import { resolve } from 'node:path';

import { ffmpegPath } from './ffmpeg-binaries.js';
import { SAFE_INPUT_ARGS } from './ffmpeg-input.js';
import { FfmpegProcess, stdoutOf } from './ffmpeg-process.js';

/** The formats the convert endpoint writes (API.md, Audio tools). */
export type ConvertFormat = 'mp3' | 'wav' | 'flac' | 'ogg' | 'm4a' | 'aac';
export const CONVERT_FORMATS: readonly ConvertFormat[] = ['mp3', 'wav', 'flac', 'ogg', 'm4a', 'aac'];
/** Bitrates (kbps) a client may ask for. */
export const CONVERT_BITRATES_KBPS: readonly number[] = [64, 128, 192, 256, 320];
export const CONVERT_SAMPLE_RATES_HZ: readonly number[] = [22050, 44100, 48000];

/** WAV and FLAC keep every sample: a bitrate means nothing to them and is ignored. */
export const LOSSLESS_FORMATS: ReadonlySet<ConvertFormat> = new Set(['wav', 'flac']);

const CONTENT_TYPES: Record<ConvertFormat, string> = {
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  flac: 'audio/flac',
  ogg: 'audio/ogg',
  m4a: 'audio/mp4',
  aac: 'audio/aac',
};

/**
 * libvorbis refuses bitrates beyond what it tuned for a rate and channel count (320 kbps at
 * 22.05 kHz mono fails outright), so Ogg goes through its quality scale, which every combination
 * accepts. Levels whose nominal rate at 44.1 kHz stereo is near the asked one (libvorbis docs:
 * q0 ≈ 64, q4 ≈ 128, q6 ≈ 192, q8 ≈ 256, q9 ≈ 320 kbps).
 */
const VORBIS_QUALITY_BY_KBPS: Record<number, number> = { 64: 0, 128: 4, 192: 6, 256: 8, 320: 9 };

export interface TranscodeOptions {
  format: ConvertFormat;
  /** One of CONVERT_BITRATES_KBPS; ignored by the lossless formats. */
  bitrateKbps: number;
  sampleRateHz: number;
  channels: 1 | 2;
}

/** The Content-Type of a converted file. */
export function convertContentType(format: ConvertFormat): string {
  return CONTENT_TYPES[format];
}

/** ffmpeg's codec and muxer options (after the input) for `opts`. */
function outputArgs(opts: TranscodeOptions): string[] {
  const bitrate = `${opts.bitrateKbps}k`;
  switch (opts.format) {
    // MPEG-2 Layer III (22.05 kHz) tops out at 160 kbps; LAME caps a higher ask there.
    case 'mp3':
      return ['-c:a', 'libmp3lame', '-b:a', bitrate, '-write_xing', '0', '-f', 'mp3'];
    case 'wav':
      return ['-c:a', 'pcm_s16le', '-f', 'wav'];
    case 'flac':
      return ['-c:a', 'flac', '-f', 'flac'];
    case 'ogg':
      return ['-c:a', 'libvorbis', '-q:a', String(VORBIS_QUALITY_BY_KBPS[opts.bitrateKbps] ?? 4), '-f', 'ogg'];
    // The native AAC encoder caps a bitrate its frame size cannot hold (e.g. 320 kbps at 22.05 kHz mono).
    case 'm4a':
      return ['-c:a', 'aac', '-b:a', bitrate, '-movflags', 'frag_keyframe+empty_moov+default_base_moof', '-f', 'ipod'];
    case 'aac':
      return ['-c:a', 'aac', '-b:a', bitrate, '-f', 'adts'];
    default: {
      const never: never = opts.format;
      throw new TypeError(`unknown format ${String(never)}`);
    }
  }
}

/**
 * Converts the first audio stream of the file at `path` (an upload already checked with
 * `probeUpload`) and yields the output's bytes as ffmpeg writes them. While the consumer holds a
 * chunk (a slow client), ffmpeg blocks on its full pipe. ffmpeg is killed when `signal` aborts or
 * the consumer stops early; iteration then throws `signal.reason`. A failure of ffmpeg itself is an
 * Error with the tail of its stderr, thrown after the bytes it did write.
 */
export async function* transcodeFile(path: string, opts: TranscodeOptions, signal: AbortSignal): AsyncGenerator<Uint8Array, void, undefined> {
  signal.throwIfAborted();
  const proc = new FfmpegProcess(ffmpegPath(), [
    '-hide_banner', '-loglevel', 'error', '-nostdin', ...SAFE_INPUT_ARGS,
    // `file:` makes ffmpeg take the path literally, never as another protocol.
    '-i', `file:${resolve(path)}`,
    '-map', '0:a:0', '-map_metadata', '-1',
    '-ac', String(opts.channels), '-ar', String(opts.sampleRateHz),
    '-threads', '1',
    ...outputArgs(opts),
    'pipe:1',
  ]);
  yield* stdoutOf(proc, 'audio conversion failed', signal);
}
