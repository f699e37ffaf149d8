/**
 * One `/v1/realtime` session: the state machine behind the OpenAI Realtime protocol, written
 * against the transport port. Client events are parsed into one typed union and dispatched by
 * an exhaustive switch; audio and the events that must follow it run in order on a bounded
 * `StepQueue`. With server VAD a turn's audio goes to the recognizer while the user is still
 * speaking (`InputAudio`); user speech during a reply cancels it at once (barge-in) and
 * truncates the assistant item to what had been played.
 */
import { ApiError } from '../../errors.js';
import { MAX_HISTORY_CHARS } from '../../llm/history.js';
import type { LiveTransport } from '../transport.js';
import { base64Bytes, OutputEncoder } from './audio-io.js';
import { ClientEventError, parseClientEvent, type ClientEvent } from './client-events.js';
import { Conversation } from './conversation.js';
import { InputAudio, type CommittedTurn } from './input-audio.js';
import { transcribeItemAudio } from './item-audio.js';
import { itemForDialect, parseClientItem, type Item } from './items.js';
import { errorEvent, newId, outgoingName, type Dialect } from './protocol.js';
import { resolveResponseRequest } from './response-request.js';
import { ResponseRun, type CancelReason } from './response-run.js';
import type { ServerEvent } from './server-events.js';
import type { RealtimeServices, RealtimeSessionOptions } from './services.js';
import { applySessionUpdate, defaultSessionConfig, sessionObject, type SessionConfig } from './session-config.js';
import { StepQueue } from './step-queue.js';
import { asTranscriptionUpdate } from './transcription-session.js';
import { reportTurnTiming } from './telemetry.js';

export type { RealtimeServices, RealtimeSessionOptions } from './services.js';

/** Finished audio responses kept for a client's truncate after the fact: only recent ones can still be playing. */
const MAX_SPOKEN_ITEMS = 20;

export class RealtimeSession {
  private current: SessionConfig;
  private readonly conversation = new Conversation();
  private readonly input: InputAudio;
  private readonly steps: StepQueue;
  private response: ResponseRun | null = null;
  /** Finished audio responses by item id, for client truncation after the fact. */
  private readonly spokenItems = new Map<string, ResponseRun>();
  private spokeOnce = false;
  /** The client configured transcription with `transcription_session.update`: its replies keep that name. */
  private usedTranscriptionUpdate = false;
  /** Committed turns whose transcription has not come back yet. */
  private transcribing = 0;
  private readonly expiresAt: number;

  constructor(
    private readonly services: RealtimeServices,
    private readonly transport: LiveTransport,
    private readonly dialect: Dialect,
    private readonly opts: RealtimeSessionOptions,
  ) {
    this.current = { ...defaultSessionConfig(newId('sess'), opts.model, opts.voice), ...(opts.intent === 'transcription' ? { type: 'transcription' as const } : {}) };
    this.expiresAt = Math.floor((Date.now() + opts.maxSessionMs) / 1000);
    this.steps = new StepQueue(opts.maxPendingInputBytes, (err, id) => {
      if (!transport.signal.aborted) this.fail(err, id);
    });
    this.input = new InputAudio(
      {
        config: () => this.current,
        transcribe: services.transcribe,
        vad: services.vad,
        heard: (seconds) => services.heardSeconds?.(seconds),
        emit: (ev) => this.emit(ev),
        speechStarted: () => {
          if (this.current.turnDetection?.interruptResponse && this.response?.active) this.cancelResponse('turn_detected');
        },
        committed: (turn) => this.onCommitted(turn),
      },
      opts.maxTurnMs,
    );
    transport.signal.addEventListener('abort', () => this.dispose(), { once: true });
  }

  /** The server owes the client something: a transcription, a queued step, a reply being made. */
  get busy(): boolean {
    return this.transcribing > 0 || this.steps.waiting > 0 || this.response?.active === true;
  }

  get settings(): SessionConfig {
    return this.current;
  }

  start(): void {
    this.emit({ type: this.transcriptionNames() ? 'transcription_session.created' : 'session.created', session: sessionObject(this.current, this.dialect, this.expiresAt) });
    if (this.dialect === 'beta') this.emit({ type: 'conversation.created', conversation: { id: this.conversation.id, object: 'realtime.conversation' } });
    this.enqueue(() => this.input.configure());
  }

