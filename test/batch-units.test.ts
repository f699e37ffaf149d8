/**
 * The pure parts of batches: which webhook targets the SSRF guard refuses (IPv4, IPv6, mapped
 * IPv4, every DNS answer), webhook signatures (a receiver's verification rejects a wrong secret,
 * a changed body or timestamp, and a stale one), the retry schedule's growth, cap and jitter, and
 * one delivery attempt: connected to the address that was checked, refused when that address is
 * private, and timed out when the receiver never answers.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { retryDelayMs } from '../src/batch/retry-schedule.js';
import { attemptDelivery } from '../src/batch/webhook-delivery.js';
import { blockedRange, parseWebhookUrl, resolveWebhookTarget, WebhookTargetError, type Resolver } from '../src/batch/ssrf-guard.js';
import { DEFAULTS, loadConfig } from '../src/config.js';
import { generateWebhookSecret, signWebhook, verifyWebhookSignature } from '../src/batch/webhook-signature.js';

describe('SSRF guard', () => {
  const refused: Array<[string, string]> = [
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'shared (CGNAT)'],
    ['100.127.255.254', 'shared (CGNAT)'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.251', 'multicast'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'unique local (private)'],
    ['fd12:3456::1', 'unique local (private)'],
    ['fe80::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'IPv4-mapped'],
    ['::ffff:169.254.169.254', 'IPv4-mapped'],
    ['::ffff:8.8.8.8', 'IPv4-mapped'],
  ];
  for (const [address, range] of refused) {
    it(`classifies ${address} as ${range}`, () => assert.equal(blockedRange(address), range));
  }

  for (const address of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '192.169.0.1', '2606:4700:4700::1111', '2001:4860:4860::8888']) {
    it(`lets the public address ${address} through`, () => assert.equal(blockedRange(address), null));
  }

  it('accepts only http(s) URLs without credentials', () => {
    assert.equal(parseWebhookUrl('https://hooks.example.com/x?y=1').hostname, 'hooks.example.com');
    for (const bad of ['ftp://example.com/', 'file:///etc/passwd', 'https://user:pw@example.com/', 'https://user@example.com/', 'not a url', 'gopher://example.com']) {
      assert.throws(() => parseWebhookUrl(bad), WebhookTargetError, bad);
    }
  });

  it('refuses a name when any DNS answer is private, and IP literals in brackets', async () => {
    const twoAnswers: Resolver = async () => [{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.5', family: 4 }];
    await assert.rejects(resolveWebhookTarget(new URL('https://mixed.example/'), false, twoAnswers), /10\.0\.0\.5, a private address/);
    const rebound: Resolver = async () => [{ address: '::ffff:a9fe:a9fe', family: 6 }];
    await assert.rejects(resolveWebhookTarget(new URL('https://meta.example/'), false, rebound), /IPv4-mapped/);
    await assert.rejects(resolveWebhookTarget(new URL('http://[::1]:8080/'), false), /loopback/);
    await assert.rejects(resolveWebhookTarget(new URL('http://169.254.169.254/latest/meta-data'), false), /link-local/);
    const unresolvable: Resolver = async () => {
      throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
    };
    await assert.rejects(resolveWebhookTarget(new URL('https://nowhere.invalid/'), false, unresolvable), /could not be resolved \(ENOTFOUND\)/);
  });

  it('returns the first checked answer for a public name, and private ones when allowed', async () => {
    const publicOnly: Resolver = async () => [{ address: '2606:4700::1', family: 6 }, { address: '93.184.216.34', family: 4 }];
    assert.deepEqual(await resolveWebhookTarget(new URL('https://ok.example/'), false, publicOnly), { address: '2606:4700::1', family: 6 });
    assert.deepEqual(await resolveWebhookTarget(new URL('http://127.0.0.1:9/'), true), { address: '127.0.0.1', family: 4 });
  });
});

describe('webhook signatures', () => {
  const secret = generateWebhookSecret();
  const body = JSON.stringify({ batch_id: 'batch_x', status: 'completed' });
  const t = 1_800_000_000;

  it('makes secrets of at least 128 random bits', () => {
    assert.match(secret, /^whsec_[A-Za-z0-9_-]{32}$/);
    assert.notEqual(generateWebhookSecret(), secret);
  });

  it('signs "<t>.<body>" with HMAC-SHA256 and verifies within the tolerance', () => {
    const header = signWebhook(secret, body, t);
    assert.match(header, /^t=1800000000,sha256=[0-9a-f]{64}$/);
    assert.equal(verifyWebhookSignature(secret, header, body, 300, t + 299), true);
    assert.equal(verifyWebhookSignature(secret, header, Buffer.from(body), 300, t - 10), true);
  });

  it('matches an HMAC computed independently', async () => {
    const { createHmac } = await import('node:crypto');
    const expected = createHmac('sha256', 'whsec_known').update(`${t}.${body}`).digest('hex');
    assert.equal(signWebhook('whsec_known', body, t), `t=${t},sha256=${expected}`);
  });

  it('rejects a wrong secret, a tampered body, a changed timestamp, a stale signature and junk', () => {
    const header = signWebhook(secret, body, t);
    assert.equal(verifyWebhookSignature(generateWebhookSecret(), header, body, 300, t), false, 'wrong secret');
    assert.equal(verifyWebhookSignature(secret, header, body.replace('completed', 'failed'), 300, t), false, 'tampered body');
    assert.equal(verifyWebhookSignature(secret, header.replace(`t=${t}`, `t=${t + 1}`), body, 300, t), false, 'changed timestamp');
    assert.equal(verifyWebhookSignature(secret, header, body, 300, t + 301), false, 'stale');
    for (const junk of [undefined, '', 'sha256=abc', `t=${t}`, `t=x,sha256=${'0'.repeat(64)}`, `t=${t},sha256=${'0'.repeat(63)}`]) {
      assert.equal(verifyWebhookSignature(secret, junk, body, 300, t), false, String(junk));
    }
  });
});

describe('retry schedule', () => {
  const s = { maxAttempts: 6, initialDelayMs: 10_000, maxDelayMs: 200_000 };

  it('grows 3× per attempt from the initial delay and stops at the cap (jitter at its midpoint)', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, s, () => 0.5)), [10_000, 30_000, 90_000, 200_000, 200_000]);
  });

  it('gives no delay after the last attempt', () => {
    assert.equal(retryDelayMs(6, s, () => 0.5), null);
    assert.equal(retryDelayMs(1, { ...s, maxAttempts: 1 }), null);
  });

  it('spreads each delay by ±20 %', () => {
    assert.equal(retryDelayMs(2, s, () => 0), 24_000);
    assert.equal(retryDelayMs(2, s, () => 0.999999), 36_000);
    const seen = new Set(Array.from({ length: 20 }, () => retryDelayMs(1, s)));
    assert.ok(seen.size > 1, 'random jitter varies');
    for (const d of seen) assert.ok(d! >= 8_000 && d! <= 12_000, String(d));
  });
});

describe('one delivery attempt', () => {
  /** A local receiver: `status` 0 never answers. */
  async function receiver(status: number): Promise<{ port: number; seen: Array<{ headers: IncomingHttpHeaders; body: string }>; close(): Promise<void> }> {
    const seen: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        if (status !== 0) res.writeHead(status).end('ignored');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return {
      port: (server.address() as AddressInfo).port,
      seen,
      close: () => {
        server.closeAllConnections();
        return new Promise((r) => server.close(() => r()));
      },
    };
  }
  const signal = new AbortController().signal;

  it('connects to the checked address while the Host header keeps the name (no second lookup)', async () => {
    const r = await receiver(202);
    try {
      // The name exists nowhere; only the pinned lookup can reach the receiver.
      const resolve: Resolver = async (host) => (host === 'hooks.llais.invalid' ? [{ address: '127.0.0.1', family: 4 }] : []);
      const outcome = await attemptDelivery(
        { url: `http://hooks.llais.invalid:${r.port}/in`, body: '{"a":1}', secret: 'whsec_t', deliveryId: 'dlv_1' },
        { timeoutMs: 5_000, allowPrivateTargets: true, signal, resolve },
      );
      assert.deepEqual(outcome, { kind: 'delivered' });
      assert.equal(r.seen[0]!.headers.host, `hooks.llais.invalid:${r.port}`);
      assert.equal(r.seen[0]!.body, '{"a":1}');
      assert.ok(verifyWebhookSignature('whsec_t', r.seen[0]!.headers['x-llais-signature'] as string, '{"a":1}', 5));
    } finally {
      await r.close();
    }
  });

  it('refuses, without connecting, a name that now resolves to a private address', async () => {
    const r = await receiver(200);
    try {
      const resolve: Resolver = async () => [{ address: '127.0.0.1', family: 4 }];
      const outcome = await attemptDelivery(
        { url: `http://rebound.llais.invalid:${r.port}/`, body: '{}', secret: 'whsec_t', deliveryId: 'dlv_2' },
        { timeoutMs: 5_000, allowPrivateTargets: false, signal, resolve },
      );
      assert.equal(outcome.kind, 'refused');
      assert.match((outcome as { error: string }).error, /127\.0\.0\.1, a loopback address/);
      assert.equal(r.seen.length, 0);
    } finally {
      await r.close();
    }
  });

  it('a non-2xx answer or no answer in time is a retry', async () => {
    const failing = await receiver(302);
    const silent = await receiver(0);
    try {
      const opts = { timeoutMs: 200, allowPrivateTargets: true, signal };
      assert.deepEqual(await attemptDelivery({ url: `http://127.0.0.1:${failing.port}/`, body: '{}', secret: 's', deliveryId: 'd' }, opts), { kind: 'retry', error: 'HTTP 302' });
      assert.deepEqual(await attemptDelivery({ url: `http://127.0.0.1:${silent.port}/`, body: '{}', secret: 's', deliveryId: 'd' }, opts), { kind: 'retry', error: 'no answer within 200 ms' });
    } finally {
      await failing.close();
      await silent.close();
    }
  });
});

describe('webhooks config', () => {
  it('takes LLAIS_WEBHOOKS_* over the defaults and refuses bad values', () => {
    const cfg = loadConfig({}, { env: { LLAIS_WEBHOOKS_ALLOW_PRIVATE: '1', LLAIS_WEBHOOKS_MAX_ATTEMPTS: '3', LLAIS_WEBHOOKS_INITIAL_DELAY_MS: '50' } });
    assert.deepEqual(cfg.webhooks, { ...DEFAULTS.webhooks, allowPrivateTargets: true, maxAttempts: 3, initialDelayMs: 50 });
    assert.equal(loadConfig({}, { env: {} }).webhooks.allowPrivateTargets, false, 'private targets are refused by default');
    assert.throws(() => loadConfig({}, { env: { LLAIS_WEBHOOKS_MAX_ATTEMPTS: '0' } }), /webhooks\.maxAttempts/);
    assert.throws(() => loadConfig({}, { env: { LLAIS_WEBHOOKS_TIMEOUT_MS: 'soon' } }), /webhooks\.timeoutMs/);
  });
});
