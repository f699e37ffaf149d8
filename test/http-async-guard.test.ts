/**
 * A guard that answers with a promise (cluster mode counts requests on Redis): the handler runs
 * after it, with the request's whole body (data that came while the guard waited is kept, for
 * both readers); a refusal is sent and the connection stays usable (the paused socket resumes).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Agent, request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { ApiError } from '../src/errors.js';
import { Router } from '../src/http/router.js';
import { HttpServer } from '../src/http/server.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** POST over one keep-alive agent with node:http, so a stalled (still paused) connection shows. */
function post(agent: Agent, url: string, body: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-length': String(body.length), ...headers } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timed out: the connection stalled')));
    // Written in pieces over a few ms, so some arrive while the guard is still waiting.
    let offset = 0;
    const step = (): void => {
      if (offset >= body.length) return void req.end();
      req.write(body.subarray(offset, offset + 64 * 1024));
      offset += 64 * 1024;
      setTimeout(step, 1);
    };
    step();
  });
}

describe('HTTP server: an asynchronous guard', () => {
  let server: HttpServer;
  let base: string;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });

  before(async () => {
    const router = new Router()
      .post('/whole', async (ex) => {
        const body = await ex.readBody(10 << 20);
        ex.json(200, { bytes: body.length, sha: sha(body) });
      })
      .post('/chunks', async (ex) => {
        const parts: Buffer[] = [];
        for await (const c of ex.bodyChunks(10 << 20)) parts.push(c);
        const body = Buffer.concat(parts);
        ex.json(200, { bytes: body.length, sha: sha(body) });
      });
    const guard = async (ex: { headers: Record<string, string | undefined> }): Promise<void> => {
      await new Promise((r) => setTimeout(r, 30));
      if (ex.headers['x-refuse']) throw new ApiError('rate_limit_exceeded', 'refused by the test guard');
    };
    server = new HttpServer(router, { host: '127.0.0.1', port: 0, corsOrigin: '*', tls: null, logger: pino({ level: 'silent' }), guard });
    base = `http://127.0.0.1:${await server.listen()}`;
  });

  after(async () => {
    agent.destroy();
    await server.drain(100);
  });

  it('both body readers get every byte of a 2 MB body sent while the guard waited', async () => {
    const body = Buffer.from(Array.from({ length: 2 << 20 }, (_, i) => (i * 7) % 256));
    for (const path of ['/whole', '/chunks']) {
      const res = await post(agent, `${base}${path}`, body);
      assert.equal(res.status, 200, res.body);
      assert.deepEqual(JSON.parse(res.body), { bytes: body.length, sha: sha(body) });
    }
  });

  it('a refusal is answered, and the same connection then serves the next request', async () => {
    const refused = await post(agent, `${base}/whole`, Buffer.alloc(300_000, 1), { 'x-refuse': '1' });
    assert.equal(refused.status, 429);
    assert.equal((JSON.parse(refused.body) as { error: { code: string } }).error.code, 'rate_limit_exceeded');
    const next = await post(agent, `${base}/whole`, Buffer.from('after'));
    assert.equal(next.status, 200);
    assert.equal((JSON.parse(next.body) as { bytes: number }).bytes, 5);
  });
});
