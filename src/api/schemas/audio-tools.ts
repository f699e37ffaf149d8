/**
 * The multipart forms and responses of the audio tools (convert, analyze), stated for the OpenAPI
 * document; src/api/audio-tools.ts checks the fields one by one as they stream in, against the
 * same lists used here.
 */
import { z } from 'zod';
import { sttResponse } from './stt-responses.js';
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

const toolFormat = z.enum(['wav', 'mp3', 'flac']).default('wav').meta({ description: "The result's format. WAV and FLAC keep the source's sample rate; MP3 (192 kbps) at most 48 kHz." });
const toolAsync = z
  .enum(['true', 'false'])
  .default('false')
  .meta({ description: 'true: answer 202 with a job at once; poll GET /v1/audio/jobs/{job_id} for its progress and result.' });
const flag = (fallback: 'true' | 'false', description: string) => z.enum(['true', 'false']).default(fallback).meta({ description });

/** `POST /v1/audio/enhance/`. */
export const enhanceForm = z.object({
  file: audioFile,
  denoise: flag('true', 'RNNoise speech denoising (a recurrent network setting per-band gains).'),
  enhance_clarity: flag('true', 'Rumble high-pass, presence EQ, gentle compression, and loudness normalised to -16 LUFS (EBU R128 gated, ITU-R BS.1770 K-weighting).'),
  super_resolution: flag('false', 'Bandwidth extension: the band below a measured cut-off folded up to 24 kHz; the result is then 48 kHz.'),
  strength: z.enum(['1', '2', '3']).default('2').meta({ description: '1 light (some of the input kept), 2 normal, 3 strong (two denoising passes and an OM-LSA post-filter: the one for babble, at some cost to clean speech; more EQ and compression).' }),
  format: toolFormat,
  async: toolAsync,
});

/** `POST /v1/audio/dereverb/`. */
export const dereverbForm = z.object({
  file: audioFile,
  type: z.enum(['echo', 'reverb', 'both']).default('both').meta({ description: 'echo: a detected discrete echo (delay 20-300 ms) removed by its inverse filter; reverb: late reverberation suppressed spectrally; both: echo first.' }),
  intensity: z.enum(['1', '2', '3', '4', '5']).default('3').meta({ description: 'How much is removed: the reverberation time assumed, over-subtraction and floor; for echo, the share of the echo cancelled.' }),
  format: toolFormat,
  async: toolAsync,
});

/** `POST /v1/audio/separate/`. */
export const separateForm = z.object({
  file: audioFile,
  model: z.enum(['demucs', 'spleeter']).default('demucs').meta({ description: 'The network for 4-6 stems; 2 stems need none (centre extraction for stereo, harmonic/percussive and repetition masks for mono).' }),
  stems: z.enum(['2', '4', '5', '6']).default('2').meta({ description: '2: vocals + accompaniment. 4 (demucs: drums, bass, other, vocals) and 6 (demucs: + guitar, piano) need the model installed (`llais models pull htdemucs` / `htdemucs_6s`): 424 otherwise. Spleeter (4, 5) is not served: 424.' }),
  format: toolFormat,
  async: toolAsync,
});

const resultCommon = {
  format: z.enum(['wav', 'mp3', 'flac']),
  duration: z.number().meta({ description: 'Seconds.' }),
  expires_at: z.string().meta({ description: 'When the result files are deleted (ISO 8601).' }),
  credits_used: z.number().int(),
  credits_remaining: z.number().int().nullable(),
};

/** Enhance or dereverb with `Accept: application/json`. */
export const toolResultResponse = z.strictObject({
  uuid: z.string().meta({ description: 'The result id (32 hex); the file is also polled with GET /v1/speech/results/?uuid=.' }),
  result_url: z.string().meta({ description: 'The result file: Range requests, expires with expires_at (with LLAIS_S3_PRESIGN: a presigned bucket URL).' }),
  ...resultCommon,
});

/** Separate with `Accept: application/json`: one URL per stem. */
export const separateResultResponse = z.strictObject({
  stems: z.record(z.string(), z.string()).meta({ description: 'Stem name (vocals, accompaniment; or drums, bass, other, vocals[, guitar, piano]) to its result URL.' }),
  ...resultCommon,
});

/** 202 for `async=true`. */
export const toolJobAccepted = z.strictObject({
  job_id: z.string(),
  status: z.literal('processing'),
  progress: z.number(),
  status_url: z.string(),
});

/** `GET /v1/audio/jobs/{job_id}`. */
export const toolJobResponse = z.strictObject({
  job_id: z.string(),
  tool: z.enum(['enhance', 'dereverb', 'separate', 'transcribe']).meta({ description: "`transcribe`: a `POST /v1/stt/` with `async=true` (a Llais extension)." }),
  status: z.enum(['processing', 'completed', 'failed', 'cancelled']),
  progress: z.number().meta({ description: 'Share of the input processed, 0-1 (1 once completed).' }),
  result: z.union([toolResultResponse, separateResultResponse, sttResponse]).optional().meta({ description: 'Once completed: what the synchronous JSON answer would have been.' }),
  error: z.strictObject({ code: z.string(), message: z.string() }).optional().meta({ description: 'Once failed: `interrupted` when a server restart cut the job off, else the error code the synchronous request would have answered.' }),
});
