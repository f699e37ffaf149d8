/**
 * Resolves a request's model and voice against what is installed, with the errors a user can
 * act on: an unknown name is a 400 that points at the listing endpoint, a known model that is
 * not installed is a 424 that says how to install it.
 */
import { MODEL_CATALOGUE } from '../engines/tts/catalogue.js';
import { effectiveDefaults, kokoroVoiceForOpenAi } from './defaults.js';
import type { TtsRuntime } from './runtime.js';
import type { TtsEngine, Voice } from '../engines/tts/types.js';
import { ApiError } from '../errors.js';

/** OpenAI's model names, accepted so its clients work unchanged; they mean "the default". */
const OPENAI_MODELS = new Set(['tts-1', 'tts-1-hd', 'gpt-4o-mini-tts', 'gpt-4o-tts']);

/**
 * OpenAI's voice names mapped by the gender and accent their voices are known for, so a client
 * that asks for `onyx` gets a male voice and `fable` a British one.
 */
const OPENAI_VOICES: Record<string, { gender: 'male' | 'female'; accent?: 'gb' }> = {
  alloy: { gender: 'female' }, ash: { gender: 'male' }, ballad: { gender: 'male', accent: 'gb' },
  coral: { gender: 'female' }, echo: { gender: 'male' }, fable: { gender: 'male', accent: 'gb' },
  onyx: { gender: 'male' }, nova: { gender: 'female' }, sage: { gender: 'female' },
  shimmer: { gender: 'female' }, verse: { gender: 'male' }, marin: { gender: 'female' }, cedar: { gender: 'male' },
};

export interface Resolved {
  engine: TtsEngine;
  voice: Voice;
  model: string;
  creditsPer1k: number;
}

/** Throws 424 when `model` is catalogued but not installed, 400 when unknown. */
export function requireEngine(runtime: TtsRuntime, model: string): { engine: TtsEngine; creditsPer1k: number } {
  const loaded = runtime.engine(model);
  const known = MODEL_CATALOGUE.find((m) => m.id === model);
  // The hot path: a loaded engine needs no look at the models directory.
  if (loaded && known) return { engine: loaded, creditsPer1k: known.credits_per_1k_chars };
  const info = known && runtime.models().find((m) => m.id === model);
  if (!info) {
    throw new ApiError('model_not_found', `Unknown model '${model}'. GET /v1/models/ lists the models this server knows.`, 'model');
  }
  const engine = info.installed ? runtime.engine(model) : undefined;
  // Installed, but every voice of it is broken: say which and why, not "no engine".
  const failed = engine ? undefined : runtime.modelFailedError(model);
  if (failed) throw failed;
  if (!engine && info.installed) {
    throw new ApiError('engine_not_available', `Model '${model}' is installed, but this version of the server has no engine that runs it yet. Use one of the models listed at GET /v1/models/ with "loaded": true.`, 'model');
  }
  if (!engine) {
    const how = info.install_hint ?? `llais models pull ${model}`;
    throw new ApiError('model_not_installed', `Model '${model}' is not installed on this server. Install it with \`${how}\` and restart, or use one of the installed models listed at GET /v1/models/.`, 'model');
  }
  return { engine, creditsPer1k: info.credits_per_1k_chars };
}

