/**
 * One `/v1/tts/ws` session: text arrives in pieces, each sentence is synthesized as soon as its
 * end is seen, and audio goes out in sentence order while the next sentence is synthesized.
 *
 * Work is a queue of sentences and flush/close marks, spoken by one loop; a cancel is an abort
 * of the current turn's signal plus an emptied queue. Everything hangs on the connection's
 * signal, so a disconnect stops the engines and the encoder with no further work.
 */
import { OUTPUT_SAMPLE_RATE_HZ, type AudioChunk, type WordTiming } from '../audio/pcm.js';
import { ApiError } from '../errors.js';
import type { WebSocketConnection, WebSocketMessage, WebSocketSession } from '../http/websocket.js';
import type { Logger } from '../logger.js';
import { prepareText } from '../text/prepare.js';
import type { TtsService } from '../tts/service.js';
import { synthesizeSpeech } from '../tts/synthesize.js';
import type { LiveSessionLimits, SessionWatch } from './session-limits.js';
import { createOutput, type SessionOutput } from './tts-ws-output.js';
import { errorEvent, parseClientMessage, type ClientMessage, type ServerEvent } from './tts-ws-protocol.js';
import { SentenceReleaser } from './tts-ws-sentences.js';
import { resolveSettings, sessionInfo, type SessionSettings } from './tts-ws-settings.js';

export interface TtsWsDeps {
  tts: TtsService;
  live: LiveSessionLimits;
  logger: Logger;
}

/** A sentence's synthesis, started (perhaps ahead of its turn) with its first chunk requested. */
interface Synthesis {
  chunks: AsyncGenerator<AudioChunk>;
  first: Promise<IteratorResult<AudioChunk>>;
}

type WorkItem =
  /** `synthesis` is null when the sentence turned out to have nothing to speak. */
  | { type: 'sentence'; id: number; text: string; synthesis?: Synthesis | null }
  | { type: 'flush' }
  | { type: 'close' };

function seconds(samples: number): number {
  return Math.round((samples / OUTPUT_SAMPLE_RATE_HZ) * 1000) / 1000;
}

export class TtsWsSession implements WebSocketSession {
  private settings: SessionSettings;
  private readonly log: Logger;
  private readonly watch: SessionWatch;
  private readonly releaser = new SentenceReleaser();
  private readonly work: WorkItem[] = [];
  /** Characters in queued sentences, counted against `limits.maxTextChars` with the unreleased text. */
  private queuedChars = 0;
  private wakeSpeaker: (() => void) | null = null;
  /** Aborted by `cancel` (then replaced) and by the socket closing. */
  private turn = new AbortController();
  private out: SessionOutput | null = null;
  /** True while a sentence is producing audio: the moment to start the next one. */
  private producing = false;
  private closing = false;
  private nextSentenceId = 1;
  private characters = 0;

  constructor(
    private readonly conn: WebSocketConnection,
    private readonly deps: TtsWsDeps,
    settings: SessionSettings,
  ) {
    this.settings = settings;
    this.log = deps.logger.child({ reqId: conn.request.requestId, session: conn.id });
    this.watch = deps.live.watch(conn, (reason, message) => {
      this.sendNow(errorEvent(new ApiError(408, reason === 'idle' ? 'session_idle' : 'session_expired', message)));
    });
    this.sendNow({ type: 'session.created', session: sessionInfo(settings) });
    this.log.info({ model: settings.model, voice: settings.voice.id, format: settings.format }, 'tts ws session opened');
    void this.speak();
  }

  onMessage(message: WebSocketMessage): void {
    this.watch.touch();
    try {
      if (message.kind === 'binary') throw new ApiError(400, 'invalid_message', 'Binary messages are not accepted; send JSON text messages');
      this.handle(parseClientMessage(message.text));
    } catch (err) {
      this.sendNow(errorEvent(this.asApiError(err)));
    }
  }

