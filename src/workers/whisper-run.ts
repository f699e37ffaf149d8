/**
 * Whisper inside a pool worker (see stt-task.ts): the task's PCM is collected as it arrives
 * (Whisper decodes whole 30 s windows, so there is nothing final to decode before the audio
 * ends), then transcribed with the model this thread holds. A live turn that asks for partials
 * gets them by re-decoding the growing window (whisper-partials.ts) while audio still arrives. Each thread keeps its models in one SessionCache,
 * least recently used first out past its share of the memory budget; a model whose files changed
 * (another version) is loaded again.
 */
import { ApiError } from '../errors.js';
import { whisperFailedError } from '../stt/whisper-failure.js';
import type { OnnxSettings } from '../engines/onnx/settings.js';
import { SessionCache } from '../engines/onnx/session-cache.js';
import type { WhisperVariantChoice } from '../engines/stt/whisper/export-files.js';
import { loadWhisper, WhisperLoadError } from '../engines/stt/whisper/load-model.js';
import type { OnnxWhisperModel } from '../engines/stt/whisper/onnx-model.js';
import type { WhisperTokenizer } from '../engines/stt/whisper/tokenizer.js';
import { transcribeWhisper, type CancelCheck, type WhisperTranscribeOptions } from '../engines/stt/whisper/transcribe.js';
import type { LivePartial } from '../stt/live-partial.js';
import type { Transcript, TranscriptSegment } from '../stt/transcript.js';
import { GrowingWindowPartials, toFloat } from './whisper-partials.js';

/** Which Whisper model a task runs, as the main thread found it (plain data, it crosses threads). */
export interface WhisperTaskSpec {
  /** Catalogue id (`whisper-base`), for messages. */
  modelId: string;
  dir: string;
  variant: WhisperVariantChoice;
  /** The folder's version when checked (checkWhisperFolder); a new one loads the model again. */
  version: string;
  onnx: OnnxSettings;
  /** This thread's share of the model memory budget (0: no limit). */
  budgetBytes: number;
  task: 'transcribe' | 'translate';
}

export interface WhisperRunOptions {
  language: string;
  wordTimestamps: boolean;
  onSegment?: (segment: TranscriptSegment) => void;
  /** Non-zero once the caller cancelled; read between decoding steps. */
  cancelFlag?: Int32Array;
  /** A live turn's running hypothesis (re-decoding the growing window), as it changes. */
  onPartial?: (partial: LivePartial) => void;
  /** Text the speech continues (names, terms): Whisper's initial prompt. */
  prompt?: string;
}

let cache: SessionCache<WhisperTokenizer, OnnxWhisperModel> | undefined;

/** All of `pcm`, each chunk also handed to `onChunk` (the partial re-decoder) as it arrives. */
async function collect(pcm: AsyncIterable<Int16Array>, onChunk?: (chunks: readonly Int16Array[]) => void): Promise<Float32Array> {
  const chunks: Int16Array[] = [];
  for await (const chunk of pcm) {
    chunks.push(chunk);
    onChunk?.(chunks);
  }
  return toFloat(chunks);
}

/** The cancel flag as what the decoding loop checks between steps. */
function flagSignal(flag: Int32Array | undefined): CancelCheck | undefined {
  if (!flag) return undefined;
  return {
    throwIfAborted() {
      if (Atomics.load(flag, 0) !== 0) throw new DOMException('The transcription was cancelled', 'AbortError');
    },
  };
}

/** Transcribes `pcm` with the model `spec` names; throws ApiError 424 when its files cannot be loaded. */
export async function transcribeWithWhisper(spec: WhisperTaskSpec, pcm: AsyncIterable<Int16Array>, opts: WhisperRunOptions): Promise<Transcript> {
  cache ??= new SessionCache<WhisperTokenizer, OnnxWhisperModel>(spec.budgetBytes);
  const load = async (): Promise<{ session: OnnxWhisperModel; extra: WhisperTokenizer; bytes: number }> => {
    const loaded = await loadWhisper(spec.dir, spec.variant, spec.onnx);
    return { session: loaded.model, extra: loaded.tokenizer, bytes: loaded.graphBytes };
  };
  const models = cache;
  const decode = (samples: Float32Array, run: Omit<WhisperTranscribeOptions, 'task'>): Promise<Transcript> =>
    models.use(spec.dir, spec.version, load, ({ session: model, extra: tokenizer }) => transcribeWhisper(model, tokenizer, samples, { ...run, task: spec.task, initialPrompt: opts.prompt }));
  const partials = opts.onPartial ? new GrowingWindowPartials((samples, signal) => decode(samples, { language: opts.language, wordTimestamps: true, signal }), opts.onPartial) : null;
  try {
    const samples = await collect(pcm, partials ? (chunks) => partials.heard(chunks) : undefined);
    await partials?.stop();
    return await decode(samples, { language: opts.language, wordTimestamps: opts.wordTimestamps, onSegment: opts.onSegment, signal: flagSignal(opts.cancelFlag) });
  } catch (error) {
    if (error instanceof WhisperLoadError) throw whisperFailedError(spec.modelId, error.message);
    if (error instanceof RangeError && /unsupported language/.test(error.message)) {
      throw new ApiError('language_not_supported', `Speech-to-text model '${spec.modelId}' does not recognize '${opts.language}'.`, 'language');
    }
    throw error;
  }
}
