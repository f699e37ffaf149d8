/**
 * Synthetic voice output as a finished file that says what it is: WAV with a LIST/INFO chunk
 * (ICMT comment, ISFT software) after its data, MP3 (ID3v2 comment) and FLAC (Vorbis comment)
 * encoded by ffmpeg with `-metadata comment=…`. Whole files, not streams: conversion and cloning
 * have their output whole before it is sent, and a tag belongs in the container's header.
 */
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ffmpegPath } from '../audio/ffmpeg-binaries.js';
import { runToBuffer } from '../audio/ffmpeg-process.js';
import { wavHeader } from '../audio/wav.js';

export const TAGGED_FORMATS = ['wav', 'mp3', 'flac'] as const;
export type TaggedFormat = (typeof TAGGED_FORMATS)[number];

export const TAGGED_CONTENT_TYPES: Record<TaggedFormat, string> = { wav: 'audio/wav', mp3: 'audio/mpeg', flac: 'audio/flac' };

function infoChunk(comment: string): Buffer {
  const sub = (id: string, text: string): Buffer => {
    const body = Buffer.from(`${text}\0`, 'utf8');
    const padded = body.length % 2 === 1 ? Buffer.concat([body, Buffer.alloc(1)]) : body;
    const head = Buffer.alloc(8);
    head.write(id, 0, 'ascii');
    head.writeUInt32LE(body.length, 4);
    return Buffer.concat([head, padded]);
  };
  const payload = Buffer.concat([Buffer.from('INFO', 'ascii'), sub('ICMT', comment), sub('ISFT', 'Llais')]);
  const head = Buffer.alloc(8);
  head.write('LIST', 0, 'ascii');
  head.writeUInt32LE(payload.length, 4);
  return Buffer.concat([head, payload]);
}

/** A WAV file of mono s16 `pcm` with `comment` in its LIST/INFO chunk. */
export function taggedWav(pcm: Int16Array, sampleRateHz: number, comment: string): Buffer {
  const data = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  const info = infoChunk(comment);
  const header = Buffer.from(wavHeader(pcm.byteLength, sampleRateHz));
  // The RIFF size covers the LIST chunk too (and the data chunk's pad byte, never needed for s16).
  header.writeUInt32LE(36 + pcm.byteLength + info.length, 4);
  return Buffer.concat([header, data, info]);
}

/** `pcm` as a `format` file carrying `comment`; ffmpeg is killed when `signal` aborts. */
export async function encodeTagged(pcm: Int16Array, sampleRateHz: number, format: TaggedFormat, comment: string, signal: AbortSignal): Promise<Buffer> {
  const wav = taggedWav(pcm, sampleRateHz, comment);
  if (format === 'wav') return wav;
  const input = join(tmpdir(), `llais-voice-${randomBytes(8).toString('hex')}.wav`);
  await writeFile(input, wav);
  try {
    const codec = format === 'mp3' ? ['-c:a', 'libmp3lame', '-b:a', '96k', '-id3v2_version', '3', '-f', 'mp3'] : ['-c:a', 'flac', '-f', 'flac'];
    return await runToBuffer(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-i', input, '-map_metadata', '-1', '-metadata', `comment=${comment}`, ...codec, 'pipe:1'], `encoding ${format}`, signal);
  } finally {
    await rm(input, { force: true });
  }
}