  onClose(code: number): void {
    this.turn.abort(this.conn.signal.reason);
    this.dropWork();
    this.wake();
    this.log.info({ code, characters: this.characters, audioSec: seconds(this.out?.samples ?? 0) }, 'tts ws session closed');
  }

  private handle(msg: ClientMessage): void {
    if (this.closing) throw new ApiError(400, 'session_closing', 'The session is closing after a "close" message; open a new one');
    switch (msg.type) {
      case 'session.update': {
        if (this.out) throw new ApiError(400, 'session_locked', 'Settings can only change before the first "text", "flush" or "close" message', null);
        const { type: _type, ...changes } = msg;
        this.settings = resolveSettings(this.deps.tts, { ...this.settings.requested, ...changes });
        this.sendNow({ type: 'session.updated', session: sessionInfo(this.settings) });
        return;
      }
      case 'text': {
        const buffered = this.releaser.pendingChars + this.queuedChars + msg.text.length;
        if (buffered > this.deps.tts.limits.maxTextChars) {
          throw new ApiError(400, 'text_buffer_full', `This text would leave ${buffered} characters waiting to be spoken; the limit is ${this.deps.tts.limits.maxTextChars}. Wait for audio before sending more.`, 'text');
        }
        this.output();
        this.enqueueSentences(this.releaser.push(msg.text));
        return;
      }
      case 'flush':
        this.output();
        this.enqueueSentences(this.releaser.flush());
        this.enqueue({ type: 'flush' });
        return;
      case 'close':
        this.output();
        this.closing = true;
        this.enqueueSentences(this.releaser.flush());
        this.enqueue({ type: 'close' });
        return;
      case 'cancel':
        this.cancel();
        return;
      default: {
        const unknown: never = msg;
        throw new Error(`unhandled message ${(unknown as { type: string }).type}`);
      }
    }
  }

  /** The output, created by the first text, flush or close: from then on the settings are fixed. */
  private output(): SessionOutput {
    this.out ??= createOutput(this.settings.format, this.conn, (err) => this.fail(err));
    return this.out;
  }

  private enqueueSentences(sentences: string[]): void {
    for (const text of sentences) {
      this.queuedChars += text.length;
      this.enqueue({ type: 'sentence', id: this.nextSentenceId++, text });
    }
    // The next sentence synthesizes while the current one is sent.
    if (this.producing) this.prefetch();
  }

  private enqueue(item: WorkItem): void {
    this.work.push(item);
    this.wake();
  }

  private wake(): void {
    const wake = this.wakeSpeaker;
    this.wakeSpeaker = null;
    wake?.();
  }

  private cancel(): void {
    this.releaser.clear();
    this.dropWork();
    this.turn.abort(new ApiError(499, 'cancelled', 'Cancelled by the client'));
    this.turn = new AbortController();
    if (!this.out) {
      this.sendNow({ type: 'cancel.done' });
      return;
    }
    this.out.discard();
    this.out.event({ type: 'cancel.done' });
  }

  /** Empties the queue, stopping any synthesis started ahead. */
  private dropWork(): void {
    for (const item of this.work.splice(0)) {
      if (item.type === 'sentence' && item.synthesis) void item.synthesis.chunks.return(undefined).catch(() => {});
    }
    this.queuedChars = 0;
  }

  /** The one loop that speaks the queue in order. */
  private async speak(): Promise<void> {
    try {
      for (let item = await this.next(); item; item = await this.next()) {
        switch (item.type) {
          case 'sentence':
            await this.speakSentence(item);
            break;
          case 'flush':
            await this.out!.settle();
            this.out!.event({ type: 'flush.done' });
            break;
          case 'close': {
            await this.out!.end();
            this.sendNow({ type: 'done', audio_duration_sec: seconds(this.out!.samples), characters: this.characters });
            this.conn.close(1000, 'done');
            return;
          }
          default: {
            const unknown: never = item;
            throw new Error(`unhandled work item ${(unknown as { type: string }).type}`);
          }
        }
      }
    } catch (err) {
      this.fail(err);
    }
  }

