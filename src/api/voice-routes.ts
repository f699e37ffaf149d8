/**
 * The voice-identity endpoints (docs/voice-identity.md): stored voices (voice-embed.ts) and,
 * sharing them, conversion, cloning, speech-to-speech and speech translation. One entry for
 * src/app.ts; the voice store is `ctx.voices` (the node's SQLite, or Postgres in cluster mode).
 */
import { join } from 'node:path';
import type { Router } from '../http/router.js';
import { S3VoiceAudioStore } from '../voice/s3-voice-audio-store.js';
import { VoiceAudioStore, type VoiceAudio } from '../voice/voice-audio-store.js';
import { BuiltinVoiceStats } from '../voice/builtin-voice-stats.js';
import type { ApiContext } from './context.js';
import { registerSpeechToSpeechRoutes } from './speech-to-speech.js';
import { registerSpeechTranslateRoutes } from './speech-translate.js';
import { registerTtsCloneRoutes } from './tts-clone.js';
import { registerVoiceConvertRoutes } from './voice-convert.js';
import { registerVoiceEmbedRoutes } from './voice-embed.js';
import type { VoiceContext } from './voice-upload.js';

export function registerVoiceRoutes(router: Router, ctx: ApiContext): void {
  const vctx: VoiceContext = { ...ctx, voiceAudio: voiceAudioFor(ctx), builtins: new BuiltinVoiceStats(ctx.tts, ctx.pool) };
  registerVoiceEmbedRoutes(router, vctx);
  registerVoiceConvertRoutes(router, vctx);
  registerSpeechToSpeechRoutes(router, vctx);
  registerSpeechTranslateRoutes(router, vctx);
  registerTtsCloneRoutes(router, vctx);
}

/** Stored voices' audio: in the cluster's bucket when results go to S3, so every node has it; else on disk. */
function voiceAudioFor(ctx: ApiContext): VoiceAudio {
  const s3 = ctx.config.cluster.s3;
  return s3 ? new S3VoiceAudioStore(s3) : new VoiceAudioStore(join(ctx.config.dataDir, 'voices'));
}
