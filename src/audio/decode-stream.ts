/**
 * Uploads decoded as they stream out of ffmpeg: any audio file (or a video's sound) to mono s16 PCM
 * in fixed-size chunks, so that a long upload never sits in memory as PCM. Also the check an upload
 * endpoint runs before accepting a file: what it is, how long it lasts, and whether it holds
 * decodable audio, with failures as the client-facing ApiError (415 or 422, param `file`).
 */
import { stat } from 'node:fs/promises';

import { ffmpegPath } from './ffmpeg-binaries.js';
import { SAFE_INPUT_ARGS, withInputFile } from './ffmpeg-input.js';
import { FfmpegProcess } from './ffmpeg-process.js';
import { probeAudio } from './probe.js';
import { EMPTY_FILE_MESSAGE, NO_AUDIO_MESSAGE, unprocessableAudio, unreadableUpload } from './upload-check.js';

/** Chunk length when the caller names none: 320 KB at 16 kHz, and few enough messages per hour of audio. */
const DEFAULT_CHUNK_SEC = 10;

/**
 * Audio frames regrouped to this many samples before output, so that ffmpeg writes ~32 KB at a
 * time instead of one codec frame (~1 KB for mp3): measured on a 30-minute mp3, 1.7k reads instead
 * of 32k, half the decoding time, and a fraction of the main thread's garbage. `p=0`: the last
 * frame is not padded, so the samples are exactly those without it.
 */
const FFMPEG_FRAME_SAMPLES = 16_384;

/**
 * The upload check decodes this much (1 s at 8 kHz) to prove there is audio, since a container can
 * look fine to ffprobe and still hold nothing decodable.
 */
const CHECK_SAMPLE_RATE_HZ = 8_000;
const CHECK_CHUNK_SAMPLES = 8_000;

export interface DecodeStreamOptions {
  sampleRateHz: number;
  /** Samples per yielded chunk (the last may be shorter); default 10 s worth. */
  chunkSamples?: number;
  /** Kills ffmpeg; iteration then throws `signal.reason`. */
  signal?: AbortSignal;
  /** 2: stereo, interleaved (a mono source duplicated); default 1, channels mixed down. */
  channels?: 1 | 2;
}

/**
 * Decodes the first audio stream of the file at `path` to mono (or interleaved stereo) s16 PCM at
 * `sampleRateHz` (channels mixed down, rate converted), yielding `chunkSamples`-long chunks as ffmpeg produces them. Each
 * chunk is a fresh array the consumer owns (it may transfer it).
 *
 * Back-pressure: while the consumer holds a chunk, ffmpeg's stdout is not read, so ffmpeg blocks on
 * its full pipe; memory stays at about one chunk plus the pipe buffers whatever the file's length.
 * ffmpeg is killed when `signal` aborts or the consumer stops early (break, return, throw).
 *
 * Throws ApiError 415/422 (see `upload-check.ts`) for a file that is not audio, is empty or broken,
 * or decodes to no samples; an Error for a file that cannot be opened at all (its path is ours).
 */
