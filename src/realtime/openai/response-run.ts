/**
 * One Realtime response: the LLM's reply sent as the protocol's response events. Audio replies
 * run through the streaming-reply pipeline (`src/tts/reply-pipeline.ts`): sentences are
 * synthesized while the LLM keeps writing, the next while the current one is sent, and audio is
 * paced to at most `LEAD_MS` ahead of real time, so a barge-in stops the voice within that lead
 * and the server knows roughly what was heard when it truncates. Text replies go out delta by
 * delta. The conversation is told about the items; it alone stores them.
 */
import type { AudioChunk } from '../../audio/pcm.js';
import { ApiError } from '../../errors.js';
import type { ChatMessage, ChatTool, FinishReason, LlmEvent, LlmUsage, Responder } from '../../llm/types.js';
import { Pacer } from '../../tts/pacer.js';
import { speakReply } from '../../tts/reply-pipeline.js';
import type { OutputEncoder } from './audio-io.js';
import type { Conversation } from './conversation.js';
import { itemForDialect, type Item } from './items.js';
import { errorEvent, newId, type Dialect } from './protocol.js';
import { responseObject, type ResponseStatus } from './response-object.js';
import type { ServerEvent } from './server-events.js';
import { SpokenTranscript } from './spoken-transcript.js';

/** How far ahead of real time audio may be sent: a second covers network jitter, and bounds what a barge-in leaves playing. */
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
  /** The reply's token budget, passed to the LLM; 'inf': none. */
  maxOutputTokens?: number | 'inf';
}

type MessageItem = Extract<Item, { type: 'message' }>;

/** The assistant message being produced. */
interface OpenMessage {
  id: string;
  outputIndex: number;
  text: string;
  transcript: SpokenTranscript;
}

export class ResponseRun {
  readonly id = newId('resp');
  private readonly controller = new AbortController();
  private readonly pacer = new Pacer(LEAD_MS);
  private cancelReason: CancelReason | null = null;
  /** The response's output items, as last sent. */
  private readonly output: Item[] = [];
  private message: OpenMessage | null = null;
  /** The last audio message, kept after it closed so it can still be truncated. */
  private spoken: OpenMessage | null = null;
  /** performance.now() when the LLM's first sentence was complete, for stage timings. */
  firstSentenceAt: number | null = null;
  private usage: LlmUsage | null = null;
  private finishReason: FinishReason | null = null;
  private outputText = '';
  private finished = false;
  /** Resolves when the response has ended (completed, incomplete, cancelled or failed). */
  readonly done: Promise<void>;

  constructor(private readonly deps: ResponseDeps, private readonly spec: ResponseSpec, parentSignal: AbortSignal) {
    const onAbort = (): void => this.controller.abort(parentSignal.reason);
    parentSignal.addEventListener('abort', onAbort, { once: true });
    this.done = this.run().finally(() => parentSignal.removeEventListener('abort', onAbort));
  }

  get active(): boolean {
    return !this.finished;
  }

  /** The item whose audio is being (or was last) sent, for truncation. */
  get audioItemId(): string | null {
    return (this.message ?? this.spoken)?.id ?? null;
  }

  /** performance.now() of the first audio delta sent. */
  get firstAudioAt(): number | null {
    return this.pacer.startedAt;
  }

  /** Milliseconds of audio the client has had time to play. */
  playedMs(): number {
    return this.pacer.playedMs();
  }

  /** Stops at once: no event after this except the closing ones. */
  cancel(reason: CancelReason): void {
    if (this.finished || this.cancelReason) return;
    this.cancelReason = reason;
    this.controller.abort(new ApiError('response_cancelled', `response cancelled: ${reason}`));
  }

  /** The audio item's transcript as heard by `audioEndMs`. */
  truncatedTranscript(audioEndMs: number): string {
    return (this.message ?? this.spoken)?.transcript.heardBy(audioEndMs) ?? '';
  }

  /** Applies a truncation to the audio item (barge-in or the client's truncate); returns the transcript kept. */
  truncate(audioEndMs: number): string {
    const transcript = this.truncatedTranscript(audioEndMs);
    if (this.message) this.message.text = transcript;
    return transcript;
  }

  private emit(event: ServerEvent): void {
    this.deps.send(event);
  }

