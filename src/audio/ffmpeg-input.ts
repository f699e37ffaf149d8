/**
 * How audio from outside (uploads, result files) is handed to ffmpeg and ffprobe: always as a local
 * file, read only through the `file` protocol and only by audio container demuxers. Playlists and
 * concat lists (hls, concat, ...) are refused, since they make ffmpeg open other files or URLs
 * named inside the upload.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Audio containers accepted as input; `mov` covers mp4/m4a/3gp and `matroska` covers webm. */
const AUDIO_DEMUXERS = [
  'aac', 'ac3', 'aiff', 'amr', 'ape', 'asf', 'au', 'avi', 'caf', 'eac3', 'flac', 'matroska', 'mov',
  'mp3', 'mpeg', 'mpegts', 'ogg', 'tta', 'w64', 'wav', 'wv',
].join(',');

/** Input options (before `-i`) that confine ffmpeg/ffprobe to one local audio file. */
export const SAFE_INPUT_ARGS: readonly string[] = ['-protocol_whitelist', 'file', '-format_whitelist', AUDIO_DEMUXERS];

/**
 * Calls `use` with an ffmpeg input URL for `input`: a path is used in place; bytes are written to a
 * private temporary file, removed afterwards. A file rather than a pipe because some containers
 * (mp4 with its index at the end) cannot be read from a pipe.
 */
export async function withInputFile<T>(input: string | Uint8Array, use: (url: string) => Promise<T>): Promise<T> {
  // `file:` makes ffmpeg take the path literally, never as a URL or another protocol.
  if (typeof input === 'string') return use(`file:${resolve(input)}`);
  const dir = await mkdtemp(join(tmpdir(), 'llais-audio-'));
  try {
    const path = join(dir, 'input');
    await writeFile(path, input);
    return await use(`file:${path}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
