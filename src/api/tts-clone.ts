/**
 * `POST /v1/tts/clone/`: text spoken in a voice given by example (API.md "Voice identity"): a
 * `reference_audio` upload (10-30 s; checked like /v1/voice-embed/'s, not stored) or a stored
 * voice's `embed_id`. No zero-shot cloning model runs in this build, so the text is spoken by the
 * built-in voice nearest the reference (of a few candidates of the default model in the text's
 * language: nearest log-F0 mean and formant warp) and then converted toward the reference's
 * statistics (src/voice/converter.ts). `model` (chatterbox, cosyvoice2, gpt-sovits) is accepted
 * and recorded. The result is also a completed job (`X-Job-Uuid`), so `/v1/tts/subtitles/`
 * works. 4 credits per 1,000 characters.
 */
import { ApiError } from '../errors.js';
import type { MultipartFields } from '../http/body.js';
import type { HttpExchange } from '../http/exchange.js';
import type { Router } from '../http/router.js';
import type { PlannedSpeech } from '../tts/plan.js';
import { envelopeWarp } from '../voice/converter.js';
import { VOICE_SAMPLE_RATE_HZ } from '../voice/frame-spectrum.js';
import { speakToPcm, toVoiceRate, type SpokenPcm } from '../voice/speak-pcm.js';
import { TAGGED_CONTENT_TYPES, TAGGED_FORMATS, type TaggedFormat } from '../voice/tagged-audio.js';
import type { VoiceStats } from '../voice/voice-profile.js';
import { EMBEDDED_CONVERTER } from './voice-convert.js';
import { F5_CLONER, f5CloneSpeech, f5TtsFor } from './tts-clone-f5.js';
import { REFERENCE_MAX_SEC, REFERENCE_MIN_VOICED_SEC } from './voice-embed.js';
import { reserveVoiceCharge, VOICE_CLONE_CREDITS_PER_1K_CHARS } from './voice-charge.js';
import { storeSyntheticResult } from './voice-result.js';
import { audioFile, oneOf, readVoiceForm, storedVoice, SYNTHETIC_HEADERS, textField, VOICE_UPLOAD_LIMITS, type VoiceContext } from './voice-upload.js';

export const CLONE_MODELS = ['chatterbox', 'cosyvoice2', 'gpt-sovits', 'f5-tts'] as const;
/** `X-Llais-Cloner` of the path without a cloning model: a built-in voice, then conversion. */
const BASE_VOICE_CLONER = 'base-voice+conversion';
/** Built-in voices measured as candidates for the base voice (each measured once per server). */
const BASE_CANDIDATES = 4;

interface CloneFields { text: string; model: string; format: TaggedFormat; language: string | undefined; referenceText: string | undefined }

function cloneFields(fields: MultipartFields, complete: boolean, maxChars: number): Partial<CloneFields> {
  const text = textField(fields, 'text');
  if (complete && text === undefined) throw new ApiError('missing_required_parameter', "Missing required field 'text'", 'text');
  if (text !== undefined && text.length > maxChars) throw new ApiError('text_too_long', `'text' has ${text.length} characters; the most is ${maxChars}`, 'text');
  return { text, model: oneOf(fields, 'model', CLONE_MODELS, 'chatterbox'), format: oneOf(fields, 'format', TAGGED_FORMATS, 'mp3'), language: textField(fields, 'language'), referenceText: textField(fields, 'reference_text') };
}

/** The built-in voice nearest `target`: of the default model's voices for `language`, the default first. */
async function nearestBaseVoice(ctx: VoiceContext, ex: HttpExchange, target: VoiceStats, language: string | undefined): Promise<string> {
  const { model, voice } = ctx.tts.defaults();
  const lang = (language ?? 'en').toLowerCase();
  const others = ctx.tts.voices().filter((v) => v.model === model && v.id !== voice && v.language.toLowerCase().split('-')[0] === lang.split('-')[0]);
  const candidates = [voice, ...others.slice(0, BASE_CANDIDATES - 1).map((v) => v.id)];
  let best = voice;
  let bestDistance = Infinity;
  for (const id of candidates) {
    const stats = (await ctx.builtins.get(id, ex.signal)).stats;
    const distance = Math.abs(stats.logF0Mean - target.logF0Mean) + Math.abs(Math.log(envelopeWarp(stats.envelope, target.envelope)));
    if (distance < bestDistance) [best, bestDistance] = [id, distance];
  }
  return best;
}

