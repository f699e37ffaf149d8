/**
 * `GET /docs`: the OpenAPI document rendered by Swagger UI (`swagger-ui-dist`), every file served
 * by this server from node_modules, so the page works offline and sends nothing elsewhere (the
 * spec validator badge, Swagger UI's one outside request, is switched off).
 */
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ApiError } from '../../errors.js';
import type { HttpExchange } from '../../http/exchange.js';
import { sendFile } from '../../http/static-file.js';

/** Where the page finds its assets and the document: same origin, whatever the page's own path. */
const ASSETS_PATH = '/docs/assets';
export const DOCUMENT_PATH = '/openapi.json';

/** The files of swagger-ui-dist the page loads, with their types; nothing else is served. */
const VENDOR_FILES: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

/** Starts Swagger UI on the page; a file, not an inline script, so a strict CSP can allow it. */
const INIT_SCRIPT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '${DOCUMENT_PATH}',
    dom_id: '#docs',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;

/** The page: our markup, the vendor's styles and script, our start-up script. */
export const DOCS_HTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Llais API</title>
<link rel="stylesheet" href="${ASSETS_PATH}/swagger-ui.css">
<link rel="icon" type="image/png" href="${ASSETS_PATH}/favicon-32x32.png">
</head>
<body>
<div id="docs"></div>
<script src="${ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script src="${ASSETS_PATH}/init.js"></script>
</body>
</html>
`;

/**
 * The browser enforces what the page may load: this server only (Swagger UI's inline styles and
 * data: icons aside), and requests (the document, "Try it out") to this server only.
 */
export const DOCS_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'";

/** Vendor files change only with the package version; a day of caching is safe. */
const ASSET_CACHE = 'public, max-age=86400';

let vendorDir: string | undefined;

/** swagger-ui-dist's folder, found once through Node's resolution (works from src/ and dist/). */
function swaggerUiDir(): string {
  vendorDir ??= dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  return vendorDir;
}

/** `GET /docs/assets/<file>`: the start-up script or one of the listed vendor files; 404 otherwise. */
export async function sendDocsAsset(ex: HttpExchange): Promise<void> {
  const file = ex.params.file ?? '';
  if (file === 'init.js') {
    ex.send(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' }, INIT_SCRIPT);
    return;
  }
  const type = Object.hasOwn(VENDOR_FILES, file) ? VENDOR_FILES[file] : undefined;
  if (!type) throw new ApiError('not_found', `No docs asset '${file}'`);
  const path = join(swaggerUiDir(), file);
  const { size } = await stat(path);
  await sendFile(ex, path, size, { 'Content-Type': type, 'Cache-Control': ASSET_CACHE });
}
