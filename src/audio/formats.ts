/**
 * The audio formats Llais can return, named as OpenAI's `response_format` names them.
 *
 * - `mp3`  MPEG-1/2 Layer III frames, no ID3 or Xing header (the stream is not seekable)
 * - `wav`  RIFF PCM16 mono
 * - `flac` native FLAC
 * - `ogg`  Ogg Vorbis
 * - `opus` Ogg Opus (what OpenAI returns for `opus`)
 * - `aac`  AAC-LC in ADTS frames
 * - `pcm`  raw s16le mono, no header
 */

export type AudioFormat = 'mp3' | 'wav' | 'flac' | 'ogg' | 'opus' | 'aac' | 'pcm';

export const AUDIO_FORMATS: readonly AudioFormat[] = ['mp3', 'wav', 'flac', 'ogg', 'opus', 'aac', 'pcm'];

const CONTENT_TYPES: Record<AudioFormat, string> = {
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  flac: 'audio/flac',
  ogg: 'audio/ogg',
  // RFC 7845 registers Opus-in-Ogg as audio/ogg; `audio/opus` (RFC 7587) names bare RTP payloads.
  opus: 'audio/ogg',
  aac: 'audio/aac',
  pcm: 'audio/pcm',
};

/** The Content-Type header for a response body in format `f`. */
export function contentTypeOf(f: AudioFormat): string {
  return CONTENT_TYPES[f];
}

export function isAudioFormat(x: unknown): x is AudioFormat {
  return typeof x === 'string' && Object.hasOwn(CONTENT_TYPES, x);
}
