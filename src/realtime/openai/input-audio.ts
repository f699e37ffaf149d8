/**
 * A Realtime session's audio input: decoding appends, the uncommitted buffer, server VAD and the
 * open turn, whose audio goes to the recognizer while the user is still speaking. When the
 * silence window closes (or the turn reaches its maximum length, or the client commits), the
 * turn is handed to the session, which adds the user item and answers it.
 *
 * Its methods are the steps of the session's `StepQueue`: called one at a time, in order.
 */
import { StreamResampler } from '../../audio/resample.js';
import type { SileroVad } from '../../engines/vad/silero-vad.js';
import type { TurnEvent } from '../../engines/vad/turn-detector.js';
import { VoiceActivity } from '../../engines/vad/voice-activity.js';
import { ApiError } from '../../errors.js';
import type { LivePartial } from '../../stt/live-partial.js';
import type { Transcript } from '../../stt/transcript.js';
import { InputDecoder, SESSION_RATE_HZ } from './audio-io.js';
import { INPUT_RATE_HZ, InputBuffer, LiveFeed } from './input-buffer.js';
import { newId } from './protocol.js';
import type { ServerEvent } from './server-events.js';
import type { LiveTurnRequest } from './services.js';
import type { SessionConfig } from './session-config.js';
import { TranscriptionDeltas } from './transcription-deltas.js';

/** OpenAI refuses commits of less audio than this. */
const MIN_COMMIT_MS = 100;
/** Uncommitted audio kept without a turn (manual mode); beyond it appends are refused. */
const MAX_BUFFER_MS = 15 * 60 * 1000;
/** Audio kept before a turn beyond its prefix padding: the VAD reports an onset a frame or two late. */
const ONSET_SLACK_MS = 500;

/** A closed turn on its way to the conversation. */
export interface CommittedTurn {
  itemId: string;
  transcript: Promise<Transcript>;
  /** The turn's transcription deltas, to be completed with its transcript. */
  deltas: TranscriptionDeltas;
  /** Seconds of audio in the turn, for the transcription's usage. */
  seconds(): number;
  /** Whether the session should answer it on its own (server VAD's `create_response`). */
  autoRespond: boolean;
  /** Stage timings: when the append that closed it arrived, and when the turn was closed. */
  receivedAt: number;
  stoppedAt: number;
}

export interface InputHost {
  config(): SessionConfig;
  transcribe(audio: AsyncIterable<Int16Array>, turn: LiveTurnRequest, signal: AbortSignal): Promise<Transcript>;
  vad(): Promise<SileroVad>;
  /** The length of each appended piece of audio, as received. */
  heard(seconds: number): void;
  emit(event: ServerEvent): void;
  /** The VAD heard speech begin: the moment to interrupt a reply. */
  speechStarted(): void;
  /** A turn closed: it becomes a user item. */
  committed(turn: CommittedTurn): void;
  /** A turn's running hypothesis changed (hosts that show it whole, as `/v1/stt/ws`). */
  partial?(itemId: string, partial: LivePartial): void;
}

interface OpenTurn {
  itemId: string;
  /** Session time (ms) where the turn's audio starts. */
  startMs: number;
  feed: LiveFeed;
  transcript: Promise<Transcript>;
  deltas: TranscriptionDeltas;
}

export class InputAudio {
  private readonly buffer = new InputBuffer();
  private decoder: InputDecoder | null = null;
  private vad: VoiceActivity | null = null;
  /** Session time (ms) at which the current VAD's own clock started: it restarts on reconfiguration. */
  private vadOffsetMs = 0;
  /** Input to 16 kHz, once, for the buffer, the VAD and the recognizer. */
  private readonly narrow = new StreamResampler(SESSION_RATE_HZ, INPUT_RATE_HZ);
  private turn: OpenTurn | null = null;
  /** Committed turns whose transcript has not come yet (their partials are still sent). */
  private readonly committing = new Set<string>();
  /** When the append being processed arrived, for stage timings. */
  private appendReceivedAt = 0;

  constructor(
    private readonly host: InputHost,
    /** With server VAD, a turn this long is committed though the speaker has not paused. */
    private readonly maxTurnMs: number,
  ) {}

  /** (Re)builds the input decoder and the VAD after a format or turn-detection change. */
  async configure(): Promise<void> {
    const c = this.host.config();
    if (!this.decoder || this.decoder.format !== c.inputFormat) {
      this.decoder?.free();
      this.decoder = await InputDecoder.create(c.inputFormat);
    }
    this.dropTurn();
    const td = c.turnDetection;
    this.vadOffsetMs = this.buffer.endMs;
    this.vad = td
      ? new VoiceActivity(await this.host.vad(), { inputSampleRateHz: 16_000, threshold: td.threshold, prefixPaddingMs: td.prefixPaddingMs, silenceDurationMs: td.silenceDurationMs })
      : null;
  }

