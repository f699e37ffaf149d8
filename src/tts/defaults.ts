/**
 * What a request that leaves the model or voice out gets, following what is installed: with
 * `defaultModel`/`defaultVoice` at `auto` (the configuration's default), Kokoro and `af_bella`
 * (the defaults API.md names) when Kokoro is installed and usable, else Flite's `flite-slt`,
 * which ships with the server. And which Kokoro voice an OpenAI voice name means.
 */
import type { TtsRuntime } from './runtime.js';

/** The configuration value that means "follow what is installed". */
export const AUTO = 'auto';
const PREFERRED_MODEL = 'kokoro';
const PREFERRED_VOICE = 'af_bella';
const FALLBACK_MODEL = 'flite';
const FALLBACK_VOICE = 'flite-slt';

/** The model and voice `auto` stands for now; configured values are kept as they are. */
export function effectiveDefaults(runtime: TtsRuntime, configured: { model: string; voice: string }): { model: string; voice: string } {
  const model = configured.model !== AUTO ? configured.model : runtime.engine(PREFERRED_MODEL) ? PREFERRED_MODEL : FALLBACK_MODEL;
  if (configured.voice !== AUTO) return { model, voice: configured.voice };
  const wanted = model === PREFERRED_MODEL ? PREFERRED_VOICE : FALLBACK_VOICE;
  const voice = runtime.findVoice(wanted)?.model === model ? wanted : runtime.defaultVoiceFor(model, 'en')?.id;
  return { model, voice: voice ?? wanted };
}

/**
 * OpenAI's voice names -> Kokoro v1.0 voices (hexgrad/Kokoro-82M VOICES.md). Five have a Kokoro
 * voice of the same name. The others have none, so each gets the closest by OpenAI's gender and
 * accent, picking among those the voices VOICES.md grades best: shimmer (bright, female) ->
 * af_sky; coral (warm, female) -> af_heart; sage (calm, female) -> af_sarah; marin -> af_bella;
 * ash, verse, cedar (male) -> am_michael, am_puck, am_fenrir; ballad (male, British) -> bm_george.
 */
const OPENAI_TO_KOKORO: Readonly<Record<string, string>> = {
  alloy: 'af_alloy', echo: 'am_echo', fable: 'bm_fable', onyx: 'am_onyx', nova: 'af_nova',
  shimmer: 'af_sky', coral: 'af_heart', sage: 'af_sarah', marin: 'af_bella',
  ash: 'am_michael', verse: 'am_puck', cedar: 'am_fenrir', ballad: 'bm_george',
};

/** The Kokoro voice id an OpenAI voice name stands for, or undefined when it is not one. */
export function kokoroVoiceForOpenAi(name: string): string | undefined {
  return OPENAI_TO_KOKORO[name.toLowerCase()];
}
