/**
 * The accounts building blocks on a real SQLite database: keys stored only as hashes, the ledger
 * whose rows always sum to the balance, limits that hold exactly under 50 concurrent requests,
 * plans, client addresses, the start rule and saved pronunciations kept per account.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openAccounts, type Accounts } from '../src/accounts/accounts.js';
import { bearerKey, generateApiKey, subprotocolKey } from '../src/accounts/api-key.js';
import { checkStartRule, isLoopbackHost } from '../src/accounts/auth-mode.js';
import { Billing } from '../src/accounts/billing.js';
import { clientIp, trustedProxySet } from '../src/accounts/client-ip.js';
import { AccessGate, type Caller } from '../src/accounts/gate.js';
import { MemoryLimitStore } from '../src/accounts/limit-store.js';
import { resolvePlans } from '../src/accounts/plans.js';
import { loadConfig, type Config } from '../src/config.js';
import { ApiError } from '../src/errors.js';
import { openDatabase, type Db } from '../src/storage/database.js';
import { tempDir } from './helpers/app.js';

async function fresh(overrides: Partial<Config> = {}): Promise<{ db: Db; accounts: Accounts; dir: string }> {
  const dir = await tempDir('llais-accounts-');
  const config = loadConfig({ dataDir: dir, ...overrides }, { env: {} });
  const db = openDatabase(dir);
  return { db, accounts: openAccounts(config, db), dir };
}

function apiError(code: string): (err: unknown) => boolean {
  return (err) => err instanceof ApiError && err.code === code;
}

describe('API keys', () => {
  it('are sk-tts- with 192 random bits, stored only as sha256, found by the key and not after revocation', async () => {
    const { db, accounts, dir } = await fresh();
    const key = generateApiKey();
    assert.match(key, /^sk-tts-[A-Za-z0-9_-]{32}$/);
    assert.notEqual(generateApiKey(), key);
    accounts.accounts.ensure('alice', 'pro');
    const info = (await accounts.keys.add('alice', key));
    assert.equal((await accounts.keys.accountOf(key)), 'alice');
    assert.equal((await accounts.keys.accountOf(generateApiKey())), undefined);
    db.pragma('wal_checkpoint(TRUNCATE)');
    const file = readFileSync(join(dir, 'llais.db'));
    assert.equal(file.indexOf(Buffer.from(key.slice(7))), -1, 'the key itself is nowhere in the database file');
    assert.ok((await accounts.keys.revoke(info.id)));
    assert.equal((await accounts.keys.revoke(info.id)), false);
    assert.equal((await accounts.keys.accountOf(key)), undefined);
    assert.ok((await accounts.keys.anyEverCreated()), 'a revoked key still counts as created');
    db.close();
  });

  it('are read from a Bearer header or the browser subprotocol', () => {
    assert.equal(bearerKey('Bearer sk-tts-abc'), 'sk-tts-abc');
    assert.equal(bearerKey('Basic abc'), null);
    assert.equal(subprotocolKey(['realtime', 'openai-insecure-api-key.sk-tts-x']), 'sk-tts-x');
    assert.equal(subprotocolKey(['realtime']), null);
  });
});

describe('credits ledger', () => {
  it('sums its rows to the balance through grants, reservations, commits and refunds', async () => {
    const { db, accounts } = await fresh();
    const { ledger } = accounts;
    accounts.accounts.ensure('a', 'pro');
    ledger.grant('a', 10, 'start');
    assert.deepEqual((await ledger.reserve('a', 4, 'r1', null)), { ok: true, balance: 6 });
    assert.deepEqual((await ledger.reserve('a', 7, 'r2', null)), { ok: false, balance: 6 });
    assert.equal((await ledger.reserve('a', 3, 'r3', null)).balance, 3);
    assert.equal((await ledger.commit('r1', 2)), 5, 'a commit below the estimate gives the difference back');
    assert.equal((await ledger.refund('r3', 'failed')), 8);
    assert.equal((await ledger.refund('r3', 'again')), null, 'settled once');
    assert.equal((await ledger.commit('r3')), null);
    assert.equal((await ledger.refund('never', null)), null);
    const rows = (await ledger.history('a', 100));
    assert.equal(rows.reduce((sum, r) => sum + r.delta, 0), (await ledger.balance('a')));
    assert.equal((await ledger.balance('a')), 8);
    assert.deepEqual(rows.map((r) => r.kind).reverse(), ['grant', 'reserve', 'reserve', 'commit', 'refund']);
    db.close();
  });

  it('lets exactly as many of 50 concurrent reservations through as the balance covers', async () => {
    const { db, accounts } = await fresh();
    accounts.accounts.ensure('a', 'pro');
    accounts.ledger.grant('a', 17, null);
    const billing = new Billing(accounts.ledger, new MemoryLimitStore());
    const caller: Caller = { kind: 'account', accountId: 'a', plan: accounts.plans.get('pro')! };
    const results = await Promise.allSettled(Array.from({ length: 50 }, async () => {
      await Promise.resolve();
      return billing.reserve(caller, { credits: 1, chars: 10, note: 'x', service: 'tts' });
    }));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 17);
    assert.ok(results.filter((r) => r.status === 'rejected').every((r) => apiError('insufficient_credits')((r as PromiseRejectedResult).reason)));
    assert.equal((await accounts.ledger.balance('a')), 0);
    db.close();
  });
});

describe('limits', () => {
  const plans = resolvePlans({ tight: { requests_per_minute: 7, concurrent: 3 } });

  it('let exactly the plan\'s requests per minute through of 50 concurrent ones, and reset with the window', async () => {
    const { db, accounts } = await fresh({ auth: 'keys' });
    let now = 1_000_000 * 60_000 + 5_000;
    const gate = new AccessGate({ ...accounts, plans, now: () => now });
    const caller: Caller = { kind: 'account', accountId: 'a', plan: plans.get('tight')! };
    const outcomes = await Promise.allSettled(Array.from({ length: 50 }, async () => {
      await Promise.resolve();
      const admission = gate.admit(caller, 'account');
      admission.release();
      return admission;
    }));
    const passed = outcomes.filter((o) => o.status === 'fulfilled');
    assert.equal(passed.length, 7);
    const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    assert.equal(refused.reason.code, 'rate_limit_exceeded');
    assert.equal(refused.reason.status, 429);
    assert.equal(refused.reason.headers['Retry-After'], '55');
    assert.equal(refused.reason.headers['X-RateLimit-Remaining'], '0');
    now += 55_000;
    assert.equal(gate.admit(caller, 'account').headers['X-RateLimit-Remaining'], '6');
    db.close();
  });

  it('hold exactly the plan\'s concurrent requests, and free a slot when one ends', async () => {
    const { db, accounts } = await fresh({ auth: 'keys' });
    const gate = new AccessGate({ ...accounts, plans: resolvePlans({ tight: { requests_per_minute: 1000, concurrent: 3 } }) });
    const caller: Caller = { kind: 'account', accountId: 'a', plan: { ...plans.get('tight')!, requestsPerMinute: 1000 } };
    const outcomes = await Promise.allSettled(Array.from({ length: 50 }, async () => {
      await Promise.resolve();
      return gate.admit(caller, 'account');
    }));
    const held = outcomes.filter((o) => o.status === 'fulfilled').map((o) => (o as PromiseFulfilledResult<ReturnType<typeof gate.admit>>).value);
    assert.equal(held.length, 3);
    assert.equal(gate.admit(caller, 'public').headers['X-RateLimit-Remaining'], '997', 'requests refused for concurrency are not counted');
    assert.ok(outcomes.filter((o) => o.status === 'rejected').every((o) => apiError('too_many_concurrent_requests')((o as PromiseRejectedResult).reason)));
    assert.throws(() => gate.holdSlot(caller), apiError('too_many_concurrent_requests'));
    held[0]!.release();
    held[0]!.release();
    const again = gate.holdSlot(caller);
    assert.throws(() => gate.holdSlot(caller), apiError('too_many_concurrent_requests'), 'a double release frees one slot only');
    again.release();
    db.close();
  });

  it('count anonymous characters per address per day, and give refunded ones back', async () => {
    const limits = new MemoryLimitStore();
    const billing = new Billing(null!, limits, { now: () => 86_400_000 * 100 + 3_600_000 });
    const plan = resolvePlans(null).get('anonymous')!;
    const caller: Caller = { kind: 'anonymous', ip: '10.0.0.1', plan };
    await (await billing.reserve(caller, { credits: 4, chars: 4_000, note: 'a', service: 'tts' })).commit();
    const second = await billing.reserve(caller, { credits: 1, chars: 1_000, note: 'b', service: 'tts' });
    await assert.rejects(() => billing.reserve(caller, { credits: 1, chars: 1, note: 'c', service: 'tts' }), (err) => apiError('daily_limit_exceeded')(err) && (err as ApiError).headers['Retry-After'] === String(23 * 3600));
    await second.refund('failed');
    await billing.reserve(caller, { credits: 1, chars: 1_000, note: 'd', service: 'tts' });
    await billing.reserve({ ...caller, ip: '10.0.0.2' }, { credits: 5, chars: 5_000, note: 'other address', service: 'tts' });
  });

  it('refuse text past the plan and models outside its tiers with 403', () => {
    const plans = resolvePlans(null);
    const billing = new Billing(null!, new MemoryLimitStore());
    const anonymous: Caller = { kind: 'anonymous', ip: '1.2.3.4', plan: plans.get('anonymous')! };
    assert.throws(() => billing.checkTts(anonymous, 501, 'free', 'flite'), (e) => apiError('plan_not_allowed')(e) && (e as ApiError).param === 'text');
    assert.throws(() => billing.checkTts(anonymous, 10, 'standard', 'kokoro'), (e) => apiError('plan_not_allowed')(e) && (e as ApiError).param === 'model');
    billing.checkTts({ kind: 'account', accountId: 'x', plan: plans.get('enterprise')! }, 50_000, 'premium', 'chatterbox');
    billing.checkTts({ kind: 'open' }, 1_000_000, 'premium', 'chatterbox');
  });
});

describe('plans, addresses and the start rule', () => {
  it('plans default to API.md\'s table and take overrides from config', () => {
    const plans = resolvePlans({ pro: { requests_per_minute: 120 }, team: { concurrent: 8 } });
    assert.equal(plans.get('anonymous')!.dailyChars, 5_000);
    assert.equal(plans.get('free')!.maxTextChars, 500);
    assert.equal(plans.get('enterprise')!.maxTextChars, 50_000);
    assert.equal(plans.get('pro')!.requestsPerMinute, 120);
    assert.equal(plans.get('pro')!.concurrent, 5);
    assert.equal(plans.get('team')!.concurrent, 8);
    assert.throws(() => resolvePlans({ pro: { concurrent: -1 } }), /plans\.pro\.concurrent/);
  });

  it('believe X-Forwarded-For only from a trusted proxy', () => {
    const trusted = trustedProxySet('10.0.0.5, ::1');
    assert.equal(clientIp('203.0.113.9', '198.51.100.1', trusted), '203.0.113.9');
    assert.equal(clientIp('10.0.0.5', '198.51.100.1, 203.0.113.7', trusted), '203.0.113.7');
    assert.equal(clientIp('0000:0000:0000:0000:0000:0000:0000:0001', '198.51.100.1', trusted), '198.51.100.1');
    assert.equal(clientIp('::ffff:10.0.0.5', '198.51.100.2', trusted), '198.51.100.2');
  });

  it('refuse a non-loopback address with no keys unless auth is open or keys exist', async () => {
    const { db, accounts } = await fresh();
    for (const host of ['127.0.0.1', '::1', 'localhost', '127.1.2.3']) assert.ok(isLoopbackHost(host), host);
    for (const host of ['0.0.0.0', '::', '192.168.1.2']) assert.equal(isLoopbackHost(host), false, host);
    await assert.rejects(() => checkStartRule('auto', '0.0.0.0', accounts.keys), /llais keys create.*\n.*\n.*LLAIS_AUTH=open/s);
    await checkStartRule('open', '0.0.0.0', accounts.keys);
    await checkStartRule('auto', '127.0.0.1', accounts.keys);
    await accounts.accounts.ensure('a', 'free');
    await accounts.keys.add('a', generateApiKey());
    await checkStartRule('auto', '0.0.0.0', accounts.keys);
    db.close();
  });
});

describe('saved pronunciations', () => {
  it('belong to one account, at most 200 of them', async () => {
    const { db, accounts } = await fresh();
    const store = accounts.pronunciations;
    const gif = await store.add('a', { word: 'GIF', replacement: 'jiff', caseSensitive: false });
    assert.deepEqual(await store.list('b'), []);
    assert.equal(await store.remove('b', gif.id), false);
    assert.equal((await store.list('a')).length, 1);
    for (let i = 1; i < 200; i++) await store.add('a', { word: `w${i}`, replacement: 'x', caseSensitive: false });
    await assert.rejects(store.add('a', { word: 'one-more', replacement: 'x', caseSensitive: false }), apiError('too_many_pronunciations'));
    await store.add('b', { word: 'GIF', replacement: 'gif', caseSensitive: true, language: 'en' });
    assert.ok(await store.remove('a', gif.id));
    assert.equal((await store.list('a')).length, 199);
    assert.deepEqual((await store.list('b')).map((e) => [e.word, e.replacement, e.caseSensitive, e.language]), [['GIF', 'gif', true, 'en']]);
    db.close();
  });
});