  private object(status: ResponseStatus, statusDetails: unknown): Record<string, unknown> {
    return responseObject({
      id: this.id,
      status,
      statusDetails,
      output: this.output.map((i) => itemForDialect(i, this.deps.dialect)),
      conversationId: this.spec.inConversation ? this.deps.conversation.id : null,
      spec: this.spec,
      dialect: this.deps.dialect,
      usage: status === 'in_progress' ? null : { reported: this.usage, outputText: this.outputText },
    });
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    this.emit({ type: 'response.created', response: this.object('in_progress', null) });
    let failure: ApiError | null = null;
    const max = this.spec.maxOutputTokens;
    const reply = (s: AbortSignal): AsyncIterable<LlmEvent> =>
      this.track(this.deps.responder.reply(this.spec.messages, { tools: this.spec.tools.length > 0 ? this.spec.tools : undefined, signal: s, ...(typeof max === 'number' ? { maxOutputTokens: max } : {}) }));
    try {
      if (this.spec.modalities.includes('audio')) await this.speak(reply, signal);
      else await this.write(reply(signal), signal);
    } catch (err) {
      if (!this.cancelReason) {
        if (!(err instanceof ApiError)) this.deps.onInternalError(err);
        failure = err instanceof ApiError ? err : new ApiError('internal_error', 'The response failed inside the server.', null, { cause: err });
      }
    }
    this.finish(failure);
  }

  /** Passes events through, noting usage, the finish reason and the output text. */
  private async *track(events: AsyncIterable<LlmEvent>): AsyncGenerator<LlmEvent> {
    for await (const ev of events) {
      if (ev.type === 'done') {
        this.finishReason = ev.finishReason;
        if (ev.usage) this.usage = ev.usage;
      }
      if (ev.type === 'text.delta') this.outputText += ev.delta;
      yield ev;
    }
  }

  private openMessage(partType: 'audio' | 'text'): OpenMessage {
    if (this.message) return this.message;
    const item: MessageItem = { id: newId('item'), object: 'realtime.item', type: 'message', role: 'assistant', status: 'in_progress', content: [] };
    const outputIndex = this.output.length;
    this.output.push(item);
    this.message = { id: item.id, outputIndex, text: '', transcript: new SpokenTranscript() };
    this.emit({ type: 'response.output_item.added', response_id: this.id, output_index: outputIndex, item: itemForDialect(item, this.deps.dialect) });
    if (this.spec.inConversation) {
      const previous = this.deps.conversation.add(item);
      this.emit({ type: 'conversation.item.added', previous_item_id: previous, item: itemForDialect(item, this.deps.dialect) });
    }
    const part = partType === 'audio' ? { type: 'audio' as const, transcript: '' } : { type: 'text' as const, text: '' };
    this.emit({ type: 'response.content_part.added', response_id: this.id, item_id: item.id, output_index: outputIndex, content_index: 0, part });
    return this.message;
  }

  private refs(m: OpenMessage): { response_id: string; item_id: string; output_index: number; content_index: number } {
    return { response_id: this.id, item_id: m.id, output_index: m.outputIndex, content_index: 0 };
  }

  /** Text-only responses: each LLM delta goes out as it comes. */
  private async write(events: AsyncIterable<LlmEvent>, signal: AbortSignal): Promise<void> {
    for await (const ev of events) {
      signal.throwIfAborted();
      if (ev.type === 'text.delta') {
        const m = this.openMessage('text');
        m.text += ev.delta;
        this.emit({ type: 'response.output_text.delta', ...this.refs(m), delta: ev.delta });
      } else if (ev.type === 'tool_call') {
        this.closeMessage('completed');
        this.functionCall(ev);
      }
    }
  }

  /** Audio responses: the reply pipeline's frames as protocol events. */
  private async speak(reply: (signal: AbortSignal) => AsyncIterable<LlmEvent>, signal: AbortSignal): Promise<void> {
    const frames = speakReply(reply, {
      // Only a reply's first sentence jumps the engines' queue.
      synthesize: (text, continuation, s) => this.deps.synthesize(text, continuation || this.message !== null, s),
      signal,
      pacer: this.pacer,
      drained: () => this.deps.drained(),
      onSentenceReady: () => (this.firstSentenceAt ??= performance.now()),
    });
    // A sentence's transcript goes out with its first audio, as OpenAI's does.
    let pendingTranscript: string | null = null;
    const sendTranscript = (m: OpenMessage): void => {
      if (pendingTranscript === null) return;
      this.emit({ type: 'response.output_audio_transcript.delta', ...this.refs(m), delta: pendingTranscript });
      pendingTranscript = null;
    };
    for await (const frame of frames) {
      switch (frame.type) {
        case 'sentence.started': {
          const m = this.openMessage('audio');
          m.transcript.start(frame.text, this.pacer.audioSentMs);
          pendingTranscript = (m.text ? ' ' : '') + frame.text;
          m.text += pendingTranscript;
          break;
        }
        case 'audio': {
          const m = this.message!;
          sendTranscript(m);
          if (frame.chunk.words) m.transcript.words(frame.chunk.words);
          const bytes = this.spec.encoder.encode(frame.chunk.pcm);
          if (bytes.length > 0) this.emit({ type: 'response.output_audio.delta', ...this.refs(m), delta: base64(bytes) });
          break;
        }
        case 'sentence.done':
          sendTranscript(this.message!);
          this.message!.transcript.end(frame.durationMs);
          break;
        case 'tool_call':
          this.closeMessage('completed');
          this.functionCall(frame);
          break;
        case 'done':
          break;
        default: {
          const unknown: never = frame;
          throw new Error(`unhandled reply frame ${(unknown as { type: string }).type}`);
        }
      }
    }
  }

