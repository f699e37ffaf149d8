/**
 * What is wrong with an uploaded audio file, in the client's terms: 415 when it is not audio in a
 * container we read, 422 when it is, but holds no audio we can decode (empty, truncated, corrupt,
 * zero length). ffprobe and ffmpeg fail on both with the same complaint ("Invalid data found"), so
 * the file's first bytes decide: a known audio container's signature means "broken audio", not
 * "not audio".
 */
import { open } from 'node:fs/promises';

import { ApiError } from '../errors.js';

/** The multipart field every upload endpoint reads the audio from. */
const FILE_PARAM = 'file';

/** Enough of the head for every signature below. */
const SNIFF_BYTES = 16;

const SUPPORTED = 'MP3, WAV, FLAC, OGG, M4A, MP4 or WebM';

/** 415: not audio, or a container we do not read. */
function unsupportedMedia(message = `The file is not a supported audio or video format; send ${SUPPORTED}.`, cause?: unknown): ApiError {
  return new ApiError('unsupported_media_type', message, FILE_PARAM, cause === undefined ? undefined : { cause });
}

/** 422: audio in a container we read, but nothing decodable in it. */
export function unprocessableAudio(message: string, cause?: unknown): ApiError {
  return new ApiError('unprocessable_audio', message, FILE_PARAM, cause === undefined ? undefined : { cause });
}

export const EMPTY_FILE_MESSAGE = 'The uploaded file is empty.';
export const NO_AUDIO_MESSAGE = 'The file contains no audio: it decodes to 0 seconds.';
const NO_AUDIO_TRACK_MESSAGE = 'The file has no audio track.';

/**
 * The container an upload's first bytes announce, as a name for messages; null when they match
 * no audio container that `SAFE_INPUT_ARGS` lets ffmpeg open.
 */
function sniffAudioContainer(head: Uint8Array): string | null {
  const ascii = (from: number, to: number): string => String.fromCharCode(...head.subarray(from, to));
  if (ascii(0, 3) === 'ID3') return 'MP3';
  if ((ascii(0, 4) === 'RIFF' || ascii(0, 4) === 'RF64') && ascii(8, 12) === 'WAVE') return 'WAV';
  if (ascii(0, 4) === 'FORM' && (ascii(8, 12) === 'AIFF' || ascii(8, 12) === 'AIFC')) return 'AIFF';
  if (ascii(0, 4) === 'fLaC') return 'FLAC';
  if (ascii(0, 4) === 'OggS') return 'OGG';
  if (ascii(4, 8) === 'ftyp') return 'MP4';
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return 'WebM';
  if (ascii(0, 4) === 'caff') return 'CAF';
  if (ascii(0, 5) === '#!AMR') return 'AMR';
  if (isMpegAudioFrameHeader(head)) return (head[1]! & 0x06) === 0 ? 'AAC' : 'MP3';
  return null;
}

/**
 * An MPEG audio frame header (MP3 without an ID3 tag) or an ADTS header (raw AAC): a frame sync and
 * no reserved values in the fields after it, which rules out nearly all random 0xFFEx pairs.
 */
function isMpegAudioFrameHeader(head: Uint8Array): boolean {
  if (head.length < 4 || head[0] !== 0xff || (head[1]! & 0xe0) !== 0xe0) return false;
  const layer = (head[1]! >> 1) & 0x03;
  if (layer === 0) return (head[1]! & 0xf0) === 0xf0 && ((head[2]! >> 2) & 0x0f) < 13; // ADTS: sampling index
  const version = (head[1]! >> 3) & 0x03;
  const bitrateIndex = head[2]! >> 4;
  const rateIndex = (head[2]! >> 2) & 0x03;
  return version !== 1 && bitrateIndex !== 0 && bitrateIndex !== 15 && rateIndex !== 3;
}

async function readHead(path: string): Promise<Uint8Array> {
  const file = await open(path, 'r');
  try {
    const head = new Uint8Array(SNIFF_BYTES);
    const { bytesRead } = await file.read(head, 0, SNIFF_BYTES, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

/**
 * The ApiError for a file that ffprobe or ffmpeg could not read (`cause`, their Error): 422 when it
 * is empty or announces an audio container (so it is broken audio), 415 otherwise.
 */
export async function unreadableUpload(path: string, cause: unknown): Promise<ApiError> {
  const head = await readHead(path);
  if (head.length === 0) return unprocessableAudio(EMPTY_FILE_MESSAGE, cause);
  const message = cause instanceof Error ? cause.message : '';
  // ffprobe read the container but found no audio stream in it (e.g. a video without sound).
  if (/no audio stream|matches no streams/.test(message)) return unsupportedMedia(NO_AUDIO_TRACK_MESSAGE, cause);
  const container = sniffAudioContainer(head);
  if (container === null) return unsupportedMedia(undefined, cause);
  return unprocessableAudio(`The file looks like ${container} but could not be decoded; it may be truncated or corrupt.`, cause);
}
