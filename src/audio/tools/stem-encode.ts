/**
 * A tool's raw float output (interleaved f32le, written by the pool worker) encoded to the asked
 * format through one ffmpeg, with the gain the run measured (loudness normalisation, peak guard)
 * and the output rate the client gets. Streams: the encoded bytes are yielded as ffmpeg writes them.
 */
import { resolve } from 'node:path';

import { ffmpegPath } from '../ffmpeg-binaries.js';
import { FfmpegProcess, stdoutOf } from '../ffmpeg-process.js';

export type ToolFormat = 'wav' | 'mp3' | 'flac';
export const TOOL_FORMATS: readonly ToolFormat[] = ['wav', 'mp3', 'flac'];

const CONTENT_TYPES: Record<ToolFormat, string> = { wav: 'audio/wav', mp3: 'audio/mpeg', flac: 'audio/flac' };

export function toolContentType(format: ToolFormat): string {
  return CONTENT_TYPES[format];
}

export interface StemEncodeOptions {
  /** The raw file's rate and channels. */
  rateHz: number;
  channels: 1 | 2;
  gainDb: number;
  format: ToolFormat;
  /** The rate written; MP3 cannot go above 48 kHz. */
  outRateHz: number;
}

function codecArgs(format: ToolFormat): string[] {
  switch (format) {
    case 'wav':
      return ['-c:a', 'pcm_s16le', '-map_metadata', '-1', '-fflags', '+bitexact', '-f', 'wav'];
    case 'mp3':
      return ['-c:a', 'libmp3lame', '-b:a', '192k', '-write_xing', '0', '-f', 'mp3'];
    case 'flac':
      return ['-c:a', 'flac', '-f', 'flac'];
  }
}

/** Encodes the raw file at `path`; ffmpeg is killed when `signal` aborts or the consumer stops. */
export async function* encodeStem(path: string, opts: StemEncodeOptions, signal: AbortSignal): AsyncGenerator<Uint8Array, void, undefined> {
  signal.throwIfAborted();
  const proc = new FfmpegProcess(ffmpegPath(), [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    // Our own file, raw: only the file protocol and the raw float demuxer.
    '-protocol_whitelist', 'file', '-f', 'f32le', '-ar', String(opts.rateHz), '-ac', String(opts.channels),
    '-i', `file:${resolve(path)}`,
    '-af', `volume=${opts.gainDb.toFixed(3)}dB`,
    '-ar', String(opts.outRateHz), '-threads', '1',
    ...codecArgs(opts.format),
    'pipe:1',
  ]);
  yield* stdoutOf(proc, 'encoding the result failed', signal);
}
