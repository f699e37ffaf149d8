/**
 * Speech to text: `POST /v1/stt/` (ours) and OpenAI's `/v1/audio/transcriptions` and
 * `/v1/audio/translations`. Thin: admit, receive the upload (streamed to disk), validate the
 * fields, call the STT service, shape the response.
 *
 * Fields are validated as they arrive: one sent before the file that is already wrong (an unknown
 * model, a language nobody installed, a bad boolean) is refused before the file is read. Checks
 * that need the whole form (a missing field, a field sent after the file) run once it is in.
 */
import { ApiError, invalidParam } from '../errors.js';
import type { MultipartBody, MultipartFields, StoredFile } from '../http/body.js';
import type { HttpExchange } from '../http/exchange.js';
import type { Router } from '../http/router.js';
import { SseWriter } from '../http/sse.js';
import { renderOpenAi, type OpenAiResponseFormat } from '../stt/openai-format.js';
import { sttLanguage } from '../stt/resolve.js';
import type { SttService, TranscribeOptions } from '../stt/service.js';
import type { ApiContext } from './context.js';
import { chargedTranscriber } from './stt-charge.js';
import { sttResultBody } from './stt-body.js';
import { asyncRequested, startSttJob } from './stt-async.js';

/** Room in a multipart body beyond its file for the text fields and the part headers. */
const MULTIPART_FIELDS_ALLOWANCE_BYTES = 1 << 20;

const OPENAI_FORMATS = new Set<OpenAiResponseFormat>(['json', 'text', 'srt', 'verbose_json', 'vtt']);

