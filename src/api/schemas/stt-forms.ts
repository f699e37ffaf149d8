/**
 * The multipart forms of speech to text. src/api/stt.ts checks these fields one by one as they
 * stream in (a bad field before the file is refused before the file is read), which a zod
 * object cannot do, so they are stated here for the OpenAPI document only; the enums come from
 * the same lists the handler uses where those are exported.
 */
import { z } from 'zod';
import { voiceChatFieldsSchema } from '../voice-chat-request.js';

const audioFile = z.file().meta({ description: 'The audio (any format ffmpeg decodes), streamed to disk as it arrives.' });
const booleanField = z.enum(['true', 'false', '1', '0', 'yes', 'no']);

/** `POST /v1/stt/`. */
export const sttForm = z.object({
  file: audioFile,
  model: z.string().optional().meta({ description: 'A speech-to-text model id from GET /v1/models/; the default recognizer when absent.' }),
  language: z.string().optional().meta({ description: "A language code such as 'en'." }),
  timestamps: booleanField.default('false').meta({ description: 'Per-word times in each segment.' }),
  diarize: booleanField.default('false').meta({ description: 'Speaker labels per segment.' }),
  async: booleanField.default('false').meta({ description: 'A Llais extension (also `?async=true`): answer 202 with a job to poll at GET /v1/audio/jobs/{id} (tool `transcribe`, result the synchronous answer) or cancel with DELETE; for long files. In cluster mode it runs on any node with job workers.' }),
});

/** OpenAI's `POST /v1/audio/transcriptions` (and `translations`, which ignores `stream`). */
export const transcriptionForm = z.object({
  file: audioFile,
  model: z.string().meta({ description: "Any id from GET /v1/models/ of type 'stt' (OpenAI's names map to the default recognizer)." }),
  language: z.string().optional(),
  prompt: z.string().optional().meta({ description: 'Accepted and not used.' }),
  response_format: z.enum(['json', 'text', 'srt', 'verbose_json', 'vtt']).default('json'),
  'timestamp_granularities[]': z.array(z.enum(['word', 'segment'])).optional().meta({ description: "Needs response_format 'verbose_json'." }),
  temperature: z.number().min(0).max(1).optional(),
  stream: booleanField.default('false').meta({ description: 'Transcriptions only: answer as server-sent events.' }),
});

/** `POST /v1/voice-chat/` as multipart: the JSON body's fields plus the `audio` file. */
export const voiceChatForm = voiceChatFieldsSchema.extend({
  audio: audioFile.optional().meta({ description: "What the user said; send either 'audio' or 'text'." }),
});
