/** What an audio file is, according to ffprobe. */
import { ffprobePath } from './ffmpeg-binaries.js';
import { SAFE_INPUT_ARGS, withInputFile } from './ffmpeg-input.js';
import { runToBuffer } from './ffmpeg-process.js';

export interface ProbeResult {
  durationSec: number;
  /** ffprobe's codec name: mp3, pcm_s16le, flac, vorbis, opus, aac, ... */
  codec: string;
  /** As the stream declares it; Ogg Opus always says 48000. */
  sampleRateHz: number;
  channels: number;
  /** ffprobe's container name, e.g. `wav`, `ogg`, `mov,mp4,m4a,3gp,3g2,mj2`. */
  formatName: string;
}

interface FfprobeJson {
  streams?: Array<{ codec_name?: string; sample_rate?: string; channels?: number; duration?: string }>;
  format?: { format_name?: string; duration?: string };
}

/** Probes the first audio stream of a file path or of bytes. Throws an Error if it is not audio ffprobe can read. */
export async function probeAudio(input: string | Uint8Array): Promise<ProbeResult> {
  return withInputFile(input, async (url) => {
    const json = await runToBuffer(
      ffprobePath(),
      [
        '-hide_banner', '-v', 'error', ...SAFE_INPUT_ARGS,
        '-select_streams', 'a:0',
        '-show_entries', 'stream=codec_name,sample_rate,channels,duration:format=format_name,duration',
        '-of', 'json', url,
      ],
      'could not probe the audio',
    );
    const { streams = [], format = {} } = JSON.parse(json.toString('utf8')) as FfprobeJson;
    const stream = streams[0];
    if (stream?.codec_name === undefined) throw new Error('could not probe the audio: it has no audio stream');
    const declared = Number(stream.duration ?? format.duration);
    return {
      // A FLAC streamed to a pipe has no total in its STREAMINFO, so nothing declares a duration.
      durationSec: Number.isFinite(declared) ? declared : await durationFromPackets(url),
      codec: stream.codec_name,
      sampleRateHz: Number(stream.sample_rate ?? 0),
      channels: stream.channels ?? 0,
      formatName: format.format_name ?? '',
    };
  });
}

/** Duration as the span of the audio packets' timestamps: reads packet headers, decodes nothing. */
async function durationFromPackets(url: string): Promise<number> {
  const csv = await runToBuffer(
    ffprobePath(),
    [
      '-hide_banner', '-v', 'error', ...SAFE_INPUT_ARGS,
      '-select_streams', 'a:0',
      '-show_entries', 'packet=pts_time,duration_time',
      '-of', 'csv=p=0', url,
    ],
    'could not probe the audio',
  );
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const line of csv.toString('latin1').split('\n')) {
    const [pts, duration] = line.split(',').map(Number);
    if (!Number.isFinite(pts)) continue;
    start = Math.min(start, pts);
    end = Math.max(end, pts + (Number.isFinite(duration) ? duration : 0));
  }
  return end > start ? end - start : 0;
}
