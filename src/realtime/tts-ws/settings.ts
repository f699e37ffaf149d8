/**
 * A `/v1/tts/ws` session's voice settings, resolved once against the installed engines so that
 * a bad model or voice is refused at the upgrade (or in `session.update`), never mid-speech.
 */
import { OUTPUT_SAMPLE_RATE_HZ } from '../../audio/pcm.js';
import type { TtsEngine, Voice } from '../../engines/tts/types.js';
import { invalidParam } from '../../errors.js';
import { normalizeLanguageTag } from '../../text/language-tag.js';
import type { TtsService } from '../../tts/service.js';
import type { OutputFormat, RequestedSettings, SessionInfo } from './protocol.js';

export interface SessionSettings {
  /** What the client asked for, kept so a later `session.update` changes only what it names. */
  requested: RequestedSettings;
  engine: TtsEngine;
  voice: Voice;
  model: string;
  /** Every sentence is spoken in this language: per-sentence detection would flip on short text. */
  language: string;
  speed: number;
  format: OutputFormat;
}

/** Throws the same 400/424 ApiErrors as `/v1/tts` for an unknown or uninstalled model or voice. */
export function resolveSettings(tts: TtsService, requested: RequestedSettings): SessionSettings {
  let language: string | undefined;
  if (requested.language !== undefined && requested.language.toLowerCase() !== 'auto') {
    language = normalizeLanguageTag(requested.language) ?? undefined;
    if (!language) throw invalidParam('language', `'language' must be a language code such as 'en' or 'en-US'`);
  }
  const resolved = tts.resolve({ model: requested.model, voice: requested.voice, language });
  return {
    requested,
    engine: resolved.engine,
    voice: resolved.voice,
    model: resolved.model,
    language: language ?? resolved.voice.language.toLowerCase(),
    speed: requested.speed ?? 1,
    format: requested.output_format ?? 'pcm',
  };
}

export function sessionInfo(s: SessionSettings): SessionInfo {
  return { model: s.model, voice: s.voice.id, language: s.language, speed: s.speed, output_format: s.format, sample_rate: OUTPUT_SAMPLE_RATE_HZ };
}
