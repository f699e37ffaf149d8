/**
 * A Piper voice's `<name>.onnx.json`: the fields synthesis reads, checked by one schema.
 *
 * Field names and defaults are Piper's own (`src/python_run/piper/config.py`, `piper.cpp`):
 * `audio.sample_rate`, `espeak.voice`, `inference.{noise_scale,length_scale,noise_w}`,
 * `phoneme_id_map` (each phoneme to one or more ids), `num_speakers` and `speaker_id_map`.
 * Only eSpeak-phonemized voices are supported; `phoneme_type: "text"` voices are refused.
 */
import { z } from 'zod';

/** Piper's defaults where a voice's JSON leaves a scale out (`piper.hpp`). */
const DEFAULT_NOISE_SCALE = 0.667;
const DEFAULT_LENGTH_SCALE = 1;
const DEFAULT_NOISE_W = 0.8;

const configSchema = z.object({
  audio: z.object({ sample_rate: z.number().int().min(8_000).max(96_000) }),
  espeak: z.object({ voice: z.string().min(1) }),
  phoneme_type: z.string().optional(),
  inference: z
    .object({
      noise_scale: z.number().positive().optional(),
      length_scale: z.number().positive().optional(),
      noise_w: z.number().nonnegative().optional(),
    })
    .optional(),
  phoneme_id_map: z.record(z.string(), z.array(z.number().int().nonnegative()).min(1)),
  num_speakers: z.number().int().positive().optional(),
  speaker_id_map: z.record(z.string(), z.number().int().nonnegative()).optional(),
  language: z.object({ code: z.string().min(1) }).optional(),
});

export interface PiperVoiceConfig {
  sampleRateHz: number;
  /** The eSpeak NG voice the phonemes come from, as the JSON names it (`en-us`, `de`). */
  espeakVoice: string;
  /** BCP-47-style, lower case: `en-us` from `language.code` `en_US`, else the eSpeak voice. */
  language: string;
  noiseScale: number;
  lengthScale: number;
  noiseW: number;
  phonemeIdMap: ReadonlyMap<string, readonly number[]>;
  /** Speaker name -> `sid`; empty for single-speaker voices (which have no `sid` input). */
  speakers: ReadonlyMap<string, number>;
  multiSpeaker: boolean;
}

/** Parses the JSON text of a voice config; throws an Error whose message says what is wrong. */
export function parsePiperConfig(jsonText: string): PiperVoiceConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(jsonText);
  } catch (err) {
    throw new Error(`not valid JSON (${(err as Error).message})`);
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${issue.path.join('.') || 'config'}: ${issue.message}`);
  }
  const c = parsed.data;
  if (c.phoneme_type !== undefined && c.phoneme_type !== 'espeak') {
    throw new Error(`phoneme_type '${c.phoneme_type}' is not supported (only 'espeak')`);
  }
  for (const symbol of ['^', '$', '_']) {
    if (!(symbol in c.phoneme_id_map)) throw new Error(`phoneme_id_map has no '${symbol}'`);
  }
  const speakers = new Map(Object.entries(c.speaker_id_map ?? {}));
  const multiSpeaker = (c.num_speakers ?? 1) > 1;
  if (multiSpeaker && speakers.size === 0) throw new Error('num_speakers > 1 but speaker_id_map is empty');
  return {
    sampleRateHz: c.audio.sample_rate,
    espeakVoice: c.espeak.voice,
    language: (c.language?.code ?? c.espeak.voice).toLowerCase().replaceAll('_', '-'),
    noiseScale: c.inference?.noise_scale ?? DEFAULT_NOISE_SCALE,
    lengthScale: c.inference?.length_scale ?? DEFAULT_LENGTH_SCALE,
    noiseW: c.inference?.noise_w ?? DEFAULT_NOISE_W,
    phonemeIdMap: new Map(Object.entries(c.phoneme_id_map)),
    speakers: multiSpeaker ? speakers : new Map(),
    multiSpeaker,
  };
}
