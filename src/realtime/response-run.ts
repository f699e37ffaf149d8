/**
 * One Realtime response: the LLM's reply streamed through the sentence splitter into TTS, sent as
 * the protocol's response events. The LLM keeps writing while the first sentence is spoken, and
 * the next sentence is synthesized while the current one is sent, so the first audio leaves as
 * soon as the first sentence is complete.
 *
 * Audio is paced: it is sent no more than `LEAD_MS` ahead of real time from the first delta. A
 * client that plays as it receives then never holds more than that, so a barge-in stops the voice
 * within that lead, and the server knows roughly what was heard when it truncates.
 */
import type { AudioChunk, WordTiming } from '../audio/pcm.js';
import { ApiError } from '../errors.js';
import type { ChatMessage, ChatTool, LlmEvent, LlmUsage, Responder } from '../llm/types.js';
import { sentencesFrom, type SentenceEvent } from '../llm/sentences-from-llm.js';
import type { Conversation, Item } from './conversation.js';
import { itemForDialect } from './conversation.js';
import { errorEvent, newId, type Dialect, type ServerEvent } from './protocol.js';
import type { OutputEncoder } from './audio-io.js';
import { SESSION_RATE_HZ } from './audio-io.js';

/** How far ahead of real time audio may be sent. */
export const LEAD_MS = 1000;

export type CancelReason = 'turn_detected' | 'client_cancelled';

export interface ResponseDeps {
  responder: Responder;
  /** 24 kHz PCM of one sentence, word times relative to its start; throws ApiError for bad voices. */
  synthesize(text: string, continuation: boolean, signal: AbortSignal): AsyncIterable<AudioChunk>;
  send(event: ServerEvent): void;
  /** Resolves when the client's socket can take more. */
  drained(): Promise<void>;
  conversation: Conversation;
  dialect: Dialect;
  /** Where failures that are the server's fault (not an ApiError) are reported. */
  onInternalError(err: unknown): void;
}

export interface ResponseSpec {
  messages: ChatMessage[];
  tools: ChatTool[];
  modalities: Array<'audio' | 'text'>;
  encoder: OutputEncoder;
  voice: string;
  /** Whether the response's items join the conversation (`conversation: "none"` responses do not). */
  inConversation: boolean;
  metadata: Record<string, string> | null;
}

interface SpokenSentence {
  text: string;
  /** Where the sentence starts in the item's audio, in ms. */
  startMs: number;
  /** Absolute (item audio) word times, when the engine gave them. */
  words: WordTiming[];
  /** Length of its audio, in ms, once known. */
  durationMs: number;
}

