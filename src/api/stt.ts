/**
 * Speech to text: `POST /v1/stt/` (ours) and OpenAI's `/v1/audio/transcriptions` and
 * `/v1/audio/translations`. Thin: read the upload, validate the fields, call the STT service,
 * shape the response.
 */
import { ApiError, invalidParam } from '../errors.js';
import { readMultipart, type MultipartBody, type UploadedFile } from '../http/body.js';
import type { HttpExchange } from '../http/exchange.js';
import type { Router } from '../http/router.js';
import { SseWriter } from '../http/sse.js';
import { renderOpenAi, type OpenAiResponseFormat } from '../stt/openai-format.js';
import type { SttService } from '../stt/service.js';
import type { ApiContext } from './context.js';

/** API.md: uploads up to 100 MB. */
const MAX_STT_UPLOAD_BYTES = 100 * 1024 * 1024;

/** Our recognizer ids, and the names OpenAI clients send, which mean "the default". */
const BUILTIN_STT_MODELS = new Set(['pocketsphinx']);
const OPENAI_STT_MODELS = new Set(['whisper-1', 'gpt-4o-transcribe', 'gpt-4o-mini-transcribe']);
/** Catalogued in API.md; no engine runs them in this build yet. */
const PLANNED_STT_MODELS = new Set(['whisper', 'faster-whisper', 'sensevoice']);

const OPENAI_FORMATS = new Set<OpenAiResponseFormat>(['json', 'text', 'srt', 'verbose_json', 'vtt']);

