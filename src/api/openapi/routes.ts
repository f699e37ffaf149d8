/** `GET /openapi.json` and the `/docs` page: open to everyone, like the discovery endpoints. */
import type { Router } from '../../http/router.js';
import { DOCS_CSP, DOCS_HTML, DOCUMENT_PATH, sendDocsAsset } from './docs-page.js';
import { openApiJson } from './document.js';

export function registerOpenApiRoutes(router: Router): void {
  router.get(DOCUMENT_PATH, (ex) => ex.send(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' }, openApiJson()));
  router.get('/docs', (ex) => ex.send(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache', 'Content-Security-Policy': DOCS_CSP }, DOCS_HTML));
  router.get('/docs/assets/:file', (ex) => sendDocsAsset(ex));
}
