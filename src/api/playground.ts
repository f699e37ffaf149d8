/**
 * The playground: `GET /` and `GET /playground/<file>`, static files from the repository's
 * `public/` folder (plain ES modules and CSS, no build step). The folder is found by walking up
 * from this module, so the same code serves it from `src/api/` (tsx) and `dist/src/api/` (built).
 * The CSP lets the page load and connect to this server only: it makes no outside request.
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiError } from '../errors.js';
import type { HttpExchange } from '../http/exchange.js';
import type { Router } from '../http/router.js';
import { sendFile } from '../http/static-file.js';

/** Where the page's assets live, under this server's origin. */
export const PLAYGROUND_ASSETS_PATH = '/playground';

/** The types the folder holds; a name with another extension (or a path) is a 404. */
const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  html: 'text/html; charset=utf-8',
};
const FILE_NAME = /^[a-z0-9-]+\.(js|css|html)$/;

/**
 * Same origin only: scripts, styles, the audio worklet, fetch and the realtime WebSocket
 * (`connect-src 'self'` covers ws:/wss: to this host), and blob: for the download link.
 */
export const PLAYGROUND_CSP = "default-src 'self'; connect-src 'self'; media-src 'self' blob:; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/** The files change with the server's version; revalidating each load keeps an upgrade visible. */
const CACHE = 'no-cache';

/** How far up from this module the repository root can be (`dist/src/api/` is three levels). */
const MAX_LEVELS_UP = 4;

let folder: string | undefined;

/** The `public/` folder beside `src/` (or beside `dist/`), found once. */
function publicDir(): string {
  if (folder) return folder;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i <= MAX_LEVELS_UP; i++) {
    const candidate = join(dir, 'public');
    if (existsSync(join(candidate, 'index.html'))) return (folder = candidate);
    dir = dirname(dir);
  }
  throw new Error('The playground folder public/ was not found above ' + dirname(fileURLToPath(import.meta.url)));
}

async function sendPublic(ex: HttpExchange, file: string): Promise<void> {
  const m = FILE_NAME.exec(file);
  if (!m) throw new ApiError('not_found', `No playground file '${file}'`);
  const path = join(publicDir(), file);
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) throw new ApiError('not_found', `No playground file '${file}'`);
  await sendFile(ex, path, info.size, { 'Content-Type': TYPES[m[1]!]!, 'Cache-Control': CACHE, 'Content-Security-Policy': PLAYGROUND_CSP, 'X-Content-Type-Options': 'nosniff' });
}

/** `GET /` (the page) and `GET /playground/:file` (its scripts and styles). */
export function registerPlaygroundRoutes(router: Router): void {
  router.get('/', (ex) => sendPublic(ex, 'index.html'));
  router.get(`${PLAYGROUND_ASSETS_PATH}/:file`, (ex) => sendPublic(ex, ex.params.file ?? ''));
}
