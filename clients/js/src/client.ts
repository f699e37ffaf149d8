/**
 * `new Llais({ baseUrl, apiKey })`: the server's endpoints grouped as the seed's SDK groups
 * them (`tts`, `results`, `stt`, `audio`, `voices`, `models`, `voiceChat`, `health`). Every
 * method takes an optional AbortSignal; every non-2xx answer is thrown as `LlaisError`.
 */
import { appendFields, appendFile, type FileInput } from './file-part.js';
import { Results } from './results.js';
import { speechEvents, type SpeechEvent } from './speech-stream.js';
import { Transport, type LlaisOptions } from './transport.js';
import type { Health, ModelList, OpenAiSpeechRequest, SpeechJob, SpeechRequest, Transcript, TranscribeFields, VoiceChatFields, VoiceChatTurn, VoiceList, VoiceQuery } from './types.js';

/** Every method's last word: a signal that cancels the request (and the work on the server). */
export interface Cancellable {
  signal?: AbortSignal;
}

/** `client.stt.transcribe` input. */
export interface TranscribeRequest extends TranscribeFields, Cancellable {
  file: FileInput;
  /** The upload's file name (a path's own name by default); its extension can help decoding. */
  filename?: string;
  /** Per-word times in each segment. */
  timestamps?: boolean;
  /** Speaker labels per segment. */
  diarize?: boolean;
}

/** `client.voiceChat` input: `text`, or `audio` (sent as multipart). */
export type VoiceChatRequest = VoiceChatFields & Cancellable & { audio?: FileInput; filename?: string };

/** A Llais server. */
export class Llais {
  /** Text to speech: queued jobs and event streams. */
  readonly tts: {
    /** POST /v1/tts/: queues a job; poll it with `results.wait(job.uuid)`. */
    create(request: SpeechRequest & Cancellable): Promise<SpeechJob>;
    /** POST /v1/tts/stream/: the audio as it is synthesized; stop early with `break` or the signal. */
    stream(request: SpeechRequest & Cancellable): AsyncGenerator<SpeechEvent, void, undefined>;
  };
  /** Queued jobs' states and audio. */
  readonly results: Results;
  /** OpenAI-compatible audio. */
  readonly audio: {
    /** POST /v1/audio/speech: the whole audio file. */
    speech(request: OpenAiSpeechRequest & Cancellable): Promise<Uint8Array>;
  };
  /** Speech to text. */
  readonly stt: {
    /** POST /v1/stt/: transcribes a file. */
    transcribe(request: TranscribeRequest): Promise<Transcript>;
  };
  /** The server's voices. */
  readonly voices: { list(query?: VoiceQuery & Cancellable): Promise<VoiceList> };
  /** The server's models, every type. */
  readonly models: { list(options?: Cancellable): Promise<ModelList> };

  private readonly http: Transport;

  constructor(options: LlaisOptions) {
    const http = new Transport(options);
    this.http = http;
    this.results = new Results(http);
    this.tts = {
      create: ({ signal, ...body }) => http.json<SpeechJob>('POST', '/v1/tts/', { json: { ...body, stream: false }, signal }),
      stream: async function* ({ signal, ...body }) {
        const res = await http.request('POST', '/v1/tts/stream/', { json: body, signal });
        yield* speechEvents(res, body.format === undefined || body.format === 'pcm', signal);
      },
    };
    this.audio = { speech: ({ signal, ...body }) => http.bytes('POST', '/v1/audio/speech', { json: body, signal }) };
    this.stt = {
      transcribe: async ({ signal, file, filename, timestamps, diarize, ...fields }) => {
        const form = new FormData();
        // Fields before the file: the server checks them before it reads the upload.
        appendFields(form, { ...fields, timestamps, diarize });
        await appendFile(form, 'file', file, filename);
        return http.json<Transcript>('POST', '/v1/stt/', { form, signal });
      },
    };
    this.voices = { list: ({ signal, ...query } = {}) => http.json<VoiceList>('GET', '/v1/voices/', { query, signal }) };
    this.models = { list: ({ signal } = {}) => http.json<ModelList>('GET', '/v1/models/', { signal }) };
  }

  /** POST /v1/voice-chat/: one turn (what the user said in, the spoken reply's URL out). */
  async voiceChat({ signal, audio, filename, ...fields }: VoiceChatRequest): Promise<VoiceChatTurn> {
    if (audio === undefined) return this.http.json<VoiceChatTurn>('POST', '/v1/voice-chat/', { json: fields, signal });
    const form = new FormData();
    appendFields(form, fields);
    await appendFile(form, 'audio', audio, filename);
    return this.http.json<VoiceChatTurn>('POST', '/v1/voice-chat/', { form, signal });
  }

  /** GET /v1/health/. */
  health(options: Cancellable = {}): Promise<Health> {
    return this.http.json<Health>('GET', '/v1/health/', options);
  }
}
