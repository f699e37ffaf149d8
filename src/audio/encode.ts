/**
 * Streaming encoders: mono s16 PCM in, bytes of one audio file out, each piece as soon as the
 * encoder has it. `pcm` and `wav` are framed here; every other format is a dedicated ffmpeg
 * process reading PCM on stdin and writing the file to stdout.
 *
 * Measured with the bundled ffmpeg (2-core VM, median of 9): spawning takes ~2 ms, and the first
 * encoded bytes follow a first 200 ms PCM chunk within 2-5 ms for every format (5-9 ms when the
 * chunk arrives together with the spawn). In-process lamejs needed 8-65 ms of main-thread CPU for
 * that first chunk (JIT warm-up), so mp3 goes through ffmpeg like the rest.
 */
import type { Writable } from 'node:stream';

import { ffmpegPath } from './ffmpeg-binaries.js';
import { FfmpegProcess } from './ffmpeg-process.js';
import type { AudioFormat } from './formats.js';
import { streamingWavHeader } from './wav.js';

export { wavHeader } from './wav.js';

export interface EncodeOptions {
  format: AudioFormat;
  sampleRateHz: number;
  /** Target bitrate of the lossy formats (mp3, ogg, opus, aac); the others ignore it. */
  bitrateKbps?: number;
}

type FfmpegFormat = Exclude<AudioFormat, 'pcm' | 'wav'>;
type LossyFormat = Exclude<FfmpegFormat, 'flac'>;

/** Bitrates when the request names none: ample for 24 kHz mono speech. */
const DEFAULT_BITRATE_KBPS: Record<LossyFormat, number> = { mp3: 64, ogg: 64, opus: 32, aac: 64 };

/**
 * The Ogg muxer holds packets until a page spans this much audio (default 1 s). 20 ms puts each
 * Opus packet on its own page: with PCM trickling in live (20 ms chunks) the first audio page left
 * after ~25 ms, against ~190 ms with 100 ms pages and ~1.1 s by default. The price is ~28 bytes of
 * page header per packet, +11 kbps.
 */
const OGG_PAGE_DURATION_US = 20_000;

/** FLAC frames are 4608 samples by default (192 ms at 24 kHz); 20 ms frames leave as soon as spoken. */
const FLAC_FRAME_MS = 20;

/**
 * Encodes a mono s16 PCM stream at `sampleRateHz` into `format`, yielding encoded bytes as soon as
 * the encoder produces them; the chunks concatenated are one valid file. The encoder process is
 * started now, before the first PCM arrives, so its start-up overlaps synthesis; the caller must
 * therefore either iterate the result or abort `signal`.
 *
 * When `signal` aborts, the encoder is killed and iteration throws `signal.reason` (`pcm` and `wav`,
 * having no process, notice at the next chunk). Stopping early (break/return) kills it too. An error thrown by `pcm` is rethrown as is; an encoder failure is an
 * Error carrying the tail of ffmpeg's stderr. PCM chunks are written without copying, so a
 * producer must not reuse a chunk's memory after yielding it. Throws a RangeError at once for a
 * sample rate that is not a positive integer or a bitrate that is not positive.
 */
export function encodeAudio(
  pcm: AsyncIterable<Int16Array>,
  opts: EncodeOptions,
  signal: AbortSignal,
): AsyncIterable<Uint8Array> {
  const { format, sampleRateHz } = opts;
  if (!Number.isInteger(sampleRateHz) || sampleRateHz <= 0) {
    throw new RangeError(`sample rate must be a positive integer, got ${sampleRateHz}`);
  }
  switch (format) {
    case 'pcm':
      return framePcm(pcm, signal);
    case 'wav':
      return frameWav(pcm, sampleRateHz, signal);
    case 'mp3':
    case 'flac':
    case 'ogg':
    case 'opus':
    case 'aac':
      return encodeWithFfmpeg(pcm, ffmpegEncoderArgs(format, sampleRateHz, opts.bitrateKbps), signal);
    default: {
      const unknown: never = format;
      throw new TypeError(`unknown audio format ${String(unknown)}`);
    }
  }
}

/** The ffmpeg command line (after the binary) that turns s16le mono on stdin into `format` on stdout. */
function ffmpegEncoderArgs(format: FfmpegFormat, sampleRateHz: number, bitrateKbps?: number): string[] {
  const bitrate = (f: LossyFormat): string => {
    const kbps = bitrateKbps ?? DEFAULT_BITRATE_KBPS[f];
    if (!Number.isFinite(kbps) || kbps <= 0) throw new RangeError(`bitrate must be a positive number of kbps, got ${kbps}`);
    return `${Math.round(kbps)}k`;
  };
  const codec: Record<FfmpegFormat, () => string[]> = {
    // No Xing/LAME frame and no ID3 tag: both are meant to be rewritten at the end, which a pipe
    // cannot do, and without them the stream is plain CBR frames that any chunk boundary keeps valid.
    mp3: () => ['-c:a', 'libmp3lame', '-b:a', bitrate('mp3'), '-write_xing', '0', '-id3v2_version', '0', '-f', 'mp3'],
    // STREAMINFO cannot be rewritten on a pipe, so total samples and MD5 stay 0 ("unknown").
    flac: () => ['-c:a', 'flac', '-frame_size', String(Math.round((sampleRateHz * FLAC_FRAME_MS) / 1000)), '-f', 'flac'],
    ogg: () => ['-c:a', 'libvorbis', '-b:a', bitrate('ogg'), '-page_duration', String(OGG_PAGE_DURATION_US), '-f', 'ogg'],
    // libopus defaults (application audio, 20 ms frames) are kept: `-application lowdelay` took
    // under 1 ms off the first page and rules out the SILK and hybrid modes that suit speech.
    opus: () => ['-c:a', 'libopus', '-b:a', bitrate('opus'), '-page_duration', String(OGG_PAGE_DURATION_US), '-f', 'ogg'],
    aac: () => ['-c:a', 'aac', '-b:a', bitrate('aac'), '-f', 'adts'],
  };
  return [
    '-hide_banner',
    '-loglevel', 'error',
    // The raw input needs no probing, but ffmpeg still reads `probesize` bytes (5 MB) before it
    // starts; 32 is the minimum. `-fflags +nobuffer` would also start at once but drops the probed
    // packets, i.e. the first 40 ms of audio.
    '-probesize', '32',
    '-f', 's16le', '-ar', String(sampleRateHz), '-ac', '1', '-i', 'pipe:0',
    '-threads', '1',
    '-flush_packets', '1',
    ...codec[format](),
    'pipe:1',
  ];
}