export function resolveModelAndVoice(
  runtime: TtsRuntime,
  opts: { model?: string; voice?: string; language?: string; defaultModel: string; defaultVoice: string },
): Resolved {
  const requestedModel = opts.model && !OPENAI_MODELS.has(opts.model) ? opts.model : undefined;
  const defaults = effectiveDefaults(runtime, { model: opts.defaultModel, voice: opts.defaultVoice });
  let voice = opts.voice ? runtime.findVoice(opts.voice) : undefined;
  if (opts.voice && !voice) {
    const alias = OPENAI_VOICES[opts.voice.toLowerCase()];
    if (alias) voice = kokoroAlias(runtime, opts.voice, requestedModel ?? defaults.model, opts.language ?? 'en');
    if (alias && !voice) voice = openAiVoice(runtime, requestedModel, defaults.model, alias, opts.language ?? 'en');
  }
  if (opts.voice && !voice) {
    // An installed voice whose files are broken: 424 with the reason and the reinstall command.
    const failed = runtime.voiceFailedError(opts.voice);
    if (failed) throw failed;
    // A voice of a catalogued model that is not installed deserves the 424, not a 400.
    if (requestedModel) requireEngine(runtime, requestedModel);
    const named = opts.voice;
    const owner = MODEL_CATALOGUE.find((m) => m.voice_pattern?.test(named) && !runtime.engine(m.id));
    if (owner) {
      try {
        requireEngine(runtime, owner.id);
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        throw new ApiError(err.code, `Voice '${named}' is a voice of model '${owner.id}'. ${err.message}`, 'voice');
      }
    }
    throw new ApiError('voice_not_found', `Unknown voice '${opts.voice}'. GET /v1/voices/ lists the voices of the installed models.`, 'voice');
  }
  const model = requestedModel ?? voice?.model ?? defaults.model;
  const { engine, creditsPer1k } = requireEngine(runtime, model);
  if (!voice) {
    voice = (opts.language ? runtime.defaultVoiceFor(model, opts.language) : undefined) ?? runtime.findVoice(defaults.voice);
    if (!voice || voice.model !== model) voice = runtime.defaultVoiceFor(model, opts.language ?? 'en');
    if (!voice) throw new ApiError('voice_not_found', `Model '${model}' has no voice for this request; pass 'voice'.`, 'voice');
  }
  if (voice.model !== model) {
    throw new ApiError('voice_model_mismatch', `Voice '${voice.id}' belongs to model '${voice.model}', not '${model}'. Omit 'model' or pick a voice of '${model}' from GET /v1/voices/?model=${model}.`, 'voice');
  }
  return { engine, voice, model, creditsPer1k };
}

/** With Kokoro the model, an OpenAI name for English text means the Kokoro voice of that name (see defaults.ts). */
function kokoroAlias(runtime: TtsRuntime, name: string, model: string, language: string): Voice | undefined {
  if (model !== 'kokoro' || language.toLowerCase().split('-')[0] !== 'en') return undefined;
  const id = kokoroVoiceForOpenAi(name);
  const voice = id === undefined ? undefined : runtime.findVoice(id);
  return voice?.model === 'kokoro' ? voice : undefined;
}

/**
 * OpenAI's voices speak whatever language the text is in, so an alias picks a voice of the
 * text's language: from the requested (or default) model when it speaks it, else from any
 * loaded model that does, so French text sent with `alloy` is spoken in French.
 */
function openAiVoice(
  runtime: TtsRuntime,
  requestedModel: string | undefined,
  defaultModel: string,
  want: { gender: 'male' | 'female'; accent?: 'gb' },
  language: string,
): Voice | undefined {
  const primary = language.toLowerCase().split('-')[0]!;
  const speaks = (v: Voice): boolean => v.language.toLowerCase().split('-')[0] === primary;
  const all = runtime.voices();
  const model = requestedModel ?? defaultModel;
  let candidates = all.filter((v) => v.model === model && speaks(v));
  if (candidates.length === 0 && !requestedModel) candidates = all.filter(speaks);
  const region = language.toLowerCase().split('-')[1];
  const score = (v: Voice): number => {
    const lang = v.language.toLowerCase();
    const accent = want.accent ?? region ?? (primary === 'en' ? 'us' : undefined);
    return (v.gender === want.gender ? 4 : 0) + (accent && lang.endsWith(`-${accent}`) ? 2 : 0) + (v.model === model ? 1 : 0);
  };
  return [...candidates].sort((a, b) => score(b) - score(a) || a.id.localeCompare(b.id))[0];
}
