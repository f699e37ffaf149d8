/**
 * One voice-chat turn: what the user said (typed, or transcribed), the model's reply to the
 * whole conversation, that reply spoken, and the turn stored. Every step gets the request's
 * signal, and nothing is stored until all of them have succeeded, so a failed or abandoned
 * turn leaves the conversation as it was.
 */
import { ApiError } from '../errors.js';
import type { ChatMessage, Responder } from '../llm/types.js';
import type { SttFileAudio, SttService } from '../stt/service.js';
import type { TtsService } from '../tts/service.js';
import { newConversationId, type Conversation, type ConversationStore } from './conversation-store.js';
import type { ReplyAudio, ReplyAudioRenderer } from './reply-audio.js';
import type { UserInput, VoiceChatRequest } from './turn-request.js';

export interface TurnDeps {
  stt: SttService;
  responder: Responder;
  conversations: ConversationStore;
  audio: ReplyAudioRenderer;
  tts: TtsService;
}

export interface TurnResult {
  conversationId: string;
  userText: string;
  aiText: string;
  audio: ReplyAudio;
}

export async function runTurn(deps: TurnDeps, req: VoiceChatRequest, clientIp: string, signal: AbortSignal): Promise<TurnResult> {
  // The cheap checks come first, so a bad id or voice costs no transcription or LLM call.
  const conversation = req.conversationId === undefined ? undefined : findConversation(deps.conversations, req.conversationId);
  const { model, voice } = replyVoice(deps, req);
  const userText = await userTextOf(deps.stt, req.input, signal);
  // A prompt sent with a continued conversation replaces the stored one from this turn on.
  const systemPrompt = req.systemPrompt !== undefined ? req.systemPrompt : (conversation?.systemPrompt ?? null);
  const messages: ChatMessage[] = [
    ...(systemPrompt ? [{ role: 'system' as const, content: systemPrompt }] : []),
    ...(conversation ? recentHistory(deps.conversations.messages(conversation.id)).map((m) => ({ role: m.role, content: m.content })) : []),
    { role: 'user', content: userText },
  ];
  const aiText = await replyText(deps.responder, messages, signal);
  const audio = await deps.audio.speak(aiText, model, voice, clientIp, signal);
  const conversationId = conversation?.id ?? newConversationId();
  deps.conversations.saveTurn({ conversationId, systemPrompt: req.systemPrompt, userText, assistantText: aiText });
  return { conversationId, userText, aiText, audio };
}

/**
 * History sent to the LLM: the most recent messages up to about 8k tokens (4 characters each),
 * whole turns only, so a long conversation neither overflows a model's context nor grows the
 * cost of every turn without end. All of it stays stored.
 */
export const MAX_HISTORY_CHARS = 32_000;

export function recentHistory<M extends { role: string; content: string }>(messages: readonly M[], maxChars = MAX_HISTORY_CHARS): M[] {
  let chars = 0;
  let from = messages.length;
  while (from > 0) {
    const next = chars + messages[from - 1]!.content.length;
    if (next > maxChars) break;
    chars = next;
    from--;
  }
  // Start on a user message, so the history never opens with a reply to something cut off.
  while (from < messages.length && messages[from]!.role !== 'user') from++;
  return messages.slice(from);
}

function findConversation(store: ConversationStore, id: string): Conversation {
  const found = store.get(id);
  if (!found) throw new ApiError(404, 'conversation_not_found', `No conversation with id ${JSON.stringify(id.slice(0, 64))}; omit 'conversation_id' to start one`, 'conversation_id');
  return found;
}

/**
 * API.md names `af_bella` on `kokoro` as the defaults, but Kokoro is an optional download, so
 * a request that names neither voice nor model gets the server's configured defaults (as
 * `/v1/tts/` does; an operator with Kokoro sets `defaultModel`/`defaultVoice` to match the
 * spec). A model or voice the client does name is resolved strictly: one that is not
 * installed is the usual 424, not a silent substitute.
 */
function replyVoice(deps: TurnDeps, req: VoiceChatRequest): { model: string; voice: string } {
  try {
    const r = deps.tts.resolve({ model: req.ttsModel, voice: req.voice });
    return { model: r.model, voice: r.voice.id };
  } catch (err) {
    // The TTS endpoints call the field `model`; here it is `tts_model`.
    throw renameParam(err, 'model', 'tts_model');
  }
}

async function userTextOf(stt: SttService, input: UserInput, signal: AbortSignal): Promise<string> {
  switch (input.kind) {
    case 'text':
      return input.text.trim();
    case 'audio':
      return transcribe(stt, input.audio, signal);
    default: {
      const never: never = input;
      throw new Error(`unexpected input ${String(never)}`);
    }
  }
}

async function transcribe(stt: SttService, audio: SttFileAudio, signal: AbortSignal): Promise<string> {
  let text: string;
  try {
    const t = await stt.transcribe(audio, { language: 'auto', task: 'transcribe', wordTimestamps: false, diarize: false }, signal);
    text = t.text.trim();
  } catch (err) {
    // The STT service names its upload `file`; here it is `audio`.
    throw renameParam(err, 'file', 'audio');
  }
  if (!text) throw new ApiError(422, 'no_speech', "No speech was recognized in 'audio'", 'audio');
  return text;
}

/** The reply's text. No tools are offered, so a tool call (which a model may still send) is ignored. */
async function replyText(responder: Responder, messages: ChatMessage[], signal: AbortSignal): Promise<string> {
  let text = '';
  for await (const ev of responder.reply(messages, { signal })) {
    switch (ev.type) {
      case 'text.delta':
        text += ev.delta;
        break;
      case 'tool_call':
      case 'done':
        break;
      default: {
        const never: never = ev;
        throw new Error(`unexpected LLM event ${String(never)}`);
      }
    }
  }
  text = text.trim();
  if (!text) throw new ApiError(502, 'llm_empty_reply', 'The language model sent an empty reply');
  return text;
}

function renameParam(err: unknown, from: string, to: string): unknown {
  if (!(err instanceof ApiError) || err.param !== from) return err;
  return new ApiError(err.status, err.code, err.message, to, { cause: err.cause, headers: err.headers });
}
