/**
 * One `/v1/realtime` session: the state machine behind the OpenAI Realtime protocol.
 *
 * Audio appends are processed strictly in order on one promise chain (decode, buffer, VAD), so
 * events come out in the order the audio went in. With server VAD, a turn's audio goes to the
 * recognizer while the user is still speaking; when the silence window closes, only the
 * recognizer's tail is left, then the reply starts. User speech during a reply cancels it at once
 * (barge-in) and truncates the assistant item to what had been played.
 */
import type { AudioChunk } from '../audio/pcm.js';
import type { SileroVad } from '../engines/vad/silero-vad.js';
import { VoiceActivity } from '../engines/vad/voice-activity.js';
import type { TurnEvent } from '../engines/vad/turn-detector.js';
import { ApiError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Responder } from '../llm/types.js';
import type { SttTaskResult } from '../workers/stt-task.js';
import { base64Bytes, InputDecoder, OutputEncoder, SESSION_RATE_HZ } from './audio-io.js';
import { Conversation, itemForDialect, parseClientItem, type Item } from './conversation.js';
import { StreamResampler } from '../audio/resample.js';
import { INPUT_RATE_HZ, InputBuffer, LiveFeed } from './input-buffer.js';
import { errorEvent, newId, outgoingName, parseClientEvent, type ClientEvent, type Dialect, type ServerEvent } from './protocol.js';
import { ResponseRun, type CancelReason } from './response-run.js';
import { applySessionUpdate, defaultSessionConfig, sessionObject, type SessionConfig } from './session-config.js';
import { turnTimings } from './telemetry.js';

/** OpenAI refuses commits of less audio than this. */
const MIN_COMMIT_MS = 100;
/** Uncommitted audio kept without a turn (manual mode); beyond it appends are refused. */
const MAX_BUFFER_MS = 15 * 60 * 1000;
/** Audio kept before a turn beyond its prefix padding: the VAD reports an onset a frame or two late. */
const ONSET_SLACK_MS = 500;

export interface RealtimeServices {
  responder: Responder;
  /** Recognizes 16 kHz PCM as it arrives (the worker pool). */
  transcribe(audio: AsyncIterable<Int16Array>, language: string, signal: AbortSignal): Promise<SttTaskResult>;
  /**
   * Speaks one sentence with `voice` at 24 kHz; throws ApiError for an unusable voice.
   * `continuation`: a later sentence of a reply already speaking (no queue jumping).
   */
  synthesize(text: string, voice: string, speed: number, continuation: boolean, signal: AbortSignal): AsyncIterable<AudioChunk>;
  /** Throws the ApiError that explains why `voice` cannot speak (unknown: 400; not installed: 424). */
  checkVoice(voice: string): void;
  vad(): Promise<SileroVad>;
  logger: Logger;
}

export interface SessionTransport {
  send(text: string): void;
  drained(): Promise<void>;
  /** Aborts when the socket closes. */
  signal: AbortSignal;
}

interface OpenTurn {
  itemId: string;
  feed: LiveFeed;
  transcript: Promise<SttTaskResult>;
  /** Set when the turn was dropped (clear, reconfiguration, close): its transcript is ignored. */
  dropped: boolean;
}

export class RealtimeSession {
  private current: SessionConfig;
  private readonly conversation = new Conversation();
  private readonly input = new InputBuffer();
  private decoder: InputDecoder | null = null;
  private vad: VoiceActivity | null = null;
  /** Session time (ms) at which the current VAD's own clock started: it restarts on reconfiguration. */
  private vadOffsetMs = 0;
  /** Input to 16 kHz, once, for the buffer, the VAD and the recognizer. */
  private readonly narrow = new StreamResampler(SESSION_RATE_HZ, INPUT_RATE_HZ);
  private turn: OpenTurn | null = null;
  private response: ResponseRun | null = null;
  /** Finished audio responses by item id, for client truncation after the fact. */
  private readonly spokenItems = new Map<string, ResponseRun>();
  private chain: Promise<void> = Promise.resolve();
  private spokeOnce = false;
  private readonly expiresAt: number;
  /** When the append being processed arrived, for stage timings. */
  private appendReceivedAt = 0;

  constructor(
    private readonly services: RealtimeServices,
    private readonly transport: SessionTransport,
    private readonly dialect: Dialect,
    opts: { model: string; voice: string; maxSessionMs: number },
  ) {
    this.current = defaultSessionConfig(newId('sess'), opts.model, opts.voice);
    this.expiresAt = Math.floor((Date.now() + opts.maxSessionMs) / 1000);
    transport.signal.addEventListener('abort', () => this.dispose(), { once: true });
  }