  /** One text frame from the client. */
  handleText(text: string): void {
    let event: ClientEvent;
    try {
      event = parseClientEvent(text);
    } catch (err) {
      this.fail(err, err instanceof ClientEventError ? err.clientEventId : undefined);
      return;
    }
    try {
      this.dispatch(event);
    } catch (err) {
      this.fail(err, event.event_id);
    }
  }

  /** A binary frame: raw audio in the session's input format (our extension; saves base64 for Opus clients). */
  handleBinary(data: Uint8Array): void {
    this.appendAudio(data);
  }

  /** Sends `event` to the client, named for its dialect. */
  private emit(event: ServerEvent): void {
    if (this.transport.signal.aborted) return;
    const type = outgoingName(event.type, this.dialect);
    if (type === null) return;
    this.transport.send(JSON.stringify({ ...event, type, event_id: newId('event') }));
  }

  private fail(err: unknown, clientEventId?: string): void {
    const apiError = err instanceof ApiError ? err : new ApiError('internal_error', 'The server failed to handle this event.', null, { cause: err });
    if (apiError.status >= 500) this.services.logger.error({ err }, 'realtime event failed');
    this.emit(errorEvent(apiError, clientEventId));
  }

  /** Runs `step` after every earlier step, reporting (not throwing) its failure. */
  private enqueue(step: () => Promise<void> | void, clientEventId?: string): void {
    if (!this.steps.offer(step, { clientEventId })) throw backlogFull();
  }

  private appendAudio(bytes: Uint8Array, clientEventId?: string): void {
    const receivedAt = performance.now();
    // The overflow policy: this append is dropped and the client told; the session goes on.
    if (!this.steps.offer(() => this.input.append(bytes, receivedAt), { bytes: bytes.length, clientEventId })) this.fail(backlogFull(), clientEventId);
  }

  private dispatch(event: ClientEvent): void {
    const id = event.event_id;
    switch (event.type) {
      case 'session.update':
      case 'transcription_session.update': {
        const before = this.current;
        const update = event.type === 'session.update' ? event.session : asTranscriptionUpdate(event.session);
        if (event.type === 'transcription_session.update') this.usedTranscriptionUpdate = true;
        this.current = applySessionUpdate(this.current, update, this.services.checkVoice, this.spokeOnce);
        this.emit({ type: this.transcriptionNames() ? 'transcription_session.updated' : 'session.updated', session: sessionObject(this.current, this.dialect, this.expiresAt) });
        const audioChanged = before.inputFormat !== this.current.inputFormat || JSON.stringify(before.turnDetection) !== JSON.stringify(this.current.turnDetection);
        if (audioChanged) this.enqueue(() => this.input.configure(), id);
        return;
      }
      case 'input_audio_buffer.append':
        this.appendAudio(base64Bytes(event.audio, 'audio'), id);
        return;
      case 'input_audio_buffer.commit':
        this.enqueue(() => this.input.commit(), id);
        return;
      case 'input_audio_buffer.clear':
        this.enqueue(() => this.input.clear(), id);
        return;
      case 'conversation.item.create':
        this.createItem(event);
        return;
      case 'conversation.item.retrieve':
        this.emit({ type: 'conversation.item.retrieved', item: itemForDialect(this.requireItem(event.item_id), this.dialect) });
        return;
      case 'conversation.item.delete': {
        const itemId = this.requireItem(event.item_id).id;
        this.conversation.delete(itemId);
        this.emit({ type: 'conversation.item.deleted', item_id: itemId });
        return;
      }
      case 'conversation.item.truncate':
        this.truncateItem(event);
        return;
      case 'response.create':
        if (this.current.type === 'transcription') throw new ApiError('response_not_available', 'This is a transcription session: it transcribes input audio and creates no responses.');
        // After any audio still being processed, as the client sent it after that audio.
        this.enqueue(() => {
          this.createResponse(event.response);
        }, id);
        return;
      case 'response.cancel': {
        const run = this.response;
        if (!run || !run.active || (event.response_id !== undefined && event.response_id !== run.id)) {
          throw new ApiError('response_cancel_not_active', 'There is no active response to cancel.', 'response_id');
        }
        this.cancelResponse('client_cancelled');
        return;
      }
      case 'output_audio_buffer.clear':
        // WebRTC's playout buffer; over WebSocket the client owns playback. Stop sending, as OpenAI does.
        if (this.response?.active) this.cancelResponse('client_cancelled');
        this.emit({ type: 'output_audio_buffer.cleared', response_id: this.response?.id ?? null });
        return;
      default: {
        const unknown: never = event;
        throw new Error(`unhandled client event ${(unknown as { type: string }).type}`);
      }
    }
  }

