/**
 * The voice-identity tasks of the pool (`pool.ts` `voice`), run inside `stt-task.ts`'s worker
 * entry: the pool decodes the upload to 16 kHz mono on the main thread's side and sends the PCM
 * over the task's audio port, as for a transcription.
 * - `embed`: a voice profile and embedding (the embedded statistics, or an installed ONNX
 *   speaker model's embedding beside the same statistics), with the upload checks of a voice
 *   reference: long enough speech, not too long, one speaker (the halves must agree).
 * - `convert`: the embedded converter (src/voice/converter.ts) toward target statistics, or an
 *   installed neural one (kNN-VC, OpenVoice) toward the target's audio.
 * - `clone`: F5-TTS zero-shot cloning (engines/voice/f5-tts.ts) of `text` in the uploaded voice.
 */
import { F5_SAMPLE_RATE_HZ, f5Clone, type F5Paths } from '../engines/voice/f5-tts.js';
import { knnVcConvert } from '../engines/voice/knn-vc.js';
import { resampleSinc } from '../engines/voice/sinc-resample.js';
import { openVoiceConvert } from '../engines/voice/openvoice.js';
import { onnxSpeakerEmbedding } from '../engines/voice/speaker-embedder.js';
import { ApiError } from '../errors.js';
import { concatPcm } from '../audio/pcm.js';
import { convertVoice, type ConvertSpec } from '../voice/converter.js';
import { VOICE_SAMPLE_RATE_HZ } from '../voice/frame-spectrum.js';
import { analyzePcm } from '../voice/voice-analyzer.js';
import { EMBEDDED_EXTRACTOR, cosine, voiceProfile, type VoiceStats } from '../voice/voice-profile.js';

export { VOICE_SAMPLE_RATE_HZ };

export interface VoiceEmbedInput {
  kind: 'voice';
  op: 'embed';
  /** An installed speaker model's `.onnx`, with the id to report; absent: the embedded method. */
  onnx?: { id: string; path: string };
  /** Longest audio taken, seconds. */
  maxSec: number;
  /** Least voiced speech wanted, seconds (below: 422 no_speech or audio_too_short). */
  minVoicedSec: number;
  /** Refuse a reference whose halves sound like different speakers. */
  oneSpeaker: boolean;
  /** Send the decoded 16 kHz PCM back (kept with a stored voice for the neural converters). */
  keepAudio?: boolean;
}

export interface VoiceEmbedResult {
  embedding: number[];
  extractor: string;
  stats: VoiceStats;
  audioSec: number;
  /** With `keepAudio`. */
  pcm?: Int16Array;
}

export interface VoiceConvertInput {
  kind: 'voice';
  op: 'convert';
  spec: ConvertSpec;
  maxSec: number;
  /** Convert with kNN-VC (these files, toward this 16 kHz target audio) instead of the embedded converter. */
  knn?: { encoder: string; vocoder: string; target: Int16Array };
  /** Convert with OpenVoice's tone-colour converter (these files, toward this 16 kHz target audio) instead. */
  openvoice?: { extractor: string; converter: string; target: Int16Array };
}

export interface VoiceConvertResult {
  /** Mono at VOICE_SAMPLE_RATE_HZ. */
  pcm: Int16Array;
  source: VoiceStats;
  warp: number;
  pitchRatio: number;
}

export interface VoiceCloneInput {
  kind: 'voice';
  op: 'clone';
  /** The installed F5-TTS files; the audio is the reference voice. */
  f5: F5Paths;
  referenceText: string;
  text: string;
  maxSec: number;
  /** Set by the pool: read between flow-matching steps. */
  cancelFlag?: Int32Array;
}

export interface VoiceCloneResult {
  /** Mono at VOICE_SAMPLE_RATE_HZ. */
  pcm: Int16Array;
}

export type VoiceTaskInput = VoiceEmbedInput | VoiceConvertInput | VoiceCloneInput;
export interface VoiceTaskResults {
  embed: VoiceEmbedResult;
  convert: VoiceConvertResult;
  clone: VoiceCloneResult;
}

/**
 * Halves of one speaker's clip measured 0.90-0.99 apart (cosine) on the built-in voices; two
 * voices' clips 0.44-0.88. A pair of halves under this, or whose mean F0 differs by more than
 * MAX_HALF_F0_GAP (natural log, ~6 semitones), is refused as several speakers.
 */
const MIN_HALF_SIMILARITY = 0.7;
const MAX_HALF_F0_GAP = 0.35;

export async function runVoiceTask(task: VoiceTaskInput, audio: AsyncIterable<Int16Array>): Promise<VoiceTaskResults[VoiceTaskInput['op']]> {
  const pcm = await collect(audio, task.maxSec);
  if (task.op === 'clone') return clone(task, pcm);
  return task.op === 'embed' ? embed(task, pcm) : convert(task, pcm);
}

