/** `GET /v1/realtime` (being built). */
import type { HttpServer } from '../http/server.js';
import type { ApiContext } from './context.js';

export function registerRealtimeRoute(_http: HttpServer, _ctx: ApiContext): void {}