  private createItem(event: Extract<ClientEvent, { type: 'conversation.item.create' }>): void {
    const parsed = parseClientItem(event.item);
    // Audio in an item is transcribed, then dropped: the LLM here reads text.
    const audio = parsed.type === 'message' ? parsed.content.flatMap((p, i) => (p.type === 'input_audio' && p.audio !== undefined ? [{ index: i, bytes: base64Bytes(p.audio, `item.content[${i}].audio`) }] : [])) : [];
    const item: Item = parsed.type === 'message' ? { ...parsed, content: parsed.content.map((p) => (p.type === 'input_audio' ? { type: 'input_audio', transcript: p.transcript } : p)) } : parsed;
    const previous = this.conversation.add(item, event.previous_item_id);
    this.emit({ type: 'conversation.item.added', previous_item_id: previous, item: itemForDialect(item, this.dialect) });
    if (audio.length === 0) {
      this.emit({ type: 'conversation.item.done', previous_item_id: previous, item: itemForDialect(item, this.dialect) });
      return;
    }
    // On the step queue, so a response.create sent after this item sees its transcript.
    this.enqueue(async () => {
      for (const a of audio) {
        const outcome = await transcribeItemAudio(a.bytes, this.current, this.services.transcribe);
        if (this.transport.signal.aborted) return;
        if (outcome.ok) {
          this.conversation.setInputTranscript(item.id, a.index, outcome.transcript);
          this.emit({ type: 'conversation.item.input_audio_transcription.completed', item_id: item.id, content_index: a.index, transcript: outcome.transcript, usage: { type: 'duration', seconds: outcome.seconds } });
        } else this.transcriptionFailed(item.id, a.index, outcome.error);
      }
      const done = this.conversation.get(item.id);
      if (done) this.emit({ type: 'conversation.item.done', previous_item_id: previous, item: itemForDialect(done, this.dialect) });
    }, event.event_id);
  }

  private transcriptionFailed(itemId: string, contentIndex: number, err: unknown): void {
    const e = err instanceof ApiError ? err : new ApiError('transcription_failed', 'Transcription failed.', null, { cause: err });
    if (e.status >= 500) this.services.logger.error({ err }, 'live transcription failed');
    this.emit({ type: 'conversation.item.input_audio_transcription.failed', item_id: itemId, content_index: contentIndex, error: { type: e.type, code: e.code, message: e.message, param: e.param } });
  }

  private requireItem(raw: unknown): Readonly<Item> {
    if (typeof raw !== 'string') throw new ApiError('missing_required_parameter', "Missing required parameter 'item_id'.", 'item_id');
    const item = this.conversation.get(raw);
    if (!item) throw new ApiError('item_not_found', `No item with id '${raw}' in the conversation.`, 'item_id');
    return item;
  }

  private truncateItem(event: Extract<ClientEvent, { type: 'conversation.item.truncate' }>): void {
    const item = this.requireItem(event.item_id);
    if (item.type !== 'message' || item.role !== 'assistant') throw new ApiError('invalid_value', 'Only assistant messages with audio can be truncated.', 'item_id');
    const run = this.response?.audioItemId === item.id ? this.response : this.spokenItems.get(item.id);
    if (!run) throw new ApiError('invalid_value', 'This item has no audio to truncate.', 'item_id');
    this.conversation.truncateAudio(item.id, run.truncate(event.audio_end_ms));
    this.emit({ type: 'conversation.item.truncated', item_id: item.id, content_index: event.content_index ?? 0, audio_end_ms: event.audio_end_ms });
  }

