/** Any audio ffmpeg can read, decoded to mono s16 PCM at a chosen rate (for tests and speech-to-text). */
import { ffmpegPath } from './ffmpeg-binaries.js';
import { SAFE_INPUT_ARGS, withInputFile } from './ffmpeg-input.js';
import { runToBuffer } from './ffmpeg-process.js';

/**
 * Decodes the first audio stream of a file path or of bytes into mono s16 PCM at `sampleRateHz`
 * (channels are mixed down, the rate converted). Rejects with an Error carrying ffmpeg's complaint
 * if the input is not decodable audio, or with `signal.reason` if `signal` aborts.
 */
export async function decodeToPcm(input: string | Uint8Array, sampleRateHz: number, signal?: AbortSignal): Promise<Int16Array> {
  if (!Number.isInteger(sampleRateHz) || sampleRateHz <= 0) {
    throw new RangeError(`sample rate must be a positive integer, got ${sampleRateHz}`);
  }
  signal?.throwIfAborted();
  const bytes = await withInputFile(input, (url) =>
    runToBuffer(
      ffmpegPath(),
      [
        '-hide_banner', '-loglevel', 'error', '-nostdin', ...SAFE_INPUT_ARGS,
        '-i', url,
        // Fails, rather than succeeding with no output, when there is no audio stream.
        '-map', '0:a:0',
        '-ac', '1', '-ar', String(sampleRateHz),
        '-c:a', 'pcm_s16le', '-f', 's16le', 'pipe:1',
      ],
      'could not decode the audio',
      signal,
    ),
  );
  // Copied out rather than viewed: Buffer.concat's result need not be 2-byte aligned.
  const pcm = new Int16Array(bytes.length >> 1);
  new Uint8Array(pcm.buffer).set(bytes.subarray(0, pcm.byteLength));
  return pcm;
}
