/**
 * A Realtime session's settings: defaults, `session.update` in either shape (GA's nested
 * `audio.input` / `audio.output`, or beta's flat `input_audio_format`, `voice`, ...), and the
 * `session` object echoed back in each dialect. An update is validated whole before any of it
 * applies, so a bad field leaves the session as it was.
 */
import { ApiError, invalidParam } from '../../errors.js';
import type { ChatTool } from '../../llm/types.js';
import type { Dialect } from './protocol.js';
import { includeList, sessionType, transcriptionSessionObject, type TranscriptionInclude } from './transcription-session.js';

/** `audio/opus` is our extension: raw Opus packets, one per append, for clients that send Opus. */
export type AudioFormatType = 'audio/pcm' | 'audio/pcmu' | 'audio/pcma' | 'audio/opus';

export interface TurnDetection {
  type: 'server_vad' | 'semantic_vad';
  threshold: number;
  prefixPaddingMs: number;
  silenceDurationMs: number;
  createResponse: boolean;
  interruptResponse: boolean;
  /** semantic_vad only, echoed back. */
  eagerness?: string;
}

export interface SessionConfig {
  id: string;
  /** `transcription`: input audio is transcribed (deltas while spoken, completed per turn) and never answered. */
  type: 'realtime' | 'transcription';
  /** Extra output asked for (`item.input_audio_transcription.logprobs`). */
  include: TranscriptionInclude[];
  model: string;
  instructions: string;
  outputModalities: Array<'audio' | 'text'>;
  inputFormat: AudioFormatType;
  outputFormat: Exclude<AudioFormatType, 'audio/opus'>;
  voice: string;
  speed: number;
  transcription: { model: string; language?: string; prompt?: string } | null;
  turnDetection: TurnDetection | null;
  tools: ChatTool[];
  toolChoice: 'auto' | 'none' | 'required' | { type: 'function'; name: string };
  maxOutputTokens: number | 'inf';
  temperature: number | null;
}

export const DEFAULT_INSTRUCTIONS = 'You are a helpful, witty and friendly voice assistant. Keep your answers short and conversational.';

export function defaultSessionConfig(id: string, model: string, voice: string): SessionConfig {
  return {
    id,
    type: 'realtime',
    include: [],
    model,
    instructions: DEFAULT_INSTRUCTIONS,
    outputModalities: ['audio'],
    inputFormat: 'audio/pcm',
    outputFormat: 'audio/pcm',
    voice,
    speed: 1,
    transcription: null,
    turnDetection: defaultTurnDetection(),
    tools: [],
    toolChoice: 'auto',
    maxOutputTokens: 'inf',
    temperature: null,
  };
}

function defaultTurnDetection(): TurnDetection {
  return { type: 'server_vad', threshold: 0.5, prefixPaddingMs: 300, silenceDurationMs: 500, createResponse: true, interruptResponse: true };
}

/** semantic_vad's eagerness as a silence window: we detect turns acoustically, not semantically. */
const EAGERNESS_SILENCE_MS: Record<string, number> = { low: 1200, medium: 700, auto: 700, high: 350 };

type Obj = Record<string, unknown>;


function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown, param: string): string {
  if (typeof v !== 'string') throw invalidParam(param, `'${param}' must be a string.`, 'invalid_type');
  return v;
}

function num(v: unknown, param: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidParam(param, `'${param}' must be a number.`, 'invalid_type');
  if (v < min || v > max) throw invalidParam(param, `'${param}' must be between ${min} and ${max}, got ${v}.`);
  return v;
}

function bool(v: unknown, param: string): boolean {
  if (typeof v !== 'boolean') throw invalidParam(param, `'${param}' must be a boolean.`, 'invalid_type');
  return v;
}

const BETA_FORMATS: Record<string, AudioFormatType> = { pcm16: 'audio/pcm', g711_ulaw: 'audio/pcmu', g711_alaw: 'audio/pcma', opus: 'audio/opus' };
const GA_FORMATS = new Set<AudioFormatType>(['audio/pcm', 'audio/pcmu', 'audio/pcma', 'audio/opus']);