/** Rough token count for text when the LLM reports none: ~4 characters per token. */
function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export class ResponseRun {
  readonly id = newId('resp');
  private readonly controller = new AbortController();
  private cancelReason: CancelReason | null = null;
  private readonly output: Item[] = [];
  /** The assistant message being produced, with its audio bookkeeping. */
  private message: { item: Extract<Item, { type: 'message' }>; outputIndex: number; text: string; sentences: SpokenSentence[] } | null = null;
  /** The last audio message, kept after it closed so it can still be truncated. */
  private spoken: NonNullable<ResponseRun['message']> | null = null;
  private firstDeltaAt: number | null = null;
  /** performance.now() when the LLM's first sentence was complete, for stage timings. */
  firstSentenceAt: number | null = null;
  private audioSentMs = 0;
  private usage: LlmUsage | null = null;
  private outputText = '';
  private finished = false;
  /** Resolves when the response has ended (completed, cancelled or failed). */
  readonly done: Promise<void>;

  constructor(private readonly deps: ResponseDeps, private readonly spec: ResponseSpec, parentSignal: AbortSignal) {
    parentSignal.addEventListener('abort', () => this.controller.abort(parentSignal.reason), { once: true });
    this.done = this.run();
  }

  get active(): boolean {
    return !this.finished;
  }

  /** The item whose audio is being sent, for truncation. */
  get audioItemId(): string | null {
    return (this.message ?? this.spoken)?.item.id ?? null;
  }

  /** performance.now() of the first audio delta sent. */
  get firstAudioAt(): number | null {
    return this.firstDeltaAt;
  }

  /** Milliseconds of audio the client has had time to play: what was sent, capped by real time. */
  playedMs(): number {
    if (this.firstDeltaAt === null) return 0;
    return Math.min(this.audioSentMs, Math.round(performance.now() - this.firstDeltaAt));
  }

  /** Stops at once: no event after this except the closing ones. */
  cancel(reason: CancelReason): void {
    if (this.finished || this.cancelReason) return;
    this.cancelReason = reason;
    this.controller.abort(new ApiError(499, 'response_cancelled', `response cancelled: ${reason}`));
  }

  private emit(event: ServerEvent): void {
    this.deps.send(event);
  }

  private responseObject(status: string, statusDetails: unknown): Record<string, unknown> {
    return {
      object: 'realtime.response',
      id: this.id,
      status,
      status_details: statusDetails,
      output: this.output.map((i) => itemForDialect(i, this.deps.dialect)),
      conversation_id: this.spec.inConversation ? this.deps.conversation.id : null,
      output_modalities: this.spec.modalities,
      ...(this.deps.dialect === 'beta' ? { modalities: this.spec.modalities.includes('audio') ? ['text', 'audio'] : ['text'], voice: this.spec.voice, output_audio_format: this.spec.encoder.format } : {}),
      audio: { output: { format: { type: this.spec.encoder.format }, voice: this.spec.voice } },
      max_output_tokens: 'inf',
      metadata: this.spec.metadata,
      usage: status === 'in_progress' ? null : this.usageObject(),
    };
  }

  private usageObject(): Record<string, unknown> {
    const input = this.usage?.inputTokens ?? estimateTokens(this.spec.messages.map((m) => m.content ?? '').join(' '));
    const output = this.usage?.outputTokens ?? estimateTokens(this.outputText);
    return {
      total_tokens: input + output,
      input_tokens: input,
      output_tokens: output,
      input_token_details: { text_tokens: input, audio_tokens: 0, cached_tokens: 0 },
      output_token_details: { text_tokens: output, audio_tokens: 0 },
    };
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    this.emit({ type: 'response.created', response: this.responseObject('in_progress', null) });
    let failure: ApiError | null = null;
    try {
      const events = this.deps.responder.reply(this.spec.messages, { tools: this.spec.tools.length > 0 ? this.spec.tools : undefined, signal });
      if (this.spec.modalities.includes('audio')) await this.speak(sentencesFrom(this.track(events)), signal);
      else await this.write(this.track(events), signal);
    } catch (err) {
      if (!this.cancelReason) {
        if (!(err instanceof ApiError)) this.deps.onInternalError(err);
        failure = err instanceof ApiError ? err : new ApiError(500, 'internal_error', 'The response failed inside the server.', null, { cause: err });
      }
    }
    this.finish(failure);
  }

  /** Passes events through, noting usage and the output text. */
  private async *track(events: AsyncIterable<LlmEvent>): AsyncGenerator<LlmEvent> {
    for await (const ev of events) {
      if (ev.type === 'done' && ev.usage) this.usage = ev.usage;
      if (ev.type === 'text.delta') this.outputText += ev.delta;
      yield ev;
    }
  }

  private openMessage(partType: 'audio' | 'text'): NonNullable<ResponseRun['message']> {
    if (this.message) return this.message;
    const item: Extract<Item, { type: 'message' }> = { id: newId('item'), object: 'realtime.item', type: 'message', role: 'assistant', status: 'in_progress', content: [] };
    const outputIndex = this.output.length;
    this.output.push(item);
    this.message = { item, outputIndex, text: '', sentences: [] };
    this.emit({ type: 'response.output_item.added', response_id: this.id, output_index: outputIndex, item: itemForDialect(item, this.deps.dialect) });
    if (this.spec.inConversation) {
      const previous = this.deps.conversation.add(item);
      this.emit({ type: 'conversation.item.added', previous_item_id: previous, item: itemForDialect(item, this.deps.dialect) });
    }
    const part = partType === 'audio' ? { type: 'audio', transcript: '' } : { type: 'text', text: '' };
    this.emit({ type: 'response.content_part.added', response_id: this.id, item_id: item.id, output_index: outputIndex, content_index: 0, part });
    return this.message;
  }

  private refs(): { response_id: string; item_id: string; output_index: number; content_index: number } {
    const m = this.message!;
    return { response_id: this.id, item_id: m.item.id, output_index: m.outputIndex, content_index: 0 };
  }

  /** Text-only responses: each LLM delta goes out as it comes. */
  private async write(events: AsyncIterable<LlmEvent>, signal: AbortSignal): Promise<void> {
    for await (const ev of events) {
      signal.throwIfAborted();
      if (ev.type === 'text.delta') {
        const m = this.openMessage('text');
        m.text += ev.delta;
        this.emit({ type: 'response.output_text.delta', ...this.refs(), delta: ev.delta });
      } else if (ev.type === 'tool_call') {
        this.closeMessage('completed');
        this.functionCall(ev);
      }
    }
  }

  /** Audio responses: sentences are synthesized in order, the next one while the current is sent. */
  private async speak(events: AsyncIterable<SentenceEvent>, signal: AbortSignal): Promise<void> {
    type Started = { chunks: AsyncIterator<AudioChunk>; first: Promise<IteratorResult<AudioChunk>> };
    const started = new Map<SentenceEvent, Started>();
    const start = (ev: Extract<SentenceEvent, { type: 'sentence' }>): Started => {
      // Only a reply's first sentence jumps the engines' queue.
      const chunks = this.deps.synthesize(ev.text, started.size > 0 || this.message !== null, signal)[Symbol.asyncIterator]();
      const first = chunks.next();
      first.catch(() => {}); // surfaced when awaited
      const s = { chunks, first };
      started.set(ev, s);
      return s;
    };
    // The LLM runs ahead on its own; sentences wait here until the voice reaches them.
    const queue: SentenceEvent[] = [];
    let llmDone = false;
    let llmError: unknown = null;
    const waiter: { wake: (() => void) | null } = { wake: null };
    // True while a sentence is producing audio: the next one may then start synthesizing.
    let producing = false;
    const prefetch = (): void => {
      const next = queue[0];
      if (producing && next?.type === 'sentence' && !started.has(next)) start(next);
    };
    const pump = (async () => {
      try {
        for await (const ev of events) {
          if (ev.type === 'sentence') this.firstSentenceAt ??= performance.now();
          queue.push(ev);
          prefetch();
          waiter.wake?.();
        }
      } catch (err) {
        llmError = err;
      } finally {
        llmDone = true;
        waiter.wake?.();
      }
    })();
    try {
      for (;;) {
        while (queue.length === 0 && !llmDone) await new Promise<void>((r) => (waiter.wake = r));
        waiter.wake = null;
        signal.throwIfAborted();
        const ev = queue.shift();
        if (!ev) {
          if (llmError) throw llmError;
          break;
        }
        if (ev.type === 'sentence') {
          const synth = started.get(ev) ?? start(ev);
          await this.sendSentence(ev.text, synth, signal, () => {
            producing = true;
            prefetch();
          });
          producing = false;
          started.delete(ev);
        } else if (ev.type === 'tool_call') {
          this.closeMessage('completed');
          this.functionCall(ev);
        }
      }
    } finally {
      await Promise.allSettled([...started.values()].map((p) => p.chunks.return?.()));
      await pump;
    }
  }

  private async sendSentence(
    text: string,
    sentence: { chunks: AsyncIterator<AudioChunk>; first: Promise<IteratorResult<AudioChunk>> },
    signal: AbortSignal,
    prefetchNext: () => void,
  ): Promise<void> {
    const m = this.openMessage('audio');
    const startMs = this.audioSentMs;
    const spoken: SpokenSentence = { text, startMs, words: [], durationMs: 0 };
    m.sentences.push(spoken);
    const textDelta = (m.text ? ' ' : '') + text;
    m.text += textDelta;
    let result = await sentence.first;
    signal.throwIfAborted();
    // The transcript of a sentence goes out with its first audio, as OpenAI's does.
    this.emit({ type: 'response.output_audio_transcript.delta', ...this.refs(), delta: textDelta });
    let prefetched = false;
    let samples = 0;
    while (!result.done) {
      const chunk = result.value;
      if (!prefetched) {
        prefetched = true;
        prefetchNext();
      }
      if (chunk.words) for (const w of chunk.words) spoken.words.push({ word: w.word, start: w.start * 1000 + startMs, end: w.end * 1000 + startMs });
      if (chunk.pcm.length > 0) {
        await this.pace(signal);
        const bytes = this.spec.encoder.encode(chunk.pcm);
        samples += chunk.pcm.length;
        this.sendAudio(bytes, signal);
        this.audioSentMs = startMs + (samples * 1000) / SESSION_RATE_HZ;
      }
      result = await sentence.chunks.next();
      signal.throwIfAborted();
    }
    spoken.durationMs = (samples * 1000) / SESSION_RATE_HZ;
  }

  /** Waits until this audio is within LEAD_MS of real time, and for the socket to drain. */
  private async pace(signal: AbortSignal): Promise<void> {
    await this.deps.drained();
    signal.throwIfAborted();
    if (this.firstDeltaAt === null) return;
    const ahead = this.audioSentMs - (performance.now() - this.firstDeltaAt);
    if (ahead > LEAD_MS) await sleep(ahead - LEAD_MS, signal);
  }

  private sendAudio(bytes: Uint8Array, signal: AbortSignal): void {
    signal.throwIfAborted();
    if (bytes.length === 0) return;
    if (this.firstDeltaAt === null) this.firstDeltaAt = performance.now();
    this.emit({ type: 'response.output_audio.delta', ...this.refs(), delta: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') });
  }

  private functionCall(ev: Extract<LlmEvent, { type: 'tool_call' }>): void {
    const item: Extract<Item, { type: 'function_call' }> = { id: newId('item'), object: 'realtime.item', type: 'function_call', status: 'in_progress', call_id: ev.id || newId('call'), name: ev.name, arguments: '' };
    const outputIndex = this.output.length;
    this.output.push(item);
    this.emit({ type: 'response.output_item.added', response_id: this.id, output_index: outputIndex, item: { ...item } });
    if (this.spec.inConversation) {
      const previous = this.deps.conversation.add(item);
      this.emit({ type: 'conversation.item.added', previous_item_id: previous, item: { ...item } });
    }
    const refs = { response_id: this.id, item_id: item.id, output_index: outputIndex, call_id: item.call_id };
    this.emit({ type: 'response.function_call_arguments.delta', ...refs, delta: ev.arguments });
    item.arguments = ev.arguments;
    item.status = 'completed';
    this.emit({ type: 'response.function_call_arguments.done', ...refs, name: item.name, arguments: ev.arguments });
    this.emit({ type: 'response.output_item.done', response_id: this.id, output_index: outputIndex, item: { ...item } });
    if (this.spec.inConversation) this.emit({ type: 'conversation.item.done', item: { ...item } });
  }

  /**
   * Cuts the audio item's transcript to what was heard by `audioEndMs`: whole words by their
   * timings where the engine gave them, else the share of the sentence's characters.
   */
  truncatedTranscript(audioEndMs: number): string {
    const m = this.message ?? this.spoken;
    if (!m) return '';
    const kept: string[] = [];
    for (const s of m.sentences) {
      if (s.startMs >= audioEndMs) break;
      const end = s.startMs + s.durationMs;
      if (s.durationMs > 0 && end <= audioEndMs) {
        kept.push(s.text);
        continue;
      }
      if (s.words.length > 0) {
        const heard = s.words.filter((w) => w.end <= audioEndMs).map((w) => w.word);
        if (heard.length > 0) kept.push(heard.join(' '));
      } else if (s.durationMs > 0) {
        const share = (audioEndMs - s.startMs) / s.durationMs;
        const cut = s.text.slice(0, Math.floor(s.text.length * share)).replace(/\S*$/, '').trim();
        if (cut) kept.push(cut);
      }
      break;
    }
    return kept.join(' ');
  }

  /** Applies a truncation to the audio item (barge-in or the client's `conversation.item.truncate`). */
  truncate(audioEndMs: number): string {
    const transcript = this.truncatedTranscript(audioEndMs);
    if (this.message) this.message.text = transcript;
    return transcript;
  }

  private closeMessage(status: 'completed' | 'incomplete'): void {
    const m = this.message;
    if (!m) return;
    this.message = null;
    const audio = m.sentences.length > 0;
    if (audio) this.spoken = m;
    const refs = { response_id: this.id, item_id: m.item.id, output_index: m.outputIndex, content_index: 0 };
    if (audio) {
      const tail = this.spec.encoder.flush();
      if (tail.length > 0 && status === 'completed') this.emit({ type: 'response.output_audio.delta', ...refs, delta: Buffer.from(tail).toString('base64') });
      this.emit({ type: 'response.output_audio.done', ...refs });
      this.emit({ type: 'response.output_audio_transcript.done', ...refs, transcript: m.text });
      m.item.content = [{ type: 'output_audio', transcript: m.text }];
      this.emit({ type: 'response.content_part.done', ...refs, part: { type: 'audio', transcript: m.text } });
    } else {
      this.emit({ type: 'response.output_text.done', ...refs, text: m.text });
      m.item.content = [{ type: 'output_text', text: m.text }];
      this.emit({ type: 'response.content_part.done', ...refs, part: { type: 'text', text: m.text } });
    }
    m.item.status = status;
    const item = itemForDialect(m.item, this.deps.dialect);
    this.emit({ type: 'response.output_item.done', response_id: this.id, output_index: m.outputIndex, item });
    if (this.spec.inConversation) this.emit({ type: 'conversation.item.done', item });
  }

  private finish(failure: ApiError | null): void {
    this.finished = true;
    if (this.cancelReason) {
      this.closeMessage('incomplete');
      this.emit({ type: 'response.done', response: this.responseObject('cancelled', { type: 'cancelled', reason: this.cancelReason }) });
      return;
    }
    if (failure) {
      this.closeMessage('incomplete');
      this.emit(errorEvent(failure));
      this.emit({ type: 'response.done', response: this.responseObject('failed', { type: 'failed', error: { type: failure.type, code: failure.code } }) });
      return;
    }
    this.closeMessage('completed');
    this.emit({ type: 'response.done', response: this.responseObject('completed', null) });
  }
}
