/**
 * RIFF/WAVE headers for mono PCM16: the canonical 44-byte layout (RIFF, `fmt ` of 16 bytes, `data`).
 */

export const WAV_HEADER_BYTES = 44;

/** Largest `data` chunk a RIFF header can state: its 32-bit RIFF size counts 36 header bytes too. */
const MAX_WAV_DATA_BYTES = 0xffff_ffff - 36;

/**
 * The size both length fields carry in a streamed WAV, whose length is unknown when the header is
 * sent. 0xFFFFFFFF is what OpenAI and most streaming servers send; ffmpeg, browsers and SoX read
 * it as "until end of stream".
 */
const STREAMING_SIZE = 0xffff_ffff;

/** The 44-byte header of a finished WAV file with `dataBytes` bytes of mono s16le PCM. */
export function wavHeader(dataBytes: number, sampleRateHz: number): Uint8Array {
  if (!Number.isInteger(dataBytes) || dataBytes < 0 || dataBytes > MAX_WAV_DATA_BYTES) {
    throw new RangeError(`WAV data size must be an integer from 0 to ${MAX_WAV_DATA_BYTES} bytes, got ${dataBytes}`);
  }
  return buildHeader(36 + dataBytes, dataBytes, sampleRateHz);
}

/** The header of a WAV stream whose length is not known yet; see STREAMING_SIZE. */
export function streamingWavHeader(sampleRateHz: number): Uint8Array {
  return buildHeader(STREAMING_SIZE, STREAMING_SIZE, sampleRateHz);
}

function buildHeader(riffBytes: number, dataBytes: number, sampleRateHz: number): Uint8Array {
  if (!Number.isInteger(sampleRateHz) || sampleRateHz <= 0) {
    throw new RangeError(`sample rate must be a positive integer, got ${sampleRateHz}`);
  }
  const channels = 1;
  const bytesPerSample = 2;
  const header = new Uint8Array(WAV_HEADER_BYTES);
  const view = new DataView(header.buffer);
  const ascii = (offset: number, text: string): void => {
    for (let i = 0; i < text.length; i++) header[offset + i] = text.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, riffBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true); // fmt chunk size
  view.setUint16(20, 1, true); // WAVE_FORMAT_PCM
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRateHz, true);
  view.setUint32(28, sampleRateHz * channels * bytesPerSample, true); // byte rate
  view.setUint16(32, channels * bytesPerSample, true); // block align
  view.setUint16(34, bytesPerSample * 8, true); // bits per sample
  ascii(36, 'data');
  view.setUint32(40, dataBytes, true);
  return header;
}
