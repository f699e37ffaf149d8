/**
 * The `POST /v1/voice-chat/` body, JSON or multipart/form-data, validated once into a
 * `VoiceChatRequest`. Both encodings go through the same schema, so a field is checked the
 * same way whichever one the client sent. A multipart body is received by the shared upload
 * reader (the audio streamed to disk); its fields are checked as they arrive, so a bad field
 * sent before the audio is refused before the audio is read, and the pool's capacity is checked
 * when the audio part starts (a text turn needs no transcription).
 */
import { z } from 'zod';
import { parseBody } from '../schema.js';
import { ApiError } from '../errors.js';
import { readJsonObject, type MultipartFields, type StoredFile, type UploadReceiver } from '../http/body.js';
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

/** What the multipart reader needs besides the limits. */
export interface VoiceChatUploads {
  uploads: UploadReceiver;
  /** Throws 503 when a transcription would be refused now (checked before the audio is read). */
  checkSttCapacity: () => void;
}

export async function readVoiceChatRequest(ex: HttpExchange, limits: VoiceChatLimits, upload: VoiceChatUploads): Promise<VoiceChatRequest> {
  const type = (ex.headers['content-type'] ?? '').toLowerCase();
  if (type.startsWith('multipart/form-data')) return fromMultipart(ex, limits, upload);
  // readJsonObject answers 415 for any other content type.
  const body = await readJsonObject(ex, limits.maxJsonBodyBytes);
  if (body.audio !== undefined) {
    throw new ApiError('invalid_type', "'audio' must be an audio file sent as multipart/form-data; a JSON body carries 'text'", 'audio');
  }
  return build(parseBody(fields, body), undefined, limits);
}

async function fromMultipart(ex: HttpExchange, limits: VoiceChatLimits, upload: VoiceChatUploads): Promise<VoiceChatRequest> {
  const body = await upload.uploads.read(ex, {
    files: { audio: limits.maxUploadBytes },
    maxBodyBytes: limits.maxUploadBytes + MULTIPART_FIELDS_ALLOWANCE_BYTES,
    maxFieldBytes: limits.maxTextChars * UTF8_MAX_BYTES_PER_CHAR,
    onField: (sofar) => checkedFields(sofar, limits),
    beforeFile: (_name, sofar) => {
      if (checkedFields(sofar, limits).text !== undefined) throw conflicting();
      upload.checkSttCapacity();
    },
  });
  return build(checkedFields(body.fields, limits), body.files.audio, limits);
}

/** The text fields, each checked on its own: valid for the fields so far as for the whole form. */
function checkedFields(sent: MultipartFields, limits: VoiceChatLimits): z.output<typeof fields> {
  if (sent.audio !== undefined) {
    throw new ApiError('invalid_type', "'audio' must be a file part (with a filename), not a text field", 'audio');
  }
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(sent)) {
    const last = Array.isArray(value) ? value[value.length - 1]! : value;
    // HTML forms send every input, filled or not: an empty field means "not given", so a form
    // with a recorded file and an untouched text box is an audio turn, not a conflict.
    if (last !== '') flat[name] = last;
  }
  const b = parseBody(fields, flat);
  if (b.text !== undefined) checkChars(b.text, 'text', limits.maxTextChars);
  if (b.system_prompt !== undefined) checkChars(b.system_prompt, 'system_prompt', limits.maxTextChars);
  return b;
}

function conflicting(): ApiError {
  return new ApiError('conflicting_parameters', "Send either 'audio' or 'text', not both", 'text');
}

function build(b: z.output<typeof fields>, audio: StoredFile | undefined, limits: VoiceChatLimits): VoiceChatRequest {
  let input: UserInput;
  if (audio && b.text !== undefined) {
    throw conflicting();
  } else if (audio) {
    if (audio.bytes === 0) throw new ApiError('unprocessable_audio', "The uploaded 'audio' is empty", 'audio');
    input = { kind: 'audio', audio: { kind: 'file', path: audio.path } };
  } else if (b.text !== undefined) {
    checkChars(b.text, 'text', limits.maxTextChars);
    if (b.text.trim().length === 0) throw new ApiError('empty_text', "'text' must not be empty", 'text');
    input = { kind: 'text', text: b.text };
  } else {
    throw new ApiError('missing_required_parameter', "Send what the user said: 'text', or an 'audio' file (multipart/form-data)", 'text');
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
  if (value.length > max) throw new ApiError('text_too_long', `'${param}' is ${value.length} characters; the limit is ${max}`, param);
}

/** The fields' schema, for the OpenAPI document (src/api/openapi/). */
export { fields as voiceChatFieldsSchema };
