import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { describe, it } from 'node:test';
import { startTestApp, tempDir } from './helpers/app.js';
import { selfSignedCert } from './helpers/tls.js';

const selfSigned = selfSignedCert;

function httpsRequest(url: string, ca: Buffer, body?: string): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: body ? 'POST' : 'GET', ca, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('TLS', () => {
  it('serves HTTPS itself when config names a certificate and key', async () => {
    const dir = await tempDir();
    const tls = selfSigned(dir);
    const app = await startTestApp({ tls });
    try {
      assert.match(app.url, /^https:\/\//);
      const ca = readFileSync(tls.certFile);
      const health = await httpsRequest(`${app.url}/v1/health/`, ca);
      assert.equal(health.status, 200);
      assert.equal((JSON.parse(health.body.toString()) as { status: string }).status, 'online');
      const speech = await httpsRequest(`${app.url}/v1/audio/speech`, ca, JSON.stringify({ model: 'tts-1', voice: 'alloy', input: 'Secure hello.', response_format: 'pcm' }));
      assert.equal(speech.status, 200);
      assert.ok(speech.body.length > 10_000);
      // A client that does not trust the certificate is refused by TLS, not served in the clear.
      await assert.rejects(httpsRequest(`${app.url}/v1/health/`, Buffer.from('')));
    } finally {
      await app.close();
    }
  });

  it('refuses to start with an unreadable certificate', async () => {
    await assert.rejects(startTestApp({ tls: { certFile: '/nonexistent/cert.pem', keyFile: '/nonexistent/key.pem' } }));
  });

  // If a failed start leaked its workers, this file's process would never exit (the runner's timeout catches it).
  it('a start that fails to listen (port taken) stops everything it started', async () => {
    const first = await startTestApp();
    try {
      await assert.rejects(startTestApp({ port: first.port }), /could not listen/);
    } finally {
      await first.close();
    }
  });
});
