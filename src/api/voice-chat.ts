/** `POST /v1/voice-chat/` (being built). */
import type { Router } from '../http/router.js';
import type { ApiContext } from './context.js';

export function registerVoiceChatRoutes(_router: Router, _ctx: ApiContext): void {}