  private functionCall(ev: Extract<LlmEvent, { type: 'tool_call' }>): void {
    const started: Item = { id: newId('item'), object: 'realtime.item', type: 'function_call', status: 'in_progress', call_id: ev.id || newId('call'), name: ev.name, arguments: '' };
    const outputIndex = this.output.length;
    this.output.push(started);
    this.emit({ type: 'response.output_item.added', response_id: this.id, output_index: outputIndex, item: { ...started } });
    if (this.spec.inConversation) {
      const previous = this.deps.conversation.add(started);
      this.emit({ type: 'conversation.item.added', previous_item_id: previous, item: { ...started } });
    }
    const refs = { response_id: this.id, item_id: started.id, output_index: outputIndex, call_id: started.call_id };
    this.emit({ type: 'response.function_call_arguments.delta', ...refs, delta: ev.arguments });
    const item: Item = { ...started, arguments: ev.arguments, status: 'completed' };
    this.output[outputIndex] = item;
    if (this.spec.inConversation) this.deps.conversation.update(item);
    this.emit({ type: 'response.function_call_arguments.done', ...refs, name: ev.name, arguments: ev.arguments });
    this.emit({ type: 'response.output_item.done', response_id: this.id, output_index: outputIndex, item: { ...item } });
    if (this.spec.inConversation) this.emit({ type: 'conversation.item.done', item: { ...item } });
  }

  private closeMessage(status: 'completed' | 'incomplete'): void {
    const m = this.message;
    if (!m) return;
    this.message = null;
    const audio = m.transcript.hasAudio;
    if (audio) this.spoken = m;
    const refs = this.refs(m);
    let content: MessageItem['content'];
    if (audio) {
      const tail = this.spec.encoder.flush();
      if (tail.length > 0 && status === 'completed') this.emit({ type: 'response.output_audio.delta', ...refs, delta: base64(tail) });
      this.emit({ type: 'response.output_audio.done', ...refs });
      this.emit({ type: 'response.output_audio_transcript.done', ...refs, transcript: m.text });
      content = [{ type: 'output_audio', transcript: m.text }];
      this.emit({ type: 'response.content_part.done', ...refs, part: { type: 'audio', transcript: m.text } });
    } else {
      this.emit({ type: 'response.output_text.done', ...refs, text: m.text });
      content = [{ type: 'output_text', text: m.text }];
      this.emit({ type: 'response.content_part.done', ...refs, part: { type: 'text', text: m.text } });
    }
    const item: MessageItem = { id: m.id, object: 'realtime.item', type: 'message', role: 'assistant', status, content };
    this.output[m.outputIndex] = item;
    if (this.spec.inConversation) this.deps.conversation.update(item);
    const wire = itemForDialect(item, this.deps.dialect);
    this.emit({ type: 'response.output_item.done', response_id: this.id, output_index: m.outputIndex, item: wire });
    if (this.spec.inConversation) this.emit({ type: 'conversation.item.done', item: wire });
  }

  private finish(failure: ApiError | null): void {
    this.finished = true;
    if (this.cancelReason) {
      this.closeMessage('incomplete');
      this.emit({ type: 'response.done', response: this.object('cancelled', { type: 'cancelled', reason: this.cancelReason }) });
      return;
    }
    if (failure) {
      this.closeMessage('incomplete');
      this.emit(errorEvent(failure));
      this.emit({ type: 'response.done', response: this.object('failed', { type: 'failed', error: { type: failure.type, code: failure.code } }) });
      return;
    }
    if (this.finishReason === 'length') {
      // As OpenAI reports a reply cut by its token budget.
      this.closeMessage('incomplete');
      this.emit({ type: 'response.done', response: this.object('incomplete', { type: 'incomplete', reason: 'max_output_tokens' }) });
      return;
    }
    this.closeMessage('completed');
    this.emit({ type: 'response.done', response: this.object('completed', null) });
  }
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