function field(fields: MultipartFields, name: string): string | undefined {
  const v = fields[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

function bool(fields: MultipartFields, name: string, fallback: boolean): boolean {
  const v = field(fields, name);
  if (v === undefined || v === '') return fallback;
  if (/^(true|1|yes)$/i.test(v)) return true;
  if (/^(false|0|no)$/i.test(v)) return false;
  throw invalidParam(name, `'${name}' must be true or false, got ${JSON.stringify(v)}`);
}

function requireFile(body: MultipartBody, name: string): StoredFile {
  const file = body.files[name];
  if (!file) throw new ApiError('missing_required_parameter', `Missing required file field '${name}' (multipart/form-data)`, name);
  if (file.bytes === 0) throw new ApiError('unprocessable_audio', `The uploaded '${name}' is empty`, name);
  return file;
}

/** `POST /v1/stt/`'s fields: every check decides on the fields so far, so it runs as they arrive and on the whole form. */
function sttFields(stt: SttService, fields: MultipartFields): TranscribeOptions {
  const opts: TranscribeOptions = {
    model: field(fields, 'model') || undefined,
    language: sttLanguage(field(fields, 'language')),
    task: 'transcribe',
    wordTimestamps: bool(fields, 'timestamps', false),
    diarize: bool(fields, 'diarize', false),
  };
  stt.resolve({ ...opts, live: false });
  return opts;
}

interface OpenAiFields {
  opts: TranscribeOptions;
  format: OpenAiResponseFormat;
  granularities: Set<'word' | 'segment'>;
  stream: boolean;
}

/** OpenAI's transcription fields; while the form is incomplete, only what is already decidable. */
function openAiFields(stt: SttService, task: 'transcribe' | 'translate', fields: MultipartFields, complete: boolean): OpenAiFields {
  const model = field(fields, 'model');
  if (!model && complete) throw new ApiError('missing_required_parameter', "Missing required parameter 'model'", 'model');
  // Translation is into English; with English-only recognizers the source must be English too.
  const language = task === 'translate' ? (field(fields, 'language')?.trim() || 'en') : sttLanguage(field(fields, 'language'));
  const sentFormat = field(fields, 'response_format');
  const format = (sentFormat || 'json') as OpenAiResponseFormat;
  if (!OPENAI_FORMATS.has(format)) throw invalidParam('response_format', `'response_format' must be one of: json, text, srt, verbose_json, vtt`);
  const rawGranularities = fields['timestamp_granularities[]'] ?? fields.timestamp_granularities ?? [];
  const granularities = new Set<'word' | 'segment'>();
  for (const g of Array.isArray(rawGranularities) ? rawGranularities : [rawGranularities]) {
    if (g !== 'word' && g !== 'segment') throw invalidParam('timestamp_granularities[]', `timestamp granularities are 'word' and 'segment'; got ${JSON.stringify(g)}`);
    granularities.add(g);
  }
  // Decidable once the format is known: sent, or (the form complete) the default.
  if (granularities.size > 0 && (complete || sentFormat) && format !== 'verbose_json') {
    throw invalidParam('timestamp_granularities[]', "timestamp_granularities[] requires response_format 'verbose_json'");
  }
  const temperature = field(fields, 'temperature');
  if (temperature !== undefined && !(Number(temperature) >= 0 && Number(temperature) <= 1)) {
    throw invalidParam('temperature', "'temperature' must be a number between 0 and 1");
  }
  // `prompt` is accepted and not used: PocketSphinx has no prompt conditioning.
  const stream = task === 'transcribe' && bool(fields, 'stream', false);
  const opts: TranscribeOptions = { model: model || undefined, language, task, wordTimestamps: granularities.has('word'), diarize: false };
  stt.resolve({ ...opts, live: false });
  return { opts, format, granularities, stream };
}

export function registerSttRoutes(router: Router, ctx: ApiContext, stt: SttService): void {
  const maxUploadBytes = ctx.config.maxUploadBytes;
  const upload = (ex: HttpExchange, onField: (fields: MultipartFields) => void): Promise<MultipartBody> => {
    // Before the body: an overloaded server refuses without receiving 100 MB first.
    stt.checkCapacity();
    return ctx.uploads.read(ex, { files: { file: maxUploadBytes }, maxBodyBytes: maxUploadBytes + MULTIPART_FIELDS_ALLOWANCE_BYTES, onField });
  };

  router.post('/v1/stt', async (ex) => {
    const body = await upload(ex, (fields) => sttFields(stt, fields));
    const file = requireFile(body, 'file');
    const opts = sttFields(stt, body.fields);
    if (asyncRequested(ex, bool(body.fields, 'async', false))) {
      await startSttJob(ctx, ex, file, opts);
      return;
    }
    const charged = chargedTranscriber(ctx, ex, stt);
    const t = await charged.transcribe({ kind: 'file', path: file.path }, opts, ex.signal);
    ex.json(200, sttResultBody(t, charged.credits, opts.wordTimestamps), t.diarizer ? { 'X-Llais-Diarizer': t.diarizer } : {});
  });

  const openAi = (task: 'transcribe' | 'translate') => async (ex: HttpExchange) => {
    const body = await upload(ex, (fields) => openAiFields(stt, task, fields, false));
    const file = requireFile(body, 'file');
    const { opts, format, granularities, stream } = openAiFields(stt, task, body.fields, true);
    const audio = { kind: 'file' as const, path: file.path };
    const charged = chargedTranscriber(ctx, ex, stt);
    if (stream) {
      await streamTranscript(ex, charged, audio, opts);
      return;
    }
    const t = await charged.transcribe(audio, opts, ex.signal);
    const rendered = renderOpenAi(t, format, { task, granularities });
    ex.send(200, { 'Content-Type': rendered.contentType }, rendered.body);
  };
  router.post('/v1/audio/transcriptions', openAi('transcribe'));
  router.post('/v1/audio/translations', openAi('translate'));
}

/** `transcript.text.delta` per recognized segment as it is ready, then `transcript.text.done`. */
async function streamTranscript(ex: HttpExchange, stt: Pick<SttService, 'transcribe'>, audio: { kind: 'file'; path: string }, opts: TranscribeOptions): Promise<void> {
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
      audio,
      {
        ...opts,
        onSegment: ({ text }) => {
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
    const apiErr = err instanceof ApiError ? err : new ApiError('transcription_failed', `Transcription failed (request id ${ex.requestId})`);
    await sse.send({ type: 'error', error: apiErr.toEnvelope().error }).catch(() => {});
    sse.close();
  }
}