  get settings(): SessionConfig {
    return this.current;
  }

  start(): void {
    this.emit({ type: 'session.created', session: sessionObject(this.current, this.dialect, this.expiresAt) });
    if (this.dialect === 'beta') this.emit({ type: 'conversation.created', conversation: { id: this.conversation.id, object: 'realtime.conversation' } });
    this.enqueue(() => this.configureInput());
  }

  /** Sends `event` to the client, named for its dialect. */
  private emit(event: ServerEvent): void {
    if (this.transport.signal.aborted) return;
    const type = outgoingName(event.type, this.dialect);
    if (type === null) return;
    this.transport.send(JSON.stringify({ ...event, type, event_id: newId('event') }));
  }

  private fail(err: unknown, clientEventId?: string): void {
    const apiError = err instanceof ApiError ? err : new ApiError(500, 'internal_error', 'The server failed to handle this event.', null, { cause: err });
    if (apiError.status >= 500) this.services.logger.error({ err }, 'realtime event failed');
    this.emit(errorEvent(apiError, clientEventId));
  }

  /** Runs `step` after every earlier audio step, reporting (not throwing) its failure. */
  private enqueue(step: () => Promise<void> | void, clientEventId?: string): void {
    this.chain = this.chain.then(step).catch((err: unknown) => {
      if (!this.transport.signal.aborted) this.fail(err, clientEventId);
    });
  }

