/**
 * The multipart forms and responses of the audio tools (convert, analyze), stated for the OpenAPI
 * document; src/api/audio-tools.ts checks the fields one by one as they stream in, against the
 * same lists used here.
 */
import { z } from 'zod';
import { CONVERT_BITRATES_KBPS, CONVERT_FORMATS, CONVERT_SAMPLE_RATES_HZ } from '../../audio/transcode.js';

const audioFile = z.file().meta({ description: 'The audio (any format ffmpeg decodes), streamed to disk as it arrives.' });
const asText = (values: readonly number[]): [string, ...string[]] => values.map(String) as [string, ...string[]];

/** `POST /v1/audio/convert/`. */
export const convertForm = z.object({
  file: audioFile,
  format: z.enum(CONVERT_FORMATS as [string, ...string[]]).default('mp3'),
  bitrate: z
    .enum(asText(CONVERT_BITRATES_KBPS))
    .default('192')
    .meta({ description: 'kbps, for mp3, ogg (as a Vorbis quality level), m4a and aac; ignored by the lossless wav and flac. mp3 at 22050 Hz is capped at 160.' }),
  sample_rate: z.enum(asText(CONVERT_SAMPLE_RATES_HZ)).default('44100'),
  channels: z.enum(['mono', 'stereo']).optional().meta({ description: "The source's (mono stays mono, anything else becomes stereo) when absent." }),
});

/** `POST /v1/audio/analyze/`. */
export const analyzeForm = z.object({ file: audioFile });

export const analyzeResponse = z.strictObject({
  key: z.string().meta({ description: "Tonic: C, C#/Db, D, Eb, E, F, F#, G, G#/Ab, A, Bb, B (spelt as the key's signature spells it)." }),
  scale: z.enum(['Major', 'Minor']),
  bpm: z.number().meta({ description: 'Beats per minute, 60-200, one decimal.' }),
  time_signature: z.enum(['3/4', '4/4']).meta({ description: '4/4 unless the beats are clearly accented in threes.' }),
  camelot: z.string().meta({ description: 'The key on the Camelot wheel: 1A-12A (minor), 1B-12B (major).' }),
  compatible_keys: z.array(z.string()).meta({ description: 'Mixable keys: the key itself, a fifth up, a fifth down, and the relative major or minor.' }),
});
