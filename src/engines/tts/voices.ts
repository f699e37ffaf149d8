/**
 * Voice lists of the built-in engines, and how a language picks a voice.
 *
 * eSpeak's list is read from its own data when the workers start (one voice per language or
 * accent, 100+); flite's is what its binary reports as compiled in; pico's is one voice per
 * language whose lingware is present. Public ids are unique across engines: eSpeak keeps its
 * own short names (`en-us`, `cy`, `fr`), the others are prefixed (`flite-slt`, `pico-en-us`).
 */
import type { Gender, Voice } from './types.js';
import type { EspeakVoiceInfo } from './espeak/espeak-core.js';

/** A public voice plus what the engine needs to speak with it. */
export interface VoiceEntry {
  voice: Voice;
  /** The engine's own name for it: an eSpeak identifier, a flite voice, a pico language tag. */
  engineVoice: string;
  /** Lower-case language codes it speaks; lower priority number = better fit. */
  languages: Array<{ code: string; priority: number }>;
}

/** The engine's id for a voice, from an eSpeak identifier (`gmw/en-US` -> `en-us`). */
function espeakVoiceId(identifier: string): string {
  return identifier.slice(identifier.lastIndexOf('/') + 1).toLowerCase();
}

/** eSpeak's voices all use its default (male) variant. */
export function espeakVoiceEntries(infos: readonly EspeakVoiceInfo[]): VoiceEntry[] {
  const seen = new Set<string>();
  const entries: VoiceEntry[] = [];
  for (const info of infos) {
    const id = espeakVoiceId(info.identifier);
    if (seen.has(id) || info.languages.length === 0) continue;
    seen.add(id);
    entries.push({
      voice: { id, name: info.name, model: 'espeak', language: info.languages[0].code, gender: 'male' },
      engineVoice: info.identifier,
      languages: info.languages,
    });
  }
  return entries;
}

const FLITE_VOICE_DETAILS: Record<string, { name: string; language: string; gender: Gender }> = {
  slt: { name: 'SLT (US English)', language: 'en-us', gender: 'female' },
  rms: { name: 'RMS (US English)', language: 'en-us', gender: 'male' },
  awb: { name: 'AWB (Scottish English)', language: 'en-gb-scotland', gender: 'male' },
  kal16: { name: 'KAL 16 kHz (US English, diphone)', language: 'en-us', gender: 'male' },
  kal: { name: 'KAL 8 kHz (US English, diphone)', language: 'en-us', gender: 'male' },
};
/** Best first: the clustergen voices sound far better than the diphone ones. */
const FLITE_ORDER = ['slt', 'rms', 'awb', 'kal16', 'kal'];

/** Entries for the voices the flite binary reported; unknown ones are skipped rather than guessed. */
export function fliteVoiceEntries(available: readonly string[]): VoiceEntry[] {
  return FLITE_ORDER.filter((v) => available.includes(v)).map((v) => {
    const d = FLITE_VOICE_DETAILS[v];
    return {
      voice: { id: `flite-${v}`, name: d.name, model: 'flite', language: d.language, gender: d.gender },
      engineVoice: v,
      languages: [
        { code: d.language, priority: 1 },
        { code: 'en', priority: d.language === 'en-us' ? 1 : 2 },
      ],
    };
  });
}

const PICO_NAMES: Record<string, string> = {
  'en-US': 'Pico US English',
  'en-GB': 'Pico British English',
  'de-DE': 'Pico German',
  'es-ES': 'Pico Spanish',
  'fr-FR': 'Pico French',
  'it-IT': 'Pico Italian',
};

/** One (female) voice per pico language with lingware present. */
export function picoVoiceEntries(languages: readonly string[]): VoiceEntry[] {
  return languages.map((tag) => {
    const code = tag.toLowerCase();
    return {
      voice: { id: `pico-${code}`, name: PICO_NAMES[tag] ?? `Pico ${tag}`, model: 'pico', language: code, gender: 'female' },
      engineVoice: tag,
      languages: [
        { code, priority: 1 },
        // US English is the default English, as for every other engine here.
        { code: code.slice(0, 2), priority: tag === 'en-GB' ? 2 : 1 },
      ],
    };
  });
}

/**
 * Where an engine's data ranks another accent first, the voice a bare language code picks:
 * eSpeak ranks British English first for `en`; US English is this server's default English.
 */
const PREFERRED: Record<string, Record<string, string>> = {
  espeak: { en: 'en-us' },
  // API.md's default voice; Kokoro's voices otherwise rank alike, and af_alloy would come first.
  kokoro: { en: 'af_bella', 'en-us': 'af_bella' },
};

/**
 * The best voice among `entries` (one model's) for `language` (`fr`, `en-US`, `pt_BR`):
 * an exact language code match by priority, else the same for its primary subtag.
 */
export function pickVoice(model: string, entries: readonly VoiceEntry[], language: string): VoiceEntry | undefined {
  const wanted = language.trim().toLowerCase().replaceAll('_', '-');
  const candidates = [wanted];
  const primary = wanted.split('-')[0];
  if (primary !== wanted) candidates.push(primary);
  for (const code of candidates) {
    const preferred = PREFERRED[model]?.[code];
    if (preferred !== undefined) {
      const hit = entries.find((e) => e.voice.id === preferred);
      if (hit) return hit;
    }
    let best: VoiceEntry | undefined;
    let bestPriority = Infinity;
    for (const e of entries) {
      const match = e.languages.find((l) => l.code === code);
      if (match && match.priority < bestPriority) {
        best = e;
        bestPriority = match.priority;
      }
    }
    if (best) return best;
  }
  return undefined;
}