function field(body: MultipartBody, name: string): string | undefined {
  const v = body.fields[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

function bool(body: MultipartBody, name: string, fallback: boolean): boolean {
  const v = field(body, name);
  if (v === undefined || v === '') return fallback;
  if (/^(true|1|yes)$/i.test(v)) return true;
  if (/^(false|0|no)$/i.test(v)) return false;
  throw invalidParam(name, `'${name}' must be true or false, got ${JSON.stringify(v)}`);
}

function requireFile(body: MultipartBody, name: string): UploadedFile {
  const file = body.files[name];
  if (!file) throw new ApiError(400, 'missing_required_parameter', `Missing required file field '${name}' (multipart/form-data)`, name);
  if (file.data.length === 0) throw new ApiError(422, 'unprocessable_audio', `The uploaded '${name}' is empty`, name);
  return file;
}

/** Checks the model and language against what is installed; 424 names what is missing. */
function checkModelAndLanguage(stt: SttService, model: string | undefined, language: string): void {
  if (model && !BUILTIN_STT_MODELS.has(model) && !OPENAI_STT_MODELS.has(model)) {
    if (PLANNED_STT_MODELS.has(model)) {
      throw new ApiError(424, 'model_not_installed', `Speech-to-text model '${model}' is not available in this build of the server; the built-in 'pocketsphinx' recognizer (English) is. Omit 'model' to use it.`, 'model');
    }
    throw new ApiError(400, 'model_not_found', `Unknown speech-to-text model '${model}'. Use 'pocketsphinx' or omit 'model'.`, 'model');
  }
  const primary = language.toLowerCase().split(/[-_]/)[0]!;
  if (language !== 'auto' && !stt.languages.includes(primary)) {
    throw new ApiError(424, 'language_not_installed', `No installed speech-to-text model speaks '${language}'; the installed recognizers speak: ${stt.languages.join(', ')}. Multilingual recognition needs the Whisper engine, which is not available in this build.`, 'language');
  }
}

function languageField(body: MultipartBody): string {
  const language = field(body, 'language')?.trim() || 'auto';
  if (language !== 'auto' && !/^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$/.test(language)) {
    throw invalidParam('language', `'language' must be a language code such as 'en', or 'auto'; got ${JSON.stringify(language)}`);
  }
  return language;
}

export function registerSttRoutes(router: Router, ctx: ApiContext, stt: SttService): void {
  const upload = (ex: HttpExchange): Promise<MultipartBody> =>
    readMultipart(ex, { maxBodyBytes: MAX_STT_UPLOAD_BYTES + 1024 * 1024, maxFileBytes: MAX_STT_UPLOAD_BYTES });

  router.post('/v1/stt', async (ex) => {
    const body = await upload(ex);
    const file = requireFile(body, 'file');
    const language = languageField(body);
    checkModelAndLanguage(stt, field(body, 'model'), language);
    const wordTimestamps = bool(body, 'timestamps', false);
    const diarize = bool(body, 'diarize', false);
    const t = await stt.transcribe(file, { language, wordTimestamps, diarize }, ex.signal);
    ex.json(200, {
      text: t.text,
      language: t.language,
      duration: Math.round(t.durationSec * 1000) / 1000,
      segments: t.segments.map((s) => ({
        start: s.start,
        end: s.end,
        text: s.text,
        speaker: s.speaker ?? null,
        ...(wordTimestamps ? { words: s.words ?? [] } : {}),
      })),
    });
  });

  const openAi = (task: 'transcribe' | 'translate') => async (ex: HttpExchange) => {
    const body = await upload(ex);
    const file = requireFile(body, 'file');
    const model = field(body, 'model');
    if (!model) throw new ApiError(400, 'missing_required_parameter', "Missing required parameter 'model'", 'model');
    // Translation is into English; with English-only recognizers the source must be English too.
    const language = task === 'translate' ? (field(body, 'language')?.trim() || 'en') : languageField(body);
    checkModelAndLanguage(stt, model, language);
    const format = (field(body, 'response_format') || 'json') as OpenAiResponseFormat;
    if (!OPENAI_FORMATS.has(format)) throw invalidParam('response_format', `'response_format' must be one of: json, text, srt, verbose_json, vtt`);
    const rawGranularities = body.fields['timestamp_granularities[]'] ?? body.fields.timestamp_granularities ?? [];
    const granularities = new Set<'word' | 'segment'>();
    for (const g of Array.isArray(rawGranularities) ? rawGranularities : [rawGranularities]) {
      if (g !== 'word' && g !== 'segment') throw invalidParam('timestamp_granularities[]', `timestamp granularities are 'word' and 'segment'; got ${JSON.stringify(g)}`);
      granularities.add(g);
    }
    if (granularities.size > 0 && format !== 'verbose_json') {
      throw invalidParam('timestamp_granularities[]', "timestamp_granularities[] requires response_format 'verbose_json'");
    }
    const temperature = field(body, 'temperature');
    if (temperature !== undefined && !(Number(temperature) >= 0 && Number(temperature) <= 1)) {
      throw invalidParam('temperature', "'temperature' must be a number between 0 and 1");
    }
    // `prompt` is accepted and not used: PocketSphinx has no prompt conditioning.
    const stream = task === 'transcribe' && bool(body, 'stream', false);
    const opts = { language, wordTimestamps: granularities.has('word'), diarize: false };
    if (stream) {
      await streamTranscript(ex, stt, file, opts);
      return;
    }
    const t = await stt.transcribe(file, opts, ex.signal);
    const rendered = renderOpenAi(t, format, { task, granularities });
    ex.send(200, { 'Content-Type': rendered.contentType }, rendered.body);
  };
  router.post('/v1/audio/transcriptions', openAi('transcribe'));
  router.post('/v1/audio/translations', openAi('translate'));
}

/** `transcript.text.delta` per recognized segment as it is ready, then `transcript.text.done`. */
async function streamTranscript(
  ex: HttpExchange,
  stt: SttService,
  file: UploadedFile,
  opts: { language: string; wordTimestamps: boolean; diarize: boolean },
): Promise<void> {
  // Opened on the first result, so an upload that is not audio still gets a plain 415/422.
  const sse = new SseWriter(ex);
  let opened = false;
  const open = (): void => {
    if (!opened) sse.open();
    opened = true;
  };
  let sent = '';
  let writing: Promise<void> = Promise.resolve();
  try {
    const t = await stt.transcribe(
      file,
      {
        ...opts,
        onSegment: (text) => {
          const delta = sent ? ` ${text}` : text;
          sent += delta;
          open();
          writing = writing.then(() => sse.send({ type: 'transcript.text.delta', delta }));
        },
      },
      ex.signal,
    );
    await writing;
    open();
    // A recognizer without per-segment progress still streams its result once.
    if (!sent && t.text) await sse.send({ type: 'transcript.text.delta', delta: t.text });
    await sse.send({ type: 'transcript.text.done', text: t.text, usage: { type: 'duration', seconds: Math.ceil(t.durationSec) } });
    sse.close();
  } catch (err) {
    if (ex.aborted || !opened) throw err;
    const apiErr = err instanceof ApiError ? err : new ApiError(500, 'transcription_failed', `Transcription failed (request id ${ex.requestId})`);
    await sse.send({ type: 'error', error: apiErr.toEnvelope().error }).catch(() => {});
    sse.close();
  }
}
