/**
 * Where each frame of a compressed stream starts, found independently of the server's own frame
 * splitter: ffprobe's packet positions for MP3, ADTS and FLAC, the "OggS" capture pattern for Ogg.
 */
import { spawnSync } from 'node:child_process';
import { ffprobePath } from '../../src/audio/ffmpeg-binaries.js';

export function frameStarts(stream: Uint8Array, format: 'mp3' | 'aac' | 'flac' | 'ogg' | 'opus'): Set<number> {
  if (format === 'ogg' || format === 'opus') {
    const starts = new Set<number>();
    const bytes = Buffer.from(stream.buffer, stream.byteOffset, stream.byteLength);
    for (let at = bytes.indexOf('OggS'); at !== -1; at = bytes.indexOf('OggS', at + 1)) starts.add(at);
    return starts;
  }
  const probe = spawnSync(ffprobePath(), ['-v', 'error', '-show_entries', 'packet=pos', '-of', 'csv=p=0', '-f', format, '-i', 'pipe:0'], { input: stream });
  if (probe.status !== 0) throw new Error(`ffprobe failed: ${probe.stderr.toString()}`);
  return new Set(
    probe.stdout
      .toString()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map(Number),
  );
}
