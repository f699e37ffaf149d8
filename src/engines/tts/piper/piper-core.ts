/**
 * Piper voices on onnxruntime-node, inside a TTS worker thread.
 *
 * A voice's session is created the first time this worker speaks with it and kept (one per
 * voice per worker; replaced when its files change), by `createSession` with the server's
 * providers and threads (one intra-op thread by default: the pool runs one task per worker,
 * so N workers use N cores and never oversubscribe them).
 * Text is phonemized per sentence (eSpeak NG, the voice's `espeak.voice`), each sentence is one
 * inference and one chunk, so a long piece starts playing after its first sentence.
 *
 * Model I/O, as Piper's `export_onnx.py` writes it: `input` int64 [1, ids], `input_lengths`
 * int64 [1], `scales` float32 [noise_scale, length_scale, noise_w], `sid` int64 [1] for
 * multi-speaker voices; `output` float32 [1, 1, 1, samples] at the voice's sample rate.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import type { AudioChunk } from '../../../audio/pcm.js';
import { createSession, DEFAULT_ONNX_SETTINGS, type OnnxSettings } from '../../onnx/settings.js';
import { phonemeIds } from './phoneme-ids.js';
import { parsePiperConfig, type PiperVoiceConfig } from './voice-config.js';
import { VoiceLoadError } from './voice-load-error.js';

/** What a worker needs to speak with one voice; built by the main thread from a checked voice. */
export interface PiperVoiceRef {
  modelPath: string;
  configPath: string;
  /** Changes when the files change; a session of another version is replaced. */
  version: string;
  /** The eSpeak identifier (`gmw/en-US`) for the voice's `espeak.voice`. */
  espeakIdentifier: string;
  /** null for single-speaker voices. */
  speakerId: number | null;
  /** The voice's length_scale divided by the request's speed. */
  lengthScale: number;
}

/** Text to one phoneme string per sentence with the given eSpeak voice. */
export type SentencePhonemizer = (text: string, espeakIdentifier: string) => string[];

/** Piper's int16 conversion (`audio_float_to_int16`): peak-normalized, never amplifying more than 100x. */
const MIN_PEAK = 0.01;
const INT16_MAX = 32_767;

interface LoadedVoice {
  version: string;
  session: ort.InferenceSession;
  config: PiperVoiceConfig;
}

export class PiperCore {
  private readonly loaded = new Map<string, LoadedVoice>();

  constructor(
    private readonly phonemize: SentencePhonemizer,
    private readonly settings: OnnxSettings = DEFAULT_ONNX_SETTINGS,
  ) {}

  /** Speaks `text`, one chunk per sentence; stops when `sink` returns false. */
  async synthesize(text: string, ref: PiperVoiceRef, sink: (chunk: AudioChunk) => boolean): Promise<void> {
    const voice = await this.voice(ref);
    const { config } = voice;
    for (const sentence of this.phonemize(text, ref.espeakIdentifier)) {
      const ids = phonemeIds(sentence, config.phonemeIdMap);
      const samples = await this.infer(voice, ids, ref);
      if (!sink({ pcm: toInt16(samples), sampleRateHz: config.sampleRateHz })) return;
    }
  }

  private async infer(voice: LoadedVoice, ids: number[], ref: PiperVoiceRef): Promise<Float32Array> {
    const { config } = voice;
    const feeds: Record<string, ort.Tensor> = {
      input: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
      input_lengths: new ort.Tensor('int64', BigInt64Array.of(BigInt(ids.length)), [1]),
      scales: new ort.Tensor('float32', Float32Array.of(config.noiseScale, ref.lengthScale, config.noiseW), [3]),
    };
    if (config.multiSpeaker) feeds.sid = new ort.Tensor('int64', BigInt64Array.of(BigInt(ref.speakerId ?? 0)), [1]);
    const result = await voice.session.run(feeds);
    const output = result.output;
    if (!output || output.type !== 'float32') throw new Error('Piper model returned no float32 output');
    return output.data as Float32Array;
  }

  private async voice(ref: PiperVoiceRef): Promise<LoadedVoice> {
    const cached = this.loaded.get(ref.modelPath);
    if (cached?.version === ref.version) return cached;
    if (cached) {
      this.loaded.delete(ref.modelPath);
      await cached.session.release();
    }
    let voice: LoadedVoice;
    try {
      const config = parsePiperConfig(readFileSync(ref.configPath, 'utf8'));
      const session = await createSession(ref.modelPath, this.settings);
      voice = { version: ref.version, session, config };
    } catch (err) {
      throw new VoiceLoadError((err as Error).message);
    }
    this.loaded.set(ref.modelPath, voice);
    return voice;
  }
}

function toInt16(samples: Float32Array): Int16Array {
  let peak = 0;
  for (const s of samples) peak = Math.max(peak, Math.abs(s));
  const scale = INT16_MAX / Math.max(MIN_PEAK, peak);
  const pcm = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) pcm[i] = Math.max(-INT16_MAX, Math.min(INT16_MAX, Math.round(samples[i]! * scale)));
  return pcm;
}