export async function* decodePcmStream(path: string, opts: DecodeStreamOptions): AsyncGenerator<Int16Array, void, undefined> {
  const { sampleRateHz, signal } = opts;
  if (!Number.isInteger(sampleRateHz) || sampleRateHz <= 0) {
    throw new RangeError(`sample rate must be a positive integer, got ${sampleRateHz}`);
  }
  const channels = opts.channels ?? 1;
  const chunkSamples = opts.chunkSamples ?? DEFAULT_CHUNK_SEC * sampleRateHz * channels;
  if (!Number.isInteger(chunkSamples) || chunkSamples <= 0 || chunkSamples % channels !== 0) {
    throw new RangeError(`chunk length must be a positive integer, got ${chunkSamples}`);
  }
  signal?.throwIfAborted();
  // A path is used in place (withInputFile makes no temporary copy), so the process may outlive the callback.
  const proc = await withInputFile(path, async (url) =>
    new FfmpegProcess(ffmpegPath(), [
      '-hide_banner', '-loglevel', 'error', '-nostdin', ...SAFE_INPUT_ARGS,
      '-i', url,
      // Fails, rather than succeeding with no output, when there is no audio stream.
      '-map', '0:a:0',
      '-af', `asetnsamples=n=${FFMPEG_FRAME_SAMPLES}:p=0`,
      '-ac', String(channels), '-ar', String(sampleRateHz),
      '-c:a', 'pcm_s16le', '-f', 's16le', 'pipe:1',
    ]),
  );
  proc.killOnAbort(signal);
  proc.child.stdin.end();

  let chunk = new Int16Array(chunkSamples);
  // Filled bytewise: pipe reads need not end on a sample boundary.
  let chunkBytes = new Uint8Array(chunk.buffer);
  let filledBytes = 0;
  let samplesOut = 0;
  let readToEnd = false;
  try {
    for await (const data of proc.child.stdout as AsyncIterable<Buffer>) {
      for (let offset = 0; offset < data.length; ) {
        const n = Math.min(data.length - offset, chunkBytes.length - filledBytes);
        chunkBytes.set(data.subarray(offset, offset + n), filledBytes);
        filledBytes += n;
        offset += n;
        if (filledBytes < chunkBytes.length) continue;
        samplesOut += chunkSamples;
        yield chunk;
        signal?.throwIfAborted();
        chunk = new Int16Array(chunkSamples);
        chunkBytes = new Uint8Array(chunk.buffer);
        filledBytes = 0;
      }
    }
    readToEnd = true;
  } finally {
    if (!readToEnd) proc.kill();
    await proc.exited;
  }
  signal?.throwIfAborted();
  const status = await proc.exited;
  if (status.code !== 0) {
    const cause = proc.failure('could not decode the audio');
    if (samplesOut > 0) throw unprocessableAudio('The audio could not be decoded to the end; the file may be truncated or corrupt.', cause);
    throw await unreadableUpload(path, cause);
  }
  const tailSamples = filledBytes >> 1;
  if (samplesOut + tailSamples === 0) throw unprocessableAudio(NO_AUDIO_MESSAGE);
  if (tailSamples > 0) yield chunk.slice(0, tailSamples);
}

/** What an accepted upload holds. */
export interface UploadInfo {
  /** As the container declares it (or its packets span): what billing and limits use. */
  durationSec: number;
  /** ffprobe's codec name: mp3, pcm_s16le, flac, vorbis, opus, aac, ... */
  codec: string;
  /** ffprobe's container name, e.g. `wav`, `ogg`, `mov,mp4,m4a,3gp,3g2,mj2`, `matroska,webm`. */
  formatName: string;
}

/**
 * Checks that the file at `path` is audio we can decode and says what it is. Throws ApiError 415
 * `unsupported_media_type` for anything that is not audio in a container we read (text, images,
 * random bytes, a video without sound), 422 `unprocessable_audio` for an empty file, a truncated or
 * corrupt one that yields no audio, or audio that decodes to 0 s. Both have param `file`.
 */
export async function probeUpload(path: string): Promise<UploadInfo> {
  // Not found is our fault (the path is ours), not the client's: a plain Error.
  if ((await stat(path)).size === 0) throw unprocessableAudio(EMPTY_FILE_MESSAGE);
  const [probed, decoded] = await Promise.allSettled([probeAudio(path), decodesSomething(path)]);
  if (probed.status === 'rejected') throw await unreadableUpload(path, probed.reason);
  if (decoded.status === 'rejected') throw decoded.reason;
  const { durationSec, codec, formatName } = probed.value;
  if (!(durationSec > 0)) throw unprocessableAudio(NO_AUDIO_MESSAGE);
  return { durationSec, codec, formatName };
}

/** Resolves once the first second of audio has decoded; rejects with the ApiError saying why not. */
async function decodesSomething(path: string): Promise<void> {
  const chunks = decodePcmStream(path, { sampleRateHz: CHECK_SAMPLE_RATE_HZ, chunkSamples: CHECK_CHUNK_SAMPLES });
  try {
    // decodePcmStream throws, rather than ends, when there is no first sample.
    await chunks.next();
  } finally {
    await chunks.return();
  }
}
