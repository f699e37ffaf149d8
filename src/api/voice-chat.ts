/**
 * `POST /v1/voice-chat/`: one turn of a spoken conversation. Thin: read the body, run the
 * turn (src/voice-chat/turn.ts), shape the response.
 */
import type { Router } from '../http/router.js';
import { SqliteConversationStore } from '../voice-chat/conversation-store.js';
import { ReplyAudioRenderer } from '../voice-chat/reply-audio.js';
import { runTurn, type TurnDeps } from '../voice-chat/turn.js';
import { baseUrl, requestLogger, type ApiContext } from './context.js';
import { readVoiceChatRequest } from './voice-chat-request.js';

/** API.md pricing: voice chat costs 3 credits a turn, whatever its length. */
const CREDITS_PER_TURN = 3;

export function registerVoiceChatRoutes(router: Router, ctx: ApiContext): void {
  const deps: TurnDeps = {
    stt: ctx.stt,
    responder: ctx.responder,
    conversations: new SqliteConversationStore(ctx.db),
    audio: new ReplyAudioRenderer({
      tts: ctx.tts,
      jobs: ctx.jobs,
      results: ctx.results,
      resultTtlMs: ctx.config.resultTtlSeconds * 1000,
    }),
    tts: ctx.tts,
  };
  const limits = {
    maxTextChars: ctx.tts.limits.maxTextChars,
    maxJsonBodyBytes: ctx.config.maxJsonBodyBytes,
    maxUploadBytes: ctx.config.maxUploadBytes,
  };

  router.post('/v1/voice-chat', async (ex) => {
    const req = await readVoiceChatRequest(ex, limits, { uploads: ctx.uploads, checkSttCapacity: () => ctx.stt.checkCapacity() });
    const started = performance.now();
    const turn = await runTurn(deps, req, ex.remoteIp, ex.signal);
    requestLogger(ctx, ex).info(
      { conversationId: turn.conversationId, input: req.input.kind, ms: Math.round(performance.now() - started), audioSec: turn.audio.durationSec },
      'voice chat turn',
    );
    ex.json(200, {
      conversation_id: turn.conversationId,
      user_text: turn.userText,
      ai_text: turn.aiText,
      audio_url: `${baseUrl(ctx, ex)}/static/downloads/${turn.audio.uuid}/output.${turn.audio.format}`,
      credits_used: CREDITS_PER_TURN,
      // Accounts and balances come with the accounts issue; until then there is no balance to report.
      credits_remaining: null,
    });
  });
}
