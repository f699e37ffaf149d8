/** `GET /v1/tts/ws`: input-streaming TTS over WebSocket (being built). */
import type { HttpServer } from '../http/server.js';
import type { ApiContext } from './context.js';

export function registerTtsWsRoute(_http: HttpServer, _ctx: ApiContext): void {}
