/**
 * One voice-chat turn: what the user said (typed, or transcribed), the model's reply to the
 * whole conversation spoken sentence by sentence as it streams in, and the turn stored. Every step gets the request's
 * signal, and nothing is stored until all of them have succeeded, so a failed or abandoned
 * turn leaves the conversation as it was.
 */
import { ApiError } from '../errors.js';
import { recentHistory } from '../llm/history.js';
import type { ChatMessage, Responder } from '../llm/types.js';
import type { SttFileAudio, SttService } from '../stt/service.js';
import type { TtsService } from '../tts/service.js';
import { newConversationId, type ConversationStore, type StoredConversation } from './conversation-store.js';
import type { ReplyAudio, ReplyAudioRenderer, ReplyVoice } from './reply-audio.js';
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
  const conversation = req.conversationId === undefined ? undefined : await findConversation(deps.conversations, req.conversationId);
  const voice = replyVoice(deps, req);
  const userText = await userTextOf(deps.stt, req.input, signal);
  // A prompt sent with a continued conversation replaces the stored one from this turn on.
  const systemPrompt = req.systemPrompt !== undefined ? req.systemPrompt : (conversation?.systemPrompt ?? null);
  const messages: ChatMessage[] = [
    ...(systemPrompt ? [{ role: 'system' as const, content: systemPrompt }] : []),
    ...(conversation ? recentHistory(conversation.messages).map((m) => ({ role: m.role, content: m.content })) : []),
    { role: 'user', content: userText },
  ];
  // No tools are offered, so a tool call (which a model may still send) is ignored.
  const { text: aiText, audio } = await deps.audio.speak((s) => deps.responder.reply(messages, { signal: s }), voice, clientIp, signal);
  const conversationId = conversation?.id ?? newConversationId();
  await deps.conversations.saveTurn({ conversationId, systemPrompt: req.systemPrompt, userText, assistantText: aiText });
  return { conversationId, userText, aiText, audio };
}

async function findConversation(store: ConversationStore, id: string): Promise<StoredConversation> {
  const found = await store.get(id);
  if (!found) throw new ApiError('conversation_not_found', `No conversation with id ${JSON.stringify(id.slice(0, 64))}; omit 'conversation_id' to start one`, 'conversation_id');
  return found;
}

/**
 * API.md names `af_bella` on `kokoro` as the defaults, but Kokoro is an optional download, so
 * a request that names neither voice nor model gets the server's defaults (as `/v1/tts/`
 * does), which are Kokoro's `af_bella` when Kokoro is installed (see tts/defaults.ts). A model
 * or voice the client does name is resolved strictly: one that is not installed is the usual
 * 424, not a silent substitute.
 */
function replyVoice(deps: TurnDeps, req: VoiceChatRequest): ReplyVoice {
  try {
    const r = deps.tts.resolve({ model: req.ttsModel, voice: req.voice });
    return { model: r.model, voice: r.voice.id, language: r.voice.language.toLowerCase() };
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
  if (!text) throw new ApiError('no_speech', "No speech was recognized in 'audio'", 'audio');
  return text;
}

function renameParam(err: unknown, from: string, to: string): unknown {
  if (!(err instanceof ApiError) || err.param !== from) return err;
  return new ApiError(err.code, err.message, to, { cause: err.cause, headers: err.headers });
}