async function* framePcm(pcm: AsyncIterable<Int16Array>, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  signal.throwIfAborted();
  for await (const chunk of pcm) {
    signal.throwIfAborted();
    if (chunk.length > 0) yield bytesOf(chunk);
  }
}

async function* frameWav(
  pcm: AsyncIterable<Int16Array>,
  sampleRateHz: number,
  signal: AbortSignal,
): AsyncGenerator<Uint8Array> {
  signal.throwIfAborted();
  // The header goes out before any audio exists: a first byte at zero latency.
  yield streamingWavHeader(sampleRateHz);
  yield* framePcm(pcm, signal);
}

function encodeWithFfmpeg(
  pcm: AsyncIterable<Int16Array>,
  args: readonly string[],
  signal: AbortSignal,
): AsyncIterable<Uint8Array> {
  if (signal.aborted) return failWith(signal.reason);
  const proc = new FfmpegProcess(ffmpegPath(), args);
  proc.killOnAbort(signal);
  return pipeThrough(proc, pcm, signal);
}

/** An iterable that fails on first use, for a signal that aborted before anything started. */
async function* failWith(reason: unknown): AsyncGenerator<Uint8Array> {
  throw reason;
}

/** What the PCM feeder saw, read by the reader once ffmpeg's stdout has ended. */
interface FeedState {
  /** Thrown by the PCM source (not by a write): rethrown to the consumer as is. */
  sourceError?: { error: unknown };
}

async function* pipeThrough(
  proc: FfmpegProcess,
  pcm: AsyncIterable<Int16Array>,
  signal: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const state: FeedState = {};
  // Never rejects; it reports through `state` and by killing the process.
  void feed(proc, pcm, signal, state);
  let stdoutEnded = false;
  try {
    for await (const chunk of proc.child.stdout) {
      if (signal.aborted) break;
      yield chunk as Buffer;
    }
    stdoutEnded = true;
  } finally {
    // Also reached when the consumer stops early: its `break` returns us from the `yield`.
    if (!stdoutEnded) proc.kill();
    proc.child.stdin.destroy();
    await proc.exited;
  }
  signal.throwIfAborted();
  if (state.sourceError) throw state.sourceError.error;
  const status = await proc.exited;
  if (status.code !== 0) throw proc.failure('audio encoder failed');
}

/** Writes the PCM stream to ffmpeg's stdin, waiting for 'drain' whenever the pipe is full. */
async function feed(
  proc: FfmpegProcess,
  pcm: AsyncIterable<Int16Array>,
  signal: AbortSignal,
  state: FeedState,
): Promise<void> {
  const stdin = proc.child.stdin;
  let writing = false;
  try {
    for await (const chunk of pcm) {
      // Leaving the loop calls the source's return(), so an abandoned source is closed too.
      if (signal.aborted || stdin.destroyed || proc.hasExited) return;
      if (chunk.length === 0) continue;
      writing = true;
      if (!stdin.write(bytesOf(chunk)) && !(await drained(stdin, signal))) return;
      writing = false;
    }
    stdin.end();
  } catch (error) {
    // A failed write shows up as ffmpeg's exit status; a failed source must stop the encoder so
    // that what it already wrote is not mistaken for a whole file.
    if (!writing) state.sourceError = { error };
    proc.kill();
  }
}

/** Resolves true on 'drain'; false if the pipe closes or fails, or `signal` aborts, first. */
function drained(stdin: Writable, signal: AbortSignal): Promise<boolean> {
  if (stdin.destroyed || signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const settle = (ok: boolean) => (): void => {
      stdin.off('drain', onDrain);
      stdin.off('close', onStop);
      stdin.off('error', onStop);
      signal.removeEventListener('abort', onStop);
      resolve(ok);
    };
    const onDrain = settle(true);
    const onStop = settle(false);
    stdin.on('drain', onDrain);
    stdin.on('close', onStop);
    stdin.on('error', onStop);
    signal.addEventListener('abort', onStop);
  });
}

/** The little-endian bytes of a PCM chunk, sharing its memory (all supported hosts are little-endian). */
function bytesOf(pcm: Int16Array): Uint8Array {
  return new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
}
