/**
 * `POST /v1/voice-chat/`: one turn of a spoken conversation. Thin: read the body, run the
 * turn (src/voice-chat/turn.ts), shape the response.
 */
import { resultFileUrl } from './download-url.js';
import { VOICE_CHAT_CREDITS_PER_TURN } from '../accounts/billing.js';
import type { Router } from '../http/router.js';
import { ReplyAudioRenderer } from '../voice-chat/reply-audio.js';
import { runTurn, type TurnDeps } from '../voice-chat/turn.js';
import { callerOf, checkOwner, claim } from './access.js';
import { baseUrl, requestLogger, type ApiContext } from './context.js';
import { readVoiceChatRequest } from './voice-chat-request.js';

export function registerVoiceChatRoutes(router: Router, ctx: ApiContext): void {
  const deps: TurnDeps = {
    stt: ctx.stt,
    responder: ctx.responder,
    conversations: ctx.conversations,
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
    const caller = callerOf(ex);
    if (req.conversationId !== undefined) {
      // Another account's conversation does not exist, as far as this caller can tell.
      await checkOwner(ctx.accounts, caller, 'conversation', req.conversationId, 'conversation_not_found', `No conversation with id ${JSON.stringify(req.conversationId.slice(0, 64))}; omit 'conversation_id' to start one`, 'conversation_id');
    }
    const charge = await ctx.accounts.billing.reserve(caller, { credits: VOICE_CHAT_CREDITS_PER_TURN, chars: 0, note: 'voice chat turn', service: 'voice_chat' });
    const started = performance.now();
    let turn: Awaited<ReturnType<typeof runTurn>>;
    try {
      turn = await runTurn(deps, req, ex.remoteIp, ex.signal);
    } catch (err) {
      void charge.refund(ex.aborted ? 'cancelled by the client' : 'voice chat turn failed');
      throw err;
    }
    const creditsRemaining = await charge.commit();
    await claim(ctx.accounts, caller, 'conversation', turn.conversationId);
    requestLogger(ctx, ex).info(
      { conversationId: turn.conversationId, input: req.input.kind, ms: Math.round(performance.now() - started), audioSec: turn.audio.durationSec },
      'voice chat turn',
    );
    ex.json(200, {
      conversation_id: turn.conversationId,
      user_text: turn.userText,
      ai_text: turn.aiText,
      audio_url: await resultFileUrl(ctx, baseUrl(ctx, ex), turn.audio.uuid, `output.${turn.audio.format}`, (await ctx.jobs.get(turn.audio.uuid))?.expiresAt ?? null),
      credits_used: charge.creditsUsed,
      credits_remaining: creditsRemaining,
    });
  });
}