  async append(bytes: Uint8Array, receivedAt: number): Promise<void> {
    const pcm = this.narrow.process(this.decoder!.decode(bytes));
    this.host.heard(pcm.length / INPUT_RATE_HZ);
    if (!this.vad && this.buffer.bufferedMs + pcm.length / (INPUT_RATE_HZ / 1000) > MAX_BUFFER_MS) {
      throw new ApiError('input_audio_buffer_full', 'The input audio buffer holds 15 minutes; commit or clear it before appending more.', 'audio');
    }
    // Manual commits in a transcription session: the turn is recognized (and deltas flow) as it is
    // appended, not from the commit. Voice sessions wait for the commit, so a push-to-talk client
    // streaming silence holds no decoder.
    if (!this.vad && !this.turn && this.host.config().type === 'transcription') this.openTurn(newId('item'), this.buffer.endMs);
    this.buffer.append(pcm);
    this.turn?.feed.push(pcm);
    if (!this.vad) return;
    this.appendReceivedAt = receivedAt;
    for await (const ev of this.vad.push(pcm)) this.onTurnEvent(ev);
    const turn = this.turn;
    if (turn && this.buffer.endMs - turn.startMs >= this.maxTurnMs) this.cutTurn(turn);
    if (!this.turn) this.buffer.trimTo((this.host.config().turnDetection?.prefixPaddingMs ?? 0) + ONSET_SLACK_MS);
  }

  /** Whether a turn is open (speech heard and not yet committed). */
  get turnOpen(): boolean {
    return this.turn !== null;
  }

  /** `input_audio_buffer.commit`. */
  commit(): void {
    if (this.buffer.bufferedMs < MIN_COMMIT_MS) {
      throw new ApiError('input_audio_buffer_commit_empty', `Error committing input audio buffer: buffer too small. Expected at least ${MIN_COMMIT_MS}ms of audio, but buffer only has ${this.buffer.bufferedMs.toFixed(2)}ms of audio.`);
    }
    const turn = this.turn ?? this.openTurn(newId('item'), this.buffer.endMs - this.buffer.bufferedMs);
    // A manual commit answers only when asked (response.create), as OpenAI's does with VAD off.
    this.commitTurn(turn, performance.now(), false);
  }

  /** `input_audio_buffer.clear`. */
  clear(): void {
    this.dropTurn();
    this.buffer.clear();
    this.resetVad();
    this.host.emit({ type: 'input_audio_buffer.cleared' });
  }

  dispose(): void {
    this.dropTurn();
    this.decoder?.free();
    this.decoder = null;
  }

  private onTurnEvent(ev: TurnEvent): void {
    if (ev.type === 'speech_started') {
      const itemId = newId('item');
      const startMs = this.vadOffsetMs + ev.audioStartMs;
      this.host.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: Math.round(startMs), item_id: itemId });
      this.host.speechStarted();
      this.openTurn(itemId, startMs);
      return;
    }
    const turn = this.turn;
    if (!turn) return;
    this.host.emit({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: Math.round(this.vadOffsetMs + ev.audioEndMs), item_id: turn.itemId });
    this.commitTurn(turn, performance.now());
  }

  /**
   * The turn reached its maximum length: it is committed as if the speaker had paused, and the
   * VAD starts over, so speech that goes on opens a new turn.
   */
  private cutTurn(turn: OpenTurn): void {
    const endMs = Math.round(this.buffer.endMs);
    this.host.emit({ type: 'input_audio_buffer.turn_limit_reached', item_id: turn.itemId, audio_end_ms: endMs, max_turn_ms: this.maxTurnMs });
    this.host.emit({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: endMs, item_id: turn.itemId });
    this.commitTurn(turn, performance.now());
    this.resetVad();
  }

  private resetVad(): void {
    if (!this.vad) return;
    this.vad.reset();
    this.vadOffsetMs = this.buffer.endMs;
  }

  private openTurn(itemId: string, startMs: number): OpenTurn {
    this.dropTurn();
    const feed = new LiveFeed();
    const config = this.host.config();
    const language = config.transcription?.language ?? 'en';
    const deltas = new TranscriptionDeltas(itemId, (event) => this.host.emit(event), config.include.includes('item.input_audio_transcription.logprobs'));
    // Partials of a dropped turn are nobody's: its deltas stop with it.
    const onPartial = (partial: LivePartial): void => {
      if (this.turn?.itemId !== itemId && !this.committing.has(itemId)) return;
      deltas.partial(partial);
      this.host.partial?.(itemId, partial);
    };
    // Never aborted: aborting a running pool task terminates its worker (and the recognizer it
    // loaded). A dropped turn's feed is ended instead, and the worker finishes the little it has.
    const transcript = this.host.transcribe(feed, { language, model: config.transcription?.model, prompt: config.transcription?.prompt, onPartial }, new AbortController().signal);
    transcript.catch(() => {}); // awaited at commit; a dropped turn's failure is nobody's
    feed.push(this.buffer.from(startMs));
    this.turn = { itemId, startMs, feed, transcript, deltas };
    return this.turn;
  }

  private dropTurn(): void {
    if (!this.turn) return;
    this.turn.feed.end();
    this.turn = null;
  }

  private commitTurn(turn: OpenTurn, stoppedAt: number, autoRespond = this.host.config().turnDetection?.createResponse ?? false): void {
    this.turn = null;
    turn.feed.end();
    this.buffer.clear();
    // The tail's partials still count until the transcript is in.
    this.committing.add(turn.itemId);
    void turn.transcript.finally(() => this.committing.delete(turn.itemId)).catch(() => {});
    this.host.committed({ itemId: turn.itemId, transcript: turn.transcript, deltas: turn.deltas, seconds: () => turn.feed.seconds, autoRespond, receivedAt: this.appendReceivedAt, stoppedAt });
  }
}