function format(v: unknown, param: string, output: boolean): AudioFormatType {
  let type: AudioFormatType | undefined;
  if (typeof v === 'string') type = BETA_FORMATS[v] ?? (GA_FORMATS.has(v as AudioFormatType) ? (v as AudioFormatType) : undefined);
  else if (isObj(v)) {
    const t = v.type === undefined ? 'audio/pcm' : str(v.type, `${param}.type`);
    if (GA_FORMATS.has(t as AudioFormatType)) type = t as AudioFormatType;
    if (type === 'audio/pcm' && v.rate !== undefined && v.rate !== 24000) {
      throw invalidParam(`${param}.rate`, `'${param}.rate' must be 24000 for audio/pcm.`);
    }
  }
  if (!type || (output && type === 'audio/opus')) {
    const allowed = output ? 'audio/pcm (24 kHz), audio/pcmu, audio/pcma' : 'audio/pcm (24 kHz), audio/pcmu, audio/pcma, audio/opus';
    throw invalidParam(param, `'${param}' must be one of: ${allowed} (beta names pcm16, g711_ulaw, g711_alaw also work).`);
  }
  return type;
}

function turnDetection(v: unknown, param: string, current: TurnDetection | null): TurnDetection | null {
  if (v === null) return null;
  if (!isObj(v)) throw invalidParam(param, `'${param}' must be an object or null.`, 'invalid_type');
  const type = v.type === undefined ? (current?.type ?? 'server_vad') : str(v.type, `${param}.type`);
  if (type !== 'server_vad' && type !== 'semantic_vad') throw invalidParam(`${param}.type`, `'${param}.type' must be server_vad or semantic_vad.`);
  const base = current && current.type === type ? current : defaultTurnDetection();
  const out: TurnDetection = { ...base, type };
  if (v.threshold !== undefined) out.threshold = num(v.threshold, `${param}.threshold`, 0, 1);
  if (v.prefix_padding_ms !== undefined) out.prefixPaddingMs = num(v.prefix_padding_ms, `${param}.prefix_padding_ms`, 0, 10_000);
  if (v.silence_duration_ms !== undefined) out.silenceDurationMs = num(v.silence_duration_ms, `${param}.silence_duration_ms`, 0, 10_000);
  if (v.create_response !== undefined) out.createResponse = bool(v.create_response, `${param}.create_response`);
  if (v.interrupt_response !== undefined) out.interruptResponse = bool(v.interrupt_response, `${param}.interrupt_response`);
  if (type === 'semantic_vad') {
    const eagerness = v.eagerness === undefined ? (out.eagerness ?? 'auto') : str(v.eagerness, `${param}.eagerness`);
    const silence = EAGERNESS_SILENCE_MS[eagerness];
    if (silence === undefined) throw invalidParam(`${param}.eagerness`, `'${param}.eagerness' must be low, medium, high or auto.`);
    out.eagerness = eagerness;
    out.silenceDurationMs = silence;
  }
  return out;
}

function transcription(v: unknown, param: string): SessionConfig['transcription'] {
  if (v === null) return null;
  if (!isObj(v)) throw invalidParam(param, `'${param}' must be an object or null.`, 'invalid_type');
  const out: NonNullable<SessionConfig['transcription']> = { model: v.model === undefined ? 'whisper-1' : str(v.model, `${param}.model`) };
  if (v.language !== undefined && v.language !== null) out.language = str(v.language, `${param}.language`);
  if (v.prompt !== undefined && v.prompt !== null) out.prompt = str(v.prompt, `${param}.prompt`);
  return out;
}

function tools(v: unknown, param: string): ChatTool[] {
  if (!Array.isArray(v)) throw invalidParam(param, `'${param}' must be an array.`, 'invalid_type');
  return v.map((t, i) => {
    const p = `${param}[${i}]`;
    if (!isObj(t)) throw invalidParam(p, `'${p}' must be an object.`, 'invalid_type');
    if (t.type !== undefined && t.type !== 'function') throw invalidParam(`${p}.type`, `Only function tools are supported; '${p}.type' is ${JSON.stringify(t.type)}.`);
    // Realtime tools are flat; chat completions nests them under `function`.
    const fn = isObj(t.function) ? t.function : t;
    const name = str(fn.name, `${p}.name`);
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(name)) throw invalidParam(`${p}.name`, `'${p}.name' must be 1-64 letters, digits, '_' or '-'.`);
    const tool: ChatTool = { type: 'function', function: { name } };
    if (fn.description !== undefined) tool.function.description = str(fn.description, `${p}.description`);
    if (fn.parameters !== undefined) {
      if (!isObj(fn.parameters)) throw invalidParam(`${p}.parameters`, `'${p}.parameters' must be a JSON Schema object.`, 'invalid_type');
      tool.function.parameters = fn.parameters;
    }
    return tool;
  });
}