export function registerTtsCloneRoutes(router: Router, ctx: VoiceContext): void {
  const maxChars = ctx.tts.limits.maxTextChars;
  router.post('/v1/tts/clone', async (ex) => {
    const body = await readVoiceForm(ctx, ex, { reference_audio: VOICE_UPLOAD_LIMITS.reference }, (fields) => void cloneFields(fields, false, maxChars));
    const fields = cloneFields(body.fields, true, maxChars) as CloneFields;
    const embedId = textField(body.fields, 'embed_id');
    const f5 = f5TtsFor(ctx, fields.model);
    let target: VoiceStats;
    let referencePath: string | undefined;
    if (embedId !== undefined) {
      if (body.files.reference_audio) throw new ApiError('conflicting_parameters', "Send 'reference_audio' or 'embed_id', not both", 'embed_id');
      target = (await storedVoice(ctx, ex, embedId, 'embed_id')).stats;
    } else {
      if (!body.files.reference_audio) throw new ApiError('missing_required_parameter', "Send the voice to clone: 'reference_audio' (a file) or 'embed_id' (from /v1/voice-embed/)", 'reference_audio');
      const file = await audioFile(body, 'reference_audio');
      target = (await ctx.pool.voice(file.path, { kind: 'voice', op: 'embed', maxSec: REFERENCE_MAX_SEC, minVoicedSec: REFERENCE_MIN_VOICED_SEC, oneSpeaker: true }, ex.signal)).stats;
      referencePath = file.path;
    }
    if (f5 && referencePath !== undefined) {
      const planned = ctx.tts.plan({ text: fields.text, model: '', voice: ctx.tts.defaults().voice, format: fields.format, speed: 1, pronunciations: [] });
      const reference = referencePath;
      await cloneAndSend(ctx, ex, fields, planned, { 'X-Llais-Cloner': F5_CLONER }, () => f5CloneSpeech(ctx, ex, f5, reference, fields.text, fields.referenceText));
      return;
    }
    const base = await nearestBaseVoice(ctx, ex, target, fields.language);
    const planned = ctx.tts.plan({ text: fields.text, model: '', voice: base, format: fields.format, speed: 1, pronunciations: [], ...(fields.language ? { language: fields.language } : {}) });
    await cloneAndSend(ctx, ex, fields, planned, { 'X-Llais-Base-Voice': base, 'X-Llais-Converter': EMBEDDED_CONVERTER, 'X-Llais-Cloner': BASE_VOICE_CLONER }, async () => {
      const spoken = await speakToPcm(planned, ex.signal);
      const converted = await ctx.pool.voice(toVoiceRate(spoken.pcm, spoken.sampleRateHz), { kind: 'voice', op: 'convert', spec: { target }, maxSec: Number.POSITIVE_INFINITY }, ex.signal);
      return { pcm: converted.pcm, sampleRateHz: VOICE_SAMPLE_RATE_HZ, words: spoken.words };
    });
  });
}

/**
 * Either cloning path's answer: the clone is charged per 1,000 characters, spoken by `speak`,
 * stored as a result and sent with the headers every clone carries plus the path's own; a failure
 * anywhere refunds the charge.
 */
async function cloneAndSend(ctx: VoiceContext, ex: HttpExchange, fields: CloneFields, planned: PlannedSpeech, pathHeaders: Record<string, string>, speak: () => Promise<SpokenPcm>): Promise<void> {
  const charge = await reserveVoiceCharge(ctx, ex, VOICE_CLONE_CREDITS_PER_1K_CHARS, 'voice cloning', planned.chars);
  try {
    const spoken = await speak();
    const credits = await charge.commit(planned.chars / 1000);
    const stored = await storeSyntheticResult(ctx, ex, planned, spoken, fields.format, credits.used);
    ex.send(200, {
      'Content-Type': TAGGED_CONTENT_TYPES[fields.format],
      'Content-Disposition': `attachment; filename="clone.${fields.format}"`,
      ...SYNTHETIC_HEADERS,
      'X-Job-Uuid': stored.uuid,
      'X-Llais-Model': fields.model,
      ...pathHeaders,
      'X-Credits-Used': String(credits.used),
      ...(credits.remaining === null ? {} : { 'X-Credits-Remaining': String(credits.remaining) }),
    }, stored.bytes);
  } catch (error) {
    void charge.refund();
    throw error;
  }
}