  /** A turn closed: the user item joins the conversation, then (once transcribed) maybe a reply. */
  private onCommitted(turn: CommittedTurn): void {
    const item: Item = { id: turn.itemId, object: 'realtime.item', type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_audio', transcript: null }] };
    const previous = this.conversation.add(item);
    this.emit({ type: 'input_audio_buffer.committed', previous_item_id: previous, item_id: item.id });
    this.emit({ type: 'conversation.item.added', previous_item_id: previous, item: itemForDialect(item, this.dialect) });
    void this.finishTurn(turn, previous);
  }

  private async finishTurn(turn: CommittedTurn, previous: string | null): Promise<void> {
    let transcript: string;
    this.transcribing++;
    try {
      transcript = (await turn.transcript).text.trim();
    } catch (err) {
      if (!this.transport.signal.aborted) this.transcriptionFailed(turn.itemId, 0, err);
      return;
    } finally {
      this.transcribing--;
    }
    const transcribedAt = performance.now();
    this.conversation.setInputTranscript(turn.itemId, 0, transcript);
    turn.deltas.complete(transcript);
    const logprobs = this.current.include.length > 0 ? { logprobs: null } : {};
    this.emit({ type: 'conversation.item.input_audio_transcription.completed', item_id: turn.itemId, content_index: 0, transcript, usage: { type: 'duration', seconds: Math.round(turn.seconds() * 100) / 100 }, ...logprobs });
    const item = this.conversation.get(turn.itemId);
    if (item) this.emit({ type: 'conversation.item.done', previous_item_id: previous, item: itemForDialect(item, this.dialect) });
    // Captions run for hours: a transcription session's turns are not kept once delivered.
    if (this.current.type === 'transcription') this.conversation.delete(turn.itemId);
    if (!turn.autoRespond || this.current.type === 'transcription' || this.transport.signal.aborted) return;
    // A reply still running (interrupt_response off, or one the client asked for) finishes first.
    while (this.response?.active) await this.response.done;
    if (this.transport.signal.aborted) return;
    const run = this.createResponse(undefined);
    void run.done.then(() => reportTurnTiming(this.current.id, turn, transcribedAt, run));
  }

  private cancelResponse(reason: CancelReason): void {
    const run = this.response;
    if (!run || !run.active) return;
    const itemId = run.audioItemId;
    const played = run.playedMs();
    run.cancel(reason);
    if (itemId && reason === 'turn_detected') {
      this.conversation.truncateAudio(itemId, run.truncate(played));
      this.emit({ type: 'conversation.item.truncated', item_id: itemId, content_index: 0, audio_end_ms: played });
    }
  }

  /** Starts a response from the conversation (or the request's own `input`), with per-response overrides. */
  private createResponse(raw: unknown): ResponseRun {
    if (this.response?.active) {
      throw new ApiError('conversation_already_has_active_response', `Conversation already has an active response in progress: ${this.response.id}. Wait until the response is finished before creating a new one.`);
    }
    const req = resolveResponseRequest(raw, this.current, this.conversation, {
      checkVoice: this.services.checkVoice,
      requireItem: (id) => this.requireItem(id),
      maxHistoryChars: this.opts.maxHistoryChars ?? MAX_HISTORY_CHARS,
    });
    const cfg = req.config;
    const run = new ResponseRun(
      {
        responder: this.services.responder,
        synthesize: (text, continuation, signal) => this.services.synthesize(text, cfg.voice, cfg.speed, continuation, signal),
        send: (ev) => this.emit(ev),
        drained: () => this.transport.drained(),
        conversation: this.conversation,
        dialect: this.dialect,
        onInternalError: (err) => this.services.logger.error({ err }, 'realtime response failed'),
      },
      { messages: req.messages, tools: req.tools, modalities: cfg.outputModalities, encoder: new OutputEncoder(cfg.outputFormat), voice: cfg.voice, inConversation: req.inConversation, metadata: req.metadata, maxOutputTokens: cfg.maxOutputTokens },
      this.transport.signal,
    );
    this.response = run;
    if (cfg.outputModalities.includes('audio')) this.spokeOnce = true;
    void run.done.then(() => {
      const itemId = run.audioItemId;
      if (itemId) this.spokenItems.set(itemId, run);
      if (this.spokenItems.size > MAX_SPOKEN_ITEMS) this.spokenItems.delete(this.spokenItems.keys().next().value!);
    });
    return run;
  }

  /** Whether session events go out as `transcription_session.*` (beta's transcription sessions). */
  private transcriptionNames = (): boolean => this.current.type === 'transcription' && (this.dialect === 'beta' || this.usedTranscriptionUpdate);

  private dispose(): void {
    this.response?.cancel('client_cancelled');
    this.input.dispose();
  }
}

function backlogFull(): ApiError {
  return new ApiError('input_audio_backlog_full', 'Audio is arriving faster than it can be processed; this append was dropped. Send audio at real-time pace.', 'audio');
}