  /** One text frame from the client. */
  handleText(text: string): void {
    let event: ClientEvent;
    try {
      event = parseClientEvent(text);
    } catch (err) {
      this.fail(err);
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
    const receivedAt = performance.now();
    this.enqueue(() => this.append(data, receivedAt));
  }

  private dispatch(event: ClientEvent): void {
    const id = event.event_id;
    switch (event.type) {
      case 'session.update': {
        const before = this.current;
        this.current = applySessionUpdate(this.current, event.session, this.services.checkVoice, this.spokeOnce);
        this.emit({ type: 'session.updated', session: sessionObject(this.current, this.dialect, this.expiresAt) });
        const audioChanged = before.inputFormat !== this.current.inputFormat || JSON.stringify(before.turnDetection) !== JSON.stringify(this.current.turnDetection);
        if (audioChanged) this.enqueue(() => this.configureInput(), id);
        return;
      }
      case 'input_audio_buffer.append': {
        const bytes = base64Bytes(event.audio, 'audio');
        const receivedAt = performance.now();
        this.enqueue(() => this.append(bytes, receivedAt), id);
        return;
      }
      case 'input_audio_buffer.commit':
        this.enqueue(() => this.commitManual(), id);
        return;
      case 'input_audio_buffer.clear':
        this.enqueue(() => {
          this.abortTurn();
          this.input.clear();
          this.vad?.reset();
          this.emit({ type: 'input_audio_buffer.cleared' });
        }, id);
        return;
      case 'conversation.item.create': {
        const item = parseClientItem(event.item);
        const audio = item.type === 'message' ? item.content.flatMap((p, i) => (p.type === 'input_audio' && p.audio !== undefined ? [{ part: p, index: i, bytes: base64Bytes(p.audio, `item.content[${i}].audio`) }] : [])) : [];
        for (const a of audio) delete a.part.audio;
        const previous = this.conversation.add(item, event.previous_item_id === undefined ? undefined : (event.previous_item_id as string | null));
        this.emit({ type: 'conversation.item.added', previous_item_id: previous, item: itemForDialect(item, this.dialect) });
        if (audio.length === 0) {
          this.emit({ type: 'conversation.item.done', previous_item_id: previous, item: itemForDialect(item, this.dialect) });
          return;
        }
        // On the event chain, so a response.create sent after this item sees its transcript.
        this.enqueue(async () => {
          for (const a of audio) await this.transcribeItemAudio(item.id, a.part, a.index, a.bytes);
          this.emit({ type: 'conversation.item.done', previous_item_id: previous, item: itemForDialect(item, this.dialect) });
        }, id);
        return;
      }
      case 'conversation.item.retrieve': {
        const item = this.requireItem(event.item_id);
        this.emit({ type: 'conversation.item.retrieved', item: itemForDialect(item, this.dialect) });
        return;
      }
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
        // After any audio still being processed, as the client sent it after that audio.
        this.enqueue(() => {
          this.createResponse(event.response);
        }, id);
        return;
      case 'response.cancel': {
        const run = this.response;
        if (!run || !run.active || (typeof event.response_id === 'string' && event.response_id !== run.id)) {
          throw new ApiError(400, 'response_cancel_not_active', 'There is no active response to cancel.', 'response_id');
        }
        this.cancelResponse('client_cancelled');
        return;
      }
      case 'output_audio_buffer.clear':
        // WebRTC's playout buffer; over WebSocket the client owns playback. Stop sending, as OpenAI does.
        if (this.response?.active) this.cancelResponse('client_cancelled');
        this.emit({ type: 'output_audio_buffer.cleared', response_id: this.response?.id ?? null });
        return;
      default:
        throw new ApiError(400, 'unknown_event', `Unknown client event type '${event.type}'.`, 'type');
    }
  }

  /** Transcribes audio a client put in a conversation item (in the session's input format). */
  private async transcribeItemAudio(itemId: string, part: { transcript: string | null }, contentIndex: number, bytes: Uint8Array): Promise<void> {
    const decoder = await InputDecoder.create(this.current.inputFormat);
    const feed = new LiveFeed();
    try {
      const narrow = new StreamResampler(SESSION_RATE_HZ, INPUT_RATE_HZ);
      feed.push(narrow.process(decoder.decode(bytes)));
      feed.push(narrow.flush());
    } finally {
      decoder.free();
      feed.end();
    }
    try {
      // Not aborted on close: the feed has ended, and aborting a running task terminates its worker.
      const result = await this.services.transcribe(feed, this.current.transcription?.language ?? 'en', new AbortController().signal);
      part.transcript = result.text.trim();
      this.emit({ type: 'conversation.item.input_audio_transcription.completed', item_id: itemId, content_index: contentIndex, transcript: part.transcript, usage: { type: 'duration', seconds: Math.round(feed.seconds * 100) / 100 } });
    } catch (err) {
      if (!this.transport.signal.aborted) this.transcriptionFailed(itemId, contentIndex, err);
    }
  }

  private transcriptionFailed(itemId: string, contentIndex: number, err: unknown): void {
    const e = err instanceof ApiError ? err : new ApiError(500, 'transcription_failed', 'Transcription failed.', null, { cause: err });
    if (e.status >= 500) this.services.logger.error({ err }, 'live transcription failed');
    this.emit({ type: 'conversation.item.input_audio_transcription.failed', item_id: itemId, content_index: contentIndex, error: { type: e.type, code: e.code, message: e.message, param: e.param } });
  }

  private requireItem(raw: unknown): Item {
    if (typeof raw !== 'string') throw new ApiError(400, 'missing_required_parameter', "Missing required parameter 'item_id'.", 'item_id');
    const item = this.conversation.get(raw);
    if (!item) throw new ApiError(400, 'item_not_found', `No item with id '${raw}' in the conversation.`, 'item_id');
    return item;
  }

  private truncateItem(event: ClientEvent): void {
    const item = this.requireItem(event.item_id);
    const ms = event.audio_end_ms;
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new ApiError(400, 'invalid_value', "'audio_end_ms' must be a number >= 0.", 'audio_end_ms');
    if (item.type !== 'message' || item.role !== 'assistant') throw new ApiError(400, 'invalid_value', 'Only assistant messages with audio can be truncated.', 'item_id');
    const run = this.response?.audioItemId === item.id ? this.response : this.spokenItems.get(item.id);
    if (!run) throw new ApiError(400, 'invalid_value', 'This item has no audio to truncate.', 'item_id');
    const transcript = run.truncate(ms);
    item.content = [{ type: 'output_audio', transcript }];
    this.emit({ type: 'conversation.item.truncated', item_id: item.id, content_index: typeof event.content_index === 'number' ? event.content_index : 0, audio_end_ms: ms });
  }

  /** (Re)builds the input decoder and the VAD after a format or turn-detection change. */
  private async configureInput(): Promise<void> {
    const c = this.current;
    if (!this.decoder || this.decoder.format !== c.inputFormat) {
      this.decoder?.free();
      this.decoder = await InputDecoder.create(c.inputFormat);
    }
    this.abortTurn();
    const td = c.turnDetection;
    this.vadOffsetMs = this.input.endMs;
    this.vad = td
      ? new VoiceActivity(await this.services.vad(), {
          inputSampleRateHz: 16_000,
          threshold: td.threshold,
          prefixPaddingMs: td.prefixPaddingMs,
          silenceDurationMs: td.silenceDurationMs,
        })
      : null;
  }

  private async append(bytes: Uint8Array, receivedAt: number): Promise<void> {
    const pcm = this.narrow.process(this.decoder!.decode(bytes));
    if (!this.vad && this.input.bufferedMs + pcm.length / (INPUT_RATE_HZ / 1000) > MAX_BUFFER_MS) {
      throw new ApiError(400, 'input_audio_buffer_full', 'The input audio buffer holds 15 minutes; commit or clear it before appending more.', 'audio');
    }
    this.input.append(pcm);
    this.turn?.feed.push(pcm);
    if (!this.vad) return;
    this.appendReceivedAt = receivedAt;
    for await (const ev of this.vad.push(pcm)) this.onTurnEvent(ev);
    if (!this.turn) this.input.trimTo((this.current.turnDetection?.prefixPaddingMs ?? 0) + ONSET_SLACK_MS);
  }

  private onTurnEvent(ev: TurnEvent): void {
    if (ev.type === 'speech_started') {
      const itemId = newId('item');
      const startMs = this.vadOffsetMs + ev.audioStartMs;
      this.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: Math.round(startMs), item_id: itemId });
      if (this.current.turnDetection?.interruptResponse && this.response?.active) this.cancelResponse('turn_detected');
      this.openTurn(itemId, this.input.from(startMs));
      return;
    }
    const turn = this.turn;
    if (!turn) return;
    this.emit({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: Math.round(this.vadOffsetMs + ev.audioEndMs), item_id: turn.itemId });
    this.commitTurn(turn, performance.now());
  }

  private openTurn(itemId: string, audio: Int16Array): void {
    this.abortTurn();
    const feed = new LiveFeed();
    const language = this.current.transcription?.language ?? 'en';
    // Never aborted: aborting a running pool task terminates its worker (and the recognizer it
    // loaded). A dropped turn's feed is ended instead, and the worker finishes the little it has.
    const transcript = this.services.transcribe(feed, language, new AbortController().signal);
    transcript.catch(() => {}); // awaited at commit; a dropped turn's failure is nobody's
    feed.push(audio);
    this.turn = { itemId, feed, transcript, dropped: false };
  }

  private abortTurn(): void {
    if (!this.turn) return;
    this.turn.dropped = true;
    this.turn.feed.end();
    this.turn = null;
  }

  private commitManual(): void {
    if (this.input.bufferedMs < MIN_COMMIT_MS) {
      throw new ApiError(400, 'input_audio_buffer_commit_empty', `Error committing input audio buffer: buffer too small. Expected at least ${MIN_COMMIT_MS}ms of audio, but buffer only has ${this.input.bufferedMs.toFixed(2)}ms of audio.`);
    }
    if (!this.turn) {
      this.openTurn(newId('item'), this.input.from(this.input.endMs - this.input.bufferedMs));
    }
    // A manual commit answers only when asked (response.create), as OpenAI's does with VAD off.
    this.commitTurn(this.turn!, performance.now(), false);
  }

  /** Closes the open turn: adds the user item, waits for its transcript, then (maybe) replies. */
  private commitTurn(turn: OpenTurn, stoppedAt: number, autoRespond = this.current.turnDetection?.createResponse ?? false): void {
    this.turn = null;
    turn.feed.end();
    this.input.clear();
    const item: Extract<Item, { type: 'message' }> = {
      id: turn.itemId,
      object: 'realtime.item',
      type: 'message',
      role: 'user',
      status: 'completed',
      content: [{ type: 'input_audio', transcript: null }],
    };
    const previous = this.conversation.add(item);
    this.emit({ type: 'input_audio_buffer.committed', previous_item_id: previous, item_id: item.id });
    this.emit({ type: 'conversation.item.added', previous_item_id: previous, item: itemForDialect(item, this.dialect) });
    const vadMs = stoppedAt - this.appendReceivedAt;
    const receivedAt = this.appendReceivedAt;
    void this.finishTurn(turn, item, previous, autoRespond, { vadMs, receivedAt, stoppedAt });
  }

  private async finishTurn(
    turn: OpenTurn,
    item: Extract<Item, { type: 'message' }>,
    previous: string | null,
    autoRespond: boolean,
    timing: { vadMs: number; receivedAt: number; stoppedAt: number },
  ): Promise<void> {
    let transcript: string;
    try {
      const result = await turn.transcript;
      transcript = result.text.trim();
    } catch (err) {
      if (!this.transport.signal.aborted && !turn.dropped) this.transcriptionFailed(item.id, 0, err);
      return;
    }
    const transcribedAt = performance.now();
    item.content = [{ type: 'input_audio', transcript }];
    this.emit({
      type: 'conversation.item.input_audio_transcription.completed',
      item_id: item.id,
      content_index: 0,
      transcript,
      usage: { type: 'duration', seconds: Math.round(turn.feed.seconds * 100) / 100 },
    });
    this.emit({ type: 'conversation.item.done', previous_item_id: previous, item: itemForDialect(item, this.dialect) });
    if (!autoRespond || this.transport.signal.aborted) return;
    // A reply still running (interrupt_response off, or one the client asked for) finishes first.
    while (this.response?.active) await this.response.done;
    if (this.transport.signal.aborted) return;
    const run = this.createResponse(undefined);
    void run.done.then(() => {
      if (run.firstSentenceAt === null || run.firstAudioAt === null || turnTimings.listenerCount('turn') === 0) return;
      turnTimings.emit('turn', {
        sessionId: this.current.id,
        vadMs: timing.vadMs,
        sttMs: transcribedAt - timing.stoppedAt,
        llmMs: run.firstSentenceAt - transcribedAt,
        ttsMs: run.firstAudioAt - run.firstSentenceAt,
        totalMs: run.firstAudioAt - timing.receivedAt,
      });
    });
  }

  private cancelResponse(reason: CancelReason): void {
    const run = this.response;
    if (!run || !run.active) return;
    const itemId = run.audioItemId;
    const played = run.playedMs();
    run.cancel(reason);
    if (itemId && reason === 'turn_detected') {
      const transcript = run.truncate(played);
      const item = this.conversation.get(itemId);
      if (item && item.type === 'message') item.content = [{ type: 'output_audio', transcript }];
      this.emit({ type: 'conversation.item.truncated', item_id: itemId, content_index: 0, audio_end_ms: played });
    }
  }

  /** Starts a response from the conversation (or the request's own `input`), with per-response overrides. */
  private createResponse(raw: unknown): ResponseRun {
    if (this.response?.active) {
      throw new ApiError(400, 'conversation_already_has_active_response', `Conversation already has an active response in progress: ${this.response.id}. Wait until the response is finished before creating a new one.`);
    }
    const opts = raw === undefined || raw === null ? {} : raw;
    if (typeof opts !== 'object' || Array.isArray(opts)) throw new ApiError(400, 'invalid_type', "'response' must be an object.", 'response');
    // Per-response settings use the same rules as the session's.
    const r = opts as Record<string, unknown>;
    const overrides: Record<string, unknown> = {};
    for (const key of ['instructions', 'output_modalities', 'modalities', 'tools', 'tool_choice', 'audio', 'voice', 'output_audio_format', 'max_output_tokens', 'max_response_output_tokens', 'temperature']) {
      if (r[key] !== undefined) overrides[key] = r[key];
    }
    const cfg = applySessionUpdate(this.current, overrides, this.services.checkVoice, false);
    if (r.conversation !== undefined && r.conversation !== 'auto' && r.conversation !== 'none') {
      throw new ApiError(400, 'invalid_value', "'response.conversation' must be \"auto\" or \"none\".", 'response.conversation');
    }
    const inConversation = r.conversation !== 'none';
    let messages = this.conversation.toChatMessages(cfg.instructions);
    if (r.input !== undefined) {
      if (!Array.isArray(r.input)) throw new ApiError(400, 'invalid_type', "'response.input' must be an array of items.", 'response.input');
      const own = new Conversation();
      for (const raw of r.input) {
        const ref = raw as Record<string, unknown>;
        // `item_reference` points at an existing conversation item.
        const item = ref?.type === 'item_reference' ? this.requireItem(ref.id) : parseClientItem(raw);
        own.add({ ...item, id: newId('item') });
      }
      messages = own.toChatMessages(cfg.instructions);
    }
    const metadata = r.metadata && typeof r.metadata === 'object' ? (r.metadata as Record<string, string>) : null;
    const tools = cfg.toolChoice === 'none' ? [] : cfg.tools;
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
      { messages, tools, modalities: cfg.outputModalities, encoder: new OutputEncoder(cfg.outputFormat), voice: cfg.voice, inConversation, metadata },
      this.transport.signal,
    );
    this.response = run;
    if (cfg.outputModalities.includes('audio')) this.spokeOnce = true;
    void run.done.then(() => {
      const itemId = run.audioItemId;
      if (itemId) this.spokenItems.set(itemId, run);
      // Only recent items can still be playing; older ones need no truncation.
      if (this.spokenItems.size > 20) this.spokenItems.delete(this.spokenItems.keys().next().value!);
    });
    return run;
  }

  private dispose(): void {
    this.abortTurn();
    this.response?.cancel('client_cancelled');
    this.decoder?.free();
    this.decoder = null;
  }
}