function toolChoice(v: unknown, param: string): SessionConfig['toolChoice'] {
  if (v === 'auto' || v === 'none' || v === 'required') return v;
  if (isObj(v) && v.type === 'function') {
    const name = isObj(v.function) ? v.function.name : v.name;
    return { type: 'function', name: str(name, `${param}.name`) };
  }
  throw invalidParam(param, `'${param}' must be auto, none, required or {"type":"function","name":...}.`);
}

function modalities(v: unknown, param: string): SessionConfig['outputModalities'] {
  if (!Array.isArray(v) || v.length === 0 || v.some((m) => m !== 'audio' && m !== 'text')) {
    throw invalidParam(param, `'${param}' must be a non-empty array of "audio" and/or "text".`);
  }
  // Beta's ["text","audio"] and GA's ["audio"] both mean audio with a transcript.
  return v.includes('audio') ? ['audio'] : ['text'];
}

/**
 * Applies a `session.update`'s `session` object to `current`, returning the new config. Accepts the
 * GA and the beta field names in the same object. `checkVoice` throws the ApiError for a voice no
 * engine has (400), or one of a model that is not installed (424, saying how to install it).
 */
export function applySessionUpdate(current: SessionConfig, raw: unknown, checkVoice: (voice: string) => void, voiceLocked: boolean): SessionConfig {
  if (!isObj(raw)) throw invalidParam('session', "'session' must be an object.", 'invalid_type');
  const next: SessionConfig = { ...current };
  const s = raw;
  if (s.type !== undefined) next.type = sessionType(s.type);
  if (s.include !== undefined && s.include !== null) next.include = includeList(s.include);
  if (s.model !== undefined) next.model = str(s.model, 'session.model');
  if (s.instructions !== undefined) next.instructions = str(s.instructions, 'session.instructions');
  if (s.output_modalities !== undefined) next.outputModalities = modalities(s.output_modalities, 'session.output_modalities');
  if (s.modalities !== undefined) next.outputModalities = modalities(s.modalities, 'session.modalities');
  if (s.tools !== undefined) next.tools = tools(s.tools, 'session.tools');
  if (s.tool_choice !== undefined) next.toolChoice = toolChoice(s.tool_choice, 'session.tool_choice');
  for (const key of ['max_output_tokens', 'max_response_output_tokens'] as const) {
    if (s[key] === undefined) continue;
    next.maxOutputTokens = s[key] === 'inf' ? 'inf' : num(s[key], `session.${key}`, 1, 4096);
  }
  if (s.temperature !== undefined) next.temperature = num(s.temperature, 'session.temperature', 0, 2);

  // Beta's flat fields.
  if (s.input_audio_format !== undefined) next.inputFormat = format(s.input_audio_format, 'session.input_audio_format', false);
  if (s.output_audio_format !== undefined) next.outputFormat = format(s.output_audio_format, 'session.output_audio_format', true) as SessionConfig['outputFormat'];
  if (s.input_audio_transcription !== undefined) next.transcription = transcription(s.input_audio_transcription, 'session.input_audio_transcription');
  if (s.turn_detection !== undefined) next.turnDetection = turnDetection(s.turn_detection, 'session.turn_detection', current.turnDetection);
  if (s.voice !== undefined) next.voice = str(s.voice, 'session.voice');
  if (s.speed !== undefined) next.speed = num(s.speed, 'session.speed', 0.25, 4);

  // GA's nested audio settings.
  if (s.audio !== undefined) {
    if (!isObj(s.audio)) throw invalidParam('session.audio', "'session.audio' must be an object.", 'invalid_type');
    const input = s.audio.input;
    if (input !== undefined) {
      if (!isObj(input)) throw invalidParam('session.audio.input', "'session.audio.input' must be an object.", 'invalid_type');
      if (input.format !== undefined) next.inputFormat = format(input.format, 'session.audio.input.format', false);
      if (input.transcription !== undefined) next.transcription = transcription(input.transcription, 'session.audio.input.transcription');
      if (input.turn_detection !== undefined) next.turnDetection = turnDetection(input.turn_detection, 'session.audio.input.turn_detection', current.turnDetection);
    }
    const output = s.audio.output;
    if (output !== undefined) {
      if (!isObj(output)) throw invalidParam('session.audio.output', "'session.audio.output' must be an object.", 'invalid_type');
      if (output.format !== undefined) next.outputFormat = format(output.format, 'session.audio.output.format', true) as SessionConfig['outputFormat'];
      if (output.voice !== undefined) next.voice = isObj(output.voice) ? str(output.voice.id, 'session.audio.output.voice.id') : str(output.voice, 'session.audio.output.voice');
      if (output.speed !== undefined) next.speed = num(output.speed, 'session.audio.output.speed', 0.25, 4);
    }
  }
  if (next.voice !== current.voice) {
    // As at OpenAI: the voice is fixed once the session has spoken.
    if (voiceLocked) throw invalidParam('session.voice', 'The voice cannot be changed once the assistant has produced audio in this session.', 'cannot_update_voice');
    try {
      checkVoice(next.voice);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      throw new ApiError(err.code, `${err.message} (OpenAI voice names also work.)`, 'session.voice');
    }
  }
  return next;
}