async function collect(audio: AsyncIterable<Int16Array>, maxSec: number): Promise<Int16Array> {
  const parts: Int16Array[] = [];
  let samples = 0;
  for await (const chunk of audio) {
    samples += chunk.length;
    if (samples > maxSec * VOICE_SAMPLE_RATE_HZ) throw new ApiError('audio_too_long', `The audio is longer than ${maxSec} s, the most this endpoint takes`, 'file');
    parts.push(chunk);
  }
  return concatPcm(parts);
}

async function embed(task: VoiceEmbedInput, pcm: Int16Array): Promise<VoiceEmbedResult> {
  const audioSec = pcm.length / VOICE_SAMPLE_RATE_HZ;
  if (audioSec < task.minVoicedSec) throw new ApiError('audio_too_short', `The audio is ${audioSec.toFixed(1)} s long; a voice needs at least ${task.minVoicedSec} s of speech (10-30 s is best)`, 'file');
  const frames = analyzePcm(pcm);
  const whole = voiceProfile(frames);
  if (whole.stats.voicedSec < task.minVoicedSec) {
    throw new ApiError('no_speech', `The audio holds ${whole.stats.voicedSec.toFixed(1)} s of voiced speech; a voice needs at least ${task.minVoicedSec} s (10-30 s of one person speaking is best)`, 'file');
  }
  if (task.oneSpeaker) {
    const half = Math.floor(frames.count / 2);
    const a = voiceProfile(frames, 0, half);
    const b = voiceProfile(frames, half);
    const similarity = cosine(a.embedding, b.embedding);
    const f0Gap = a.stats.logF0Mean > 0 && b.stats.logF0Mean > 0 ? Math.abs(a.stats.logF0Mean - b.stats.logF0Mean) : 0;
    if (similarity < MIN_HALF_SIMILARITY || f0Gap > MAX_HALF_F0_GAP) {
      throw new ApiError('multiple_speakers', `The recording sounds like more than one speaker (its halves are ${similarity.toFixed(2)} alike, F0 ${Math.round(Math.exp(a.stats.logF0Mean))} Hz against ${Math.round(Math.exp(b.stats.logF0Mean))} Hz); upload a clip of one voice`, 'file');
    }
  }
  const kept = task.keepAudio ? { pcm } : {};
  if (task.onnx) return { embedding: await onnxSpeakerEmbedding(task.onnx.path, pcm), extractor: task.onnx.id, stats: whole.stats, audioSec, ...kept };
  return { embedding: whole.embedding, extractor: EMBEDDED_EXTRACTOR, stats: whole.stats, audioSec, ...kept };
}

async function convert(task: VoiceConvertInput, pcm: Int16Array): Promise<VoiceConvertResult> {
  if (pcm.length === 0) throw new ApiError('unprocessable_audio', 'The upload decodes to no audio', 'file');
  if (task.openvoice) {
    const out = await openVoiceConvert(task.openvoice, pcm, task.openvoice.target, VOICE_SAMPLE_RATE_HZ);
    return { pcm: out, source: voiceProfile(analyzePcm(pcm)).stats, warp: 1, pitchRatio: 1 };
  }
  if (task.knn) {
    const out = await knnVcConvert(task.knn.encoder, task.knn.vocoder, pcm, task.knn.target);
    return { pcm: out, source: voiceProfile(analyzePcm(pcm)).stats, warp: 1, pitchRatio: 1 };
  }
  const converted = convertVoice(pcm, task.spec);
  return { pcm: converted.pcm, source: converted.source, warp: converted.warp, pitchRatio: converted.pitchRatio };
}

/** F5-TTS works at 24 kHz: the reference goes up from the pool's 16 kHz, the speech comes back down. */
async function clone(task: VoiceCloneInput, pcm: Int16Array): Promise<VoiceCloneResult> {
  if (pcm.length === 0) throw new ApiError('unprocessable_audio', 'The upload decodes to no audio', 'reference_audio');
  const toInt16 = (x: Float32Array): Int16Array => Int16Array.from(x, (v) => Math.max(-32768, Math.min(32767, Math.round(v))));
  const reference = toInt16(resampleSinc(Float32Array.from(pcm), VOICE_SAMPLE_RATE_HZ, F5_SAMPLE_RATE_HZ));
  const out = await f5Clone(task.f5, reference, task.referenceText, task.text, task.cancelFlag ? { cancelFlag: task.cancelFlag } : {});
  return { pcm: toInt16(resampleSinc(Float32Array.from(out), F5_SAMPLE_RATE_HZ, VOICE_SAMPLE_RATE_HZ)) };
}
