/**
 * The multipart fields of `/v1/audio/enhance/`, `/v1/audio/separate/` and `/v1/audio/dereverb/`,
 * checked into a ToolSpec (API.md "Audio tools"). Each parser accepts a partial form (fields are
 * checked as they arrive, before the file is read: `complete` false) and applies the contract's
 * defaults; rules that join several fields wait for the whole form (`complete` true).
 */
import { DEREVERB_TYPES, type DereverbType } from '../audio/dereverb/dereverb-chain.js';
import { TOOL_FORMATS, type ToolFormat } from '../audio/tools/stem-encode.js';
import type { ToolSpec } from '../audio/tools/tool-spec.js';
import { ApiError, invalidParam } from '../errors.js';
import type { MultipartFields } from '../http/body.js';

export const SEPARATE_MODELS = ['demucs', 'spleeter'] as const;
export const SEPARATE_STEMS = [2, 4, 5, 6] as const;

export interface ToolRequest {
  spec: ToolSpec;
  format: ToolFormat;
  /** `async=true`: answer 202 with a job to poll instead of waiting for the result. */
  async: boolean;
}

function field(fields: MultipartFields, name: string): string | undefined {
  const v = fields[name];
  const last = Array.isArray(v) ? v[v.length - 1] : v;
  return last === undefined || last.trim() === '' ? undefined : last.trim();
}

function bool(fields: MultipartFields, name: string, fallback: boolean): boolean {
  const raw = field(fields, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw invalidParam(name, `'${name}' must be true or false; got ${JSON.stringify(raw)}`);
}

function integerIn<T extends number>(fields: MultipartFields, name: string, allowed: readonly T[], fallback: T): T {
  const raw = field(fields, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!allowed.includes(n as T)) throw invalidParam(name, `'${name}' must be one of ${allowed.join(', ')}; got ${JSON.stringify(raw)}`);
  return n as T;
}

function common(fields: MultipartFields): { format: ToolFormat; async: boolean } {
  const format = (field(fields, 'format')?.toLowerCase() ?? 'wav') as ToolFormat;
  if (!TOOL_FORMATS.includes(format)) throw invalidParam('format', `'format' must be one of ${TOOL_FORMATS.join(', ')}; got ${JSON.stringify(field(fields, 'format'))}`);
  return { format, async: bool(fields, 'async', false) };
}

export function enhanceRequest(fields: MultipartFields, complete: boolean): ToolRequest {
  const options = {
    denoise: bool(fields, 'denoise', true),
    clarity: bool(fields, 'enhance_clarity', true),
    superResolution: bool(fields, 'super_resolution', false),
    strength: integerIn(fields, 'strength', [1, 2, 3] as const, 2),
  };
  if (complete && !options.denoise && !options.clarity && !options.superResolution) {
    throw new ApiError('conflicting_parameters', "Nothing to do: 'denoise', 'enhance_clarity' and 'super_resolution' are all false", 'denoise');
  }
  return { spec: { tool: 'enhance', options }, ...common(fields) };
}

export function dereverbRequest(fields: MultipartFields, _complete: boolean): ToolRequest {
  const type = (field(fields, 'type')?.toLowerCase() ?? 'both') as DereverbType;
  if (!DEREVERB_TYPES.includes(type)) throw invalidParam('type', `'type' must be one of ${DEREVERB_TYPES.join(', ')}; got ${JSON.stringify(field(fields, 'type'))}`);
  const intensity = integerIn(fields, 'intensity', [1, 2, 3, 4, 5] as const, 3);
  return { spec: { tool: 'dereverb', options: { type, intensity } }, ...common(fields) };
}

/** The separation's fields; `stems` beyond 2 is returned as asked (the caller answers 424 without a model). */
export function separateRequest(fields: MultipartFields): ToolRequest & { model: (typeof SEPARATE_MODELS)[number]; stems: (typeof SEPARATE_STEMS)[number] } {
  const model = (field(fields, 'model')?.toLowerCase() ?? 'demucs') as (typeof SEPARATE_MODELS)[number];
  if (!SEPARATE_MODELS.includes(model)) throw invalidParam('model', `'model' must be one of ${SEPARATE_MODELS.join(', ')}; got ${JSON.stringify(field(fields, 'model'))}`);
  const stems = integerIn(fields, 'stems', SEPARATE_STEMS, 2);
  return { spec: { tool: 'separate', stems: 2 }, model, stems, ...common(fields) };
}