function formatObject(type: AudioFormatType): Obj {
  return type === 'audio/pcm' ? { type, rate: 24000 } : { type };
}

const BETA_FORMAT_NAMES: Record<AudioFormatType, string> = { 'audio/pcm': 'pcm16', 'audio/pcmu': 'g711_ulaw', 'audio/pcma': 'g711_alaw', 'audio/opus': 'opus' };

function turnDetectionObject(t: TurnDetection | null): Obj | null {
  if (!t) return null;
  if (t.type === 'semantic_vad') return { type: t.type, eagerness: t.eagerness ?? 'auto', create_response: t.createResponse, interrupt_response: t.interruptResponse };
  return {
    type: t.type,
    threshold: t.threshold,
    prefix_padding_ms: t.prefixPaddingMs,
    silence_duration_ms: t.silenceDurationMs,
    create_response: t.createResponse,
    interrupt_response: t.interruptResponse,
    idle_timeout_ms: null,
  };
}

function toolObjects(tools: ChatTool[]): Obj[] {
  return tools.map((t) => ({ type: 'function', name: t.function.name, description: t.function.description ?? '', parameters: t.function.parameters ?? {} }));
}

function toolChoiceObject(c: SessionConfig['toolChoice']): unknown {
  return typeof c === 'string' ? c : { type: 'function', name: c.name };
}

/** The `session` object of `session.created` / `session.updated` in `dialect`'s shape. */
export function sessionObject(c: SessionConfig, dialect: Dialect, expiresAt: number): Obj {
  if (c.type === 'transcription') {
    const input = { format: formatObject(c.inputFormat), transcription: c.transcription, noise_reduction: null, turn_detection: turnDetectionObject(c.turnDetection) };
    return transcriptionSessionObject(c, dialect, expiresAt, input, BETA_FORMAT_NAMES[c.inputFormat]);
  }
  if (dialect === 'beta') {
    return {
      id: c.id,
      object: 'realtime.session',
      model: c.model,
      expires_at: expiresAt,
      modalities: c.outputModalities.includes('audio') ? ['text', 'audio'] : ['text'],
      instructions: c.instructions,
      voice: c.voice,
      speed: c.speed,
      input_audio_format: BETA_FORMAT_NAMES[c.inputFormat],
      output_audio_format: BETA_FORMAT_NAMES[c.outputFormat],
      input_audio_transcription: c.transcription,
      turn_detection: turnDetectionObject(c.turnDetection),
      tools: toolObjects(c.tools),
      tool_choice: toolChoiceObject(c.toolChoice),
      temperature: c.temperature ?? 0.8,
      max_response_output_tokens: c.maxOutputTokens,
    };
  }
  return {
    type: 'realtime',
    object: 'realtime.session',
    id: c.id,
    model: c.model,
    expires_at: expiresAt,
    output_modalities: c.outputModalities,
    instructions: c.instructions,
    audio: {
      input: {
        format: formatObject(c.inputFormat),
        transcription: c.transcription,
        noise_reduction: null,
        turn_detection: turnDetectionObject(c.turnDetection),
      },
      output: { format: formatObject(c.outputFormat), voice: c.voice, speed: c.speed },
    },
    tools: toolObjects(c.tools),
    tool_choice: toolChoiceObject(c.toolChoice),
    max_output_tokens: c.maxOutputTokens,
    tracing: null,
    truncation: 'auto',
    prompt: null,
    include: null,
  };
}
