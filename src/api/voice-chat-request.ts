/**
 * The `POST /v1/voice-chat/` body, JSON or multipart/form-data, validated once into a
 * `VoiceChatRequest`. Both encodings go through the same schema, so a field is checked the
 * same way whichever one the client sent.
 */
import { z } from 'zod';
import { parseBody } from '../schema.js';
import { ApiError } from '../errors.js';
import { readJsonObject, readMultipart, type UploadedFile } from '../http/body.js';
import type { HttpExchange } from '../http/exchange.js';
import type { UserInput, VoiceChatRequest } from '../voice-chat/turn-request.js';

export interface VoiceChatLimits {
  maxTextChars: number;
  maxJsonBodyBytes: number;
  maxUploadBytes: number;
}

// Multipart bodies carry a file part and small text fields; this is the room left for the fields.
const MULTIPART_FIELDS_ALLOWANCE_BYTES = 1 << 20;
// A UTF-8 character is at most 4 bytes, so a text field within the character limit fits.
const UTF8_MAX_BYTES_PER_CHAR = 4;

const fields = z.object({
  text: z.string().optional(),
  voice: z.string().min(1).optional(),
  tts_model: z.string().min(1).optional(),
  system_prompt: z.string().optional(),
  conversation_id: z.string().min(1).optional(),
});

export async function readVoiceChatRequest(ex: HttpExchange, limits: VoiceChatLimits): Promise<VoiceChatRequest> {
  const type = (ex.headers['content-type'] ?? '').toLowerCase();
  if (type.startsWith('multipart/form-data')) return fromMultipart(ex, limits);
  // readJsonObject answers 415 for any other content type.
  const body = await readJsonObject(ex, limits.maxJsonBodyBytes);
  if (body.audio !== undefined) {
    throw new ApiError(400, 'invalid_type', "'audio' must be an audio file sent as multipart/form-data; a JSON body carries 'text'", 'audio');
  }
  return build(parseBody(fields, body), undefined, limits);
}

async function fromMultipart(ex: HttpExchange, limits: VoiceChatLimits): Promise<VoiceChatRequest> {
  const body = await readMultipart(ex, {
    maxBodyBytes: limits.maxUploadBytes + MULTIPART_FIELDS_ALLOWANCE_BYTES,
    maxFileBytes: limits.maxUploadBytes,
    maxFieldBytes: limits.maxTextChars * UTF8_MAX_BYTES_PER_CHAR,
  });
  if (body.fields.audio !== undefined) {
    throw new ApiError(400, 'invalid_type', "'audio' must be a file part (with a filename), not a text field", 'audio');
  }
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(body.fields)) {
    const last = Array.isArray(value) ? value[value.length - 1]! : value;
    // HTML forms send every input, filled or not: an empty field means "not given", so a form
    // with a recorded file and an untouched text box is an audio turn, not a conflict.
    if (last !== '') flat[name] = last;
  }
  return build(parseBody(fields, flat), body.files.audio, limits);
}

function build(b: z.output<typeof fields>, audio: UploadedFile | undefined, limits: VoiceChatLimits): VoiceChatRequest {
  let input: UserInput;
  if (audio && b.text !== undefined) {
    throw new ApiError(400, 'conflicting_parameters', "Send either 'audio' or 'text', not both", 'text');
  } else if (audio) {
    if (audio.data.length === 0) throw new ApiError(422, 'unprocessable_audio', "The uploaded 'audio' is empty", 'audio');
    input = { kind: 'audio', file: audio };
  } else if (b.text !== undefined) {
    checkChars(b.text, 'text', limits.maxTextChars);
    if (b.text.trim().length === 0) throw new ApiError(400, 'empty_text', "'text' must not be empty", 'text');
    input = { kind: 'text', text: b.text };
  } else {
    throw new ApiError(400, 'missing_required_parameter', "Send what the user said: 'text', or an 'audio' file (multipart/form-data)", 'text');
  }
  if (b.system_prompt !== undefined) checkChars(b.system_prompt, 'system_prompt', limits.maxTextChars);
  return {
    input,
    voice: b.voice,
    ttsModel: b.tts_model,
    systemPrompt: b.system_prompt === undefined ? undefined : b.system_prompt.trim() || null,
    conversationId: b.conversation_id,
  };
}

function checkChars(value: string, param: string, max: number): void {
  if (value.length > max) throw new ApiError(400, 'text_too_long', `'${param}' is ${value.length} characters; the limit is ${max}`, param);
}
