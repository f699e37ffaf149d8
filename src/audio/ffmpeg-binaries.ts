/**
 * Where the bundled ffmpeg and ffprobe executables live. They come from the
 * `@ffmpeg-installer/linux-x64` and `@ffprobe-installer/linux-x64` packages; the paths are resolved
 * on first use so that importing `audio/` on a machine without them fails only when a subprocess
 * is actually needed.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

function binaryIn(packageName: string, binaryName: string): string {
  return join(dirname(require.resolve(`${packageName}/package.json`)), binaryName);
}

let ffmpeg: string | undefined;
let ffprobe: string | undefined;

/** Absolute path of the ffmpeg executable. */
export function ffmpegPath(): string {
  return (ffmpeg ??= binaryIn('@ffmpeg-installer/linux-x64', 'ffmpeg'));
}

/** Absolute path of the ffprobe executable. */
export function ffprobePath(): string {
  return (ffprobe ??= binaryIn('@ffprobe-installer/linux-x64', 'ffprobe'));
}