  /** The next work item, or null once the socket has closed. */
  private async next(): Promise<WorkItem | null> {
    for (;;) {
      if (this.conn.closed) return null;
      const item = this.work.shift();
      if (item) {
        if (item.type === 'sentence') this.queuedChars -= item.text.length;
        return item;
      }
      // The text paused: let everything spoken so far reach the client before waiting.
      await this.out?.settle();
      if (this.work.length > 0 || this.conn.closed) continue;
      await new Promise<void>((resolve) => (this.wakeSpeaker = resolve));
    }
  }

  private async speakSentence(item: Extract<WorkItem, { type: 'sentence' }>): Promise<void> {
    const turn = this.turn.signal;
    const out = this.out!;
    const synthesis = item.synthesis === undefined ? this.startSynthesis(item, false) : item.synthesis;
    if (!synthesis) return;
    const start = out.samples;
    const words: WordTiming[] = [];
    let done = false;
    out.event({ type: 'sentence.started', sentence_id: item.id, text: item.text });
    try {
      for (let r = await synthesis.first; !r.done; r = await synthesis.chunks.next()) {
        // Started only now, so that it does not compete with this sentence's first piece.
        this.producing = true;
        this.prefetch();
        const offsetSec = start / OUTPUT_SAMPLE_RATE_HZ;
        for (const w of r.value.words ?? []) words.push({ word: w.word, start: round3(w.start + offsetSec), end: round3(w.end + offsetSec) });
        if (r.value.pcm.length > 0) await out.write(r.value.pcm, item.id, turn);
        // A session that is speaking is not idle, though its client may only be listening.
        this.watch.touch();
        if (turn.aborted) return;
      }
      done = true;
    } catch (err) {
      if (turn.aborted) return;
      // One sentence failing (an overloaded engine, say) need not end the session.
      this.sendNow(errorEvent(this.asApiError(err)));
      return;
    } finally {
      this.producing = false;
      if (!done) void synthesis.chunks.return(undefined).catch(() => {});
    }
    this.characters += item.text.length;
    out.event({ type: 'sentence.done', sentence_id: item.id, start: seconds(start), end: seconds(out.samples), words });
  }

  /** Starts the sentence at the head of the queue, if it has not started. */
  private prefetch(): void {
    const head = this.work[0];
    if (head?.type === 'sentence' && head.synthesis === undefined) head.synthesis = this.startSynthesis(head, true);
  }

  /** `continuation`: started while another sentence is speaking, so it need not jump the engines' queue. */
  private startSynthesis(item: Extract<WorkItem, { type: 'sentence' }>, continuation: boolean): Synthesis | null {
    const s = this.settings;
    let pieces: string[];
    try {
      pieces = prepareText(item.text, { language: s.language }).chunks;
    } catch (err) {
      // Punctuation alone ("...") has nothing to speak: skipped, not an error.
      if (!(err instanceof ApiError && err.code === 'empty_text')) this.sendNow(errorEvent(this.asApiError(err)));
      return null;
    }
    const chunks = synthesizeSpeech({ engine: s.engine, voice: s.voice, language: s.language, speed: s.speed, pieces, continuation }, this.turn.signal);
    const first = chunks.next();
    first.catch(() => {}); // surfaced when awaited
    return { chunks, first };
  }

  private sendNow(event: ServerEvent): void {
    this.conn.send(JSON.stringify(event));
  }

  private asApiError(err: unknown): ApiError {
    if (err instanceof ApiError) return err;
    this.log.error({ err }, 'tts ws session error');
    return new ApiError(500, 'internal_error', `Internal server error (request id ${this.conn.request.requestId})`);
  }

  /** Ends the session after a failure it cannot go on from. */
  private fail(err: unknown): void {
    if (this.conn.closed) return;
    this.sendNow(errorEvent(this.asApiError(err)));
    this.conn.close(1011, 'internal error');
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
