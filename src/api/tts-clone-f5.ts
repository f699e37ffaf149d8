/**
 * The zero-shot model path of `POST /v1/tts/clone/`: F5-TTS (src/engines/voice/f5-tts.ts) speaks
 * the text in the uploaded reference's voice in a pool worker. F5-TTS continues the reference, so
 * it needs the reference's words: `reference_text`, else the server's own transcription of it.
 * F5-TTS gives no word timings; the job's subtitles spread the words over the audio by their
 * share of the characters (an estimate, marked as such in docs/voice-identity.md).
 */
import type { WordTiming } from '../audio/pcm.js';
import { ApiError } from '../errors.js';
import type { HttpExchange } from '../http/exchange.js';
import type { F5Paths } from '../engines/voice/f5-tts.js';
import { VOICE_SAMPLE_RATE_HZ } from '../voice/frame-spectrum.js';
import { F5_TTS_MODEL, installedF5Tts } from '../voice/voice-models.js';
import { REFERENCE_MAX_SEC } from './voice-embed.js';
import type { VoiceContext } from './voice-upload.js';

export const F5_CLONER = 'f5-tts';

/** The installed F5-TTS files; a 424 naming what to install when `model` asked for it and it is missing. */
export function f5TtsFor(ctx: VoiceContext, model: string): F5Paths | undefined {
  const paths = installedF5Tts(ctx.config.modelsDir);
  if (!paths && model === F5_CLONER) throw new ApiError('model_not_installed', `The zero-shot cloning model f5-tts is not installed: ${F5_TTS_MODEL.install_hint}, or by hand: ${F5_TTS_MODEL.manual_install}`, 'model');
  return paths;
}

/** `text` in the voice of the reference file at `path` (already checked as a voice reference); 16 kHz. */
export async function f5CloneSpeech(ctx: VoiceContext, ex: HttpExchange, paths: F5Paths, path: string, text: string, referenceText: string | undefined): Promise<{ pcm: Int16Array; sampleRateHz: number; words: WordTiming[] }> {
  let refText = referenceText?.trim();
  if (!refText) {
    const transcript = await ctx.stt.transcribe({ kind: 'file', path }, { language: 'auto', task: 'transcribe', wordTimestamps: false, diarize: false }, ex.signal);
    refText = transcript.text.trim();
    if (!refText) throw new ApiError('no_speech', 'No words were recognized in the reference audio; F5-TTS needs its transcript (send reference_text)', 'reference_text');
  }
  // As upstream's preprocess_ref_audio_text (f5_tts/infer/utils_infer.py): the reference ends in
  // ". " (or " " after its own full stop), since the two texts are joined directly.
  const ended = refText.endsWith('. ') || refText.endsWith('。') ? refText : refText.endsWith('.') ? `${refText} ` : `${refText}. `;
  const { pcm } = await ctx.pool.voice(path, { kind: 'voice', op: 'clone', f5: paths, referenceText: ended, text, maxSec: REFERENCE_MAX_SEC }, ex.signal);
  return { pcm, sampleRateHz: VOICE_SAMPLE_RATE_HZ, words: spreadWords(text, pcm.length / VOICE_SAMPLE_RATE_HZ) };
}

/** Each word of `text` over `durationSec` by its share of the characters. */
export function spreadWords(text: string, durationSec: number): WordTiming[] {
  const words = text.split(/\s+/).filter((w) => w.length > 0);
  const total = words.reduce((a, w) => a + w.length + 1, 0);
  let at = 0;
  return words.map((word) => {
    const start = (at / total) * durationSec;
    at += word.length + 1;
    return { word, start: Math.round(start * 1000) / 1000, end: Math.round(((at - 1) / total) * durationSec * 1000) / 1000 };
  });
}
