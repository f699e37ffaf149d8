/**
 * One table of store calls and their answers, run against any `SharedStores` (SQLite or
 * Postgres): test/cluster-postgres.test.ts asserts both give the same rows, so the two
 * implementations cannot drift. Times and generated ids differ by nature: times become
 * `'<time>'`, and numeric row ids `'<id>'` (a Postgres sequence skips the values of refused
 * inserts, SQLite's rowid does not); the order of rows is still compared.
 */
import type { NewJob } from '../../src/jobs/job-store.js';
import { MAX_PRONUNCIATIONS } from '../../src/text/pronunciations.js';
import { MAX_EMBEDDINGS_PER_ACCOUNT, type StoredEmbedding } from '../../src/voice/embedding-store.js';
import type { SharedStores } from '../../src/storage/shared-stores.js';

export type ContractRow = [step: string, answer: unknown];

const TIME_KEYS = new Set(['createdAt', 'updatedAt', 'completedAt', 'revokedAt', 'expiresAt', 'nextAttemptAt']);

/** Times (set by the store from the clock) become a marker of whether there is one. */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, TIME_KEYS.has(k) && typeof v === 'number' ? '<time>' : k === 'id' && typeof v === 'number' ? '<id>' : normalize(v)]));
  }
  return value;
}

function job(n: number): NewJob {
  return { uuid: `job${n}`, jobId: `tts_${n}`, request: { text: `hello ${n}`, n }, model: 'espeak', voice: 'en', format: 'mp3', chars: 5 + n, creditsUsed: 1, clientIp: '127.0.0.1' };
}

export async function storeContract(s: SharedStores): Promise<ContractRow[]> {
  const rows: ContractRow[] = [];
  const step = async (name: string, call: () => Promise<unknown>): Promise<void> => {
    try {
      rows.push([name, normalize(await call())]);
    } catch (err) {
      rows.push([name, { threw: (err as Error).message }]);
    }
  };
  // Accounts and keys.
  await step('accounts.get missing', () => s.accounts.get('nobody'));
  await step('accounts.ensure new', () => s.accounts.ensure('acme', 'pro'));
  await step('accounts.ensure again keeps plan', () => s.accounts.ensure('acme', 'free'));
  await step('accounts.setPlan', () => s.accounts.setPlan('acme', 'starter'));
  await step('accounts.ensure second', () => s.accounts.ensure('beta', 'free'));
  await step('accounts.list', () => s.accounts.list());
  await step('keys.anyEverCreated before', () => s.keys.anyEverCreated());
  await step('keys.add', () => s.keys.add('acme', 'sk-tts-00000000000000000000000000000001'));
  await step('keys.add second', () => s.keys.add('beta', 'sk-tts-00000000000000000000000000000002'));
  await step('keys.accountOf', () => s.keys.accountOf('sk-tts-00000000000000000000000000000001'));
  await step('keys.accountOf unknown', () => s.keys.accountOf('sk-tts-99999999999999999999999999999999'));
  await step('keys.revoke', () => s.keys.revoke(1));
  await step('keys.revoke again', () => s.keys.revoke(1));
  await step('keys.accountOf revoked', () => s.keys.accountOf('sk-tts-00000000000000000000000000000001'));
  await step('keys.list', () => s.keys.list());
  await step('keys.list of account', () => s.keys.list('beta'));
  await step('keys.anyEverCreated after', () => s.keys.anyEverCreated());
  // Webhook secrets.
  await step('secretOf twice is one secret', async () => (await s.webhookSecrets.secretOf('acme')) === (await s.webhookSecrets.secretOf('acme')));
  await step('rotate', () => s.webhookSecrets.rotate('acme', 'whsec_rotated'));
  await step('secretOf after rotate', () => s.webhookSecrets.secretOf('acme'));
  // Ledger.
  await step('ledger.balance empty', () => s.ledger.balance('acme'));
  await step('ledger.grant', () => s.ledger.grant('acme', 10, 'start'));
  await step('ledger.reserve', () => s.ledger.reserve('acme', 4, 'r1', 'n1'));
  await step('ledger.reserve short', () => s.ledger.reserve('acme', 7, 'r2', null));
  await step('ledger.reserve third', () => s.ledger.reserve('acme', 3, 'r3', null));
  await step('ledger.reserve same ref', () => s.ledger.reserve('acme', 1, 'r3', null));
  await step('ledger.commit below estimate', () => s.ledger.commit('r1', 2));
  await step('ledger.commit above estimate', () => s.ledger.commit('r3', 5));
  await step('ledger.refund settled', () => s.ledger.refund('r3', 'late'));
  await step('ledger.commit never reserved', () => s.ledger.commit('nope'));
  await step('ledger.reserve r4', () => s.ledger.reserve('acme', 1, 'r4', null));
  await step('ledger.refund', () => s.ledger.refund('r4', 'failed'));
  await step('ledger.balance', () => s.ledger.balance('acme'));
  await step('ledger.history', () => s.ledger.history('acme', 100));
  await step('ledger.history limited', () => s.ledger.history('acme', 2));
  // Jobs.
  await step('jobs.create', () => s.jobs.create(job(1)));
  await step('jobs.create second', () => s.jobs.create(job(2)));
  await step('jobs.create duplicate', async () => ((await s.jobs.create(job(1)).then(() => 'stored', () => 'refused'))));
  await step('jobs.get missing', () => s.jobs.get('none'));
  await step('jobs.markProcessing', () => s.jobs.markProcessing('job1'));
  await step('jobs.unfinished', () => s.jobs.unfinished());
  await step('jobs.complete', () => s.jobs.complete('job1', 1.25, 1_000));
  await step('jobs.fail after complete does nothing', () => s.jobs.fail('job1', 'late'));
  await step('jobs.complete again does nothing', () => s.jobs.complete('job1', 9, 9_000));
  await step('jobs.get completed', () => s.jobs.get('job1'));
  await step('jobs.fail', () => s.jobs.fail('job2', 'engine broke'));
  await step('jobs.get failed', () => s.jobs.get('job2'));
  await step('jobs.countByStatus', async () => [await s.jobs.countByStatus('completed'), await s.jobs.countByStatus('failed'), await s.jobs.countByStatus('queued')]);
  await step('jobs.expire before', () => s.jobs.expire(999));
  await step('jobs.expire', () => s.jobs.expire(1_000));
  await step('jobs.expire again', () => s.jobs.expire(2_000));
  await step('jobs.get expired', () => s.jobs.get('job1'));
  // Batches and webhook deliveries.
  await step('batches.create', () => s.batches.create({ id: 'batch_1', accountId: 'acme', creditsUsed: 2, webhookUrl: 'https://example.com/h', baseUrl: 'http://x', jobUuids: ['job3', 'job4'] }, [job(3), job(4)]));
  await step('batches.create with a stored job fails whole', () =>
    s.batches.create({ id: 'batch_2', accountId: 'acme', creditsUsed: 2, webhookUrl: null, baseUrl: 'http://x', jobUuids: ['job5', 'job3'] }, [job(5), job(3)]).then(() => 'stored', () => 'refused'));
  await step('batch_2 and job5 not stored', async () => [await s.batches.get('batch_2'), await s.jobs.get('job5')]);
  await step('batches.batchOfJob', async () => [await s.batches.batchOfJob('job4'), await s.batches.batchOfJob('job1')]);
  await step('batches.processing', () => s.batches.processing());
  await step('batches.complete', () => s.batches.complete('batch_1', { deliveryId: 'dlv_1', url: 'https://example.com/h', body: '{"a":1}' }));
  await step('batches.complete again', () => s.batches.complete('batch_1', { deliveryId: 'dlv_2', url: 'https://example.com/h', body: '{}' }));
  await step('batches.get', () => s.batches.get('batch_1'));
  await step('batches.delivery', () => s.batches.delivery('batch_1'));
  await step('batches.nextDueAt is set', async () => typeof (await s.batches.nextDueAt()));
  await step('batches.dueDeliveries', () => s.batches.dueDeliveries(Date.now() + 1000, 10));
  await step('batches.recordAttempt retry', () => s.batches.recordAttempt('batch_1', { delivered: false, error: 'HTTP 500', nextAttemptAt: 5 }));
  await step('batches.dueDeliveries at 4', () => s.batches.dueDeliveries(4, 10));
  await step('batches.nextDueAt', () => s.batches.nextDueAt());
  await step('batches.recordAttempt delivered', () => s.batches.recordAttempt('batch_1', { delivered: true }));
  await step('batches.recordAttempt after delivered does nothing', () => s.batches.recordAttempt('batch_1', { delivered: false, error: 'x', nextAttemptAt: null }));
  await step('batches.delivery delivered', () => s.batches.delivery('batch_1'));
  await step('batches.nextDueAt none', () => s.batches.nextDueAt());
  await perAccountContract(s, step);
  return rows;
}

/** Awaited calls to the ones a caller may start at once: which succeeded, and the distinct refusals. */
async function atOnce(calls: Array<() => Promise<unknown>>): Promise<{ ok: number; refused: string[] }> {
  const settled = await Promise.allSettled(calls.map((c) => c()));
  const refused = [...new Set(settled.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : [])))];
  return { ok: settled.filter((r) => r.status === 'fulfilled').length, refused };
}

/** Values whose float64 bits a lossy encoding would change (a float32 one, a subnormal, a third). */
const VECTOR = [0.1, 1 / 3, -Math.PI, 5e-324, 1e300, Math.fround(0.7), -123456.789];

function voice(n: number, vector: number[] = [n, n / 7]): StoredEmbedding {
  return { id: `emb_${n.toString(16).padStart(24, '0')}`, model: 'chatterbox', extractor: 'stats', vector, stats: { logF0Mean: 4.6 + n / 100, logF0Std: 0.2, voicedSec: 9.5, speechSec: 11, envelope: [0.5, -0.25] }, audioSec: 12.5, createdAt: 1_000 + n };
}

/** Ownership, saved pronunciations, conversations and stored voices (the stores kept per account). */
async function perAccountContract(s: SharedStores, step: (name: string, call: () => Promise<unknown>) => Promise<void>): Promise<void> {
  // Ownership: the first claim wins, whoever claims again.
  await step('ownership.ownerOf unknown', () => s.ownership.ownerOf('job', 'j-none'));
  await step('ownership.claim', () => s.ownership.claim('job', ['j1', 'j2', 'j3'], 'acme'));
  await step('ownership.claim twice, another account', () => s.ownership.claim('job', ['j1', 'j4'], 'beta'));
  await step('ownership.claim none', () => s.ownership.claim('batch', [], 'beta'));
  await step('ownership.ownerOf each', async () => Promise.all(['j1', 'j2', 'j3', 'j4', 'j5'].map((id) => s.ownership.ownerOf('job', id))));
  await step('ownership.ownerOf is per kind', async () => [await s.ownership.ownerOf('batch', 'j1'), await s.ownership.claim('conversation', ['j1'], 'beta'), await s.ownership.ownerOf('conversation', 'j1')]);
  // Saved pronunciations: per account, oldest first, at most MAX_PRONUNCIATIONS even when added at once.
  await step('pronunciations.list empty', () => s.pronunciations.list('acme'));
  const gif = await s.pronunciations.add('acme', { word: 'GIF', replacement: 'jiff', caseSensitive: false });
  await step('pronunciations.add', async () => gif);
  await step('pronunciations.add with language', () => s.pronunciations.add('acme', { word: 'SQL', replacement: 'sequel', caseSensitive: true, language: 'en-gb' }));
  await step('pronunciations.list', () => s.pronunciations.list('acme'));
  await step('pronunciations.list of another account', () => s.pronunciations.list('beta'));
  await step('pronunciations.remove by another account', () => s.pronunciations.remove('beta', gif.id));
  await step('pronunciations.remove', () => s.pronunciations.remove('acme', gif.id));
  await step('pronunciations.remove again', () => s.pronunciations.remove('acme', gif.id));
  await step('pronunciations.list after remove', () => s.pronunciations.list('acme'));
  await step('pronunciations.add past the limit at once', () => atOnce(Array.from({ length: MAX_PRONUNCIATIONS + 5 }, (_, i) => () => s.pronunciations.add('beta', { word: `w${i}`, replacement: 'x', caseSensitive: false }))));
  await step('pronunciations.list at the limit', async () => (await s.pronunciations.list('beta')).length);
  // Conversations: a turn creates or continues; the prompt is kept unless a turn sends one.
  const turn = (userText: string, systemPrompt?: string | null) => ({ conversationId: 'conv_1', systemPrompt, userText, assistantText: `re: ${userText}` });
  await step('conversations.get missing', () => s.conversations.get('conv_1'));
  await step('conversations.saveTurn new', () => s.conversations.saveTurn(turn('hello', 'Be brief.')));
  await step('conversations.saveTurn keeps the prompt', () => s.conversations.saveTurn(turn('again')));
  await step('conversations.get', () => s.conversations.get('conv_1'));
  await step('conversations.saveTurn replaces the prompt', () => s.conversations.saveTurn(turn('third', null)));
  await step('conversations.saveTurn two at once', () => Promise.all([s.conversations.saveTurn(turn('x')), s.conversations.saveTurn(turn('y'))]));
  await step('conversations.get in order', async () => {
    const c = await s.conversations.get('conv_1');
    return { systemPrompt: c?.systemPrompt, seqs: c?.messages.map((m) => `${m.seq}:${m.role}`), texts: c?.messages.slice(0, 6).map((m) => m.content) };
  });
  await step('conversations.saveTurn another, no prompt', async () => [await s.conversations.saveTurn({ conversationId: 'conv_2', systemPrompt: undefined, userText: 'hi', assistantText: 'yo' }), await s.conversations.get('conv_2')]);
  // Stored voices: per account, newest first, exact vectors, at most MAX_EMBEDDINGS_PER_ACCOUNT.
  await step('voices.add', () => s.voices.add('acme', voice(1, VECTOR)));
  await step('voices.add second', () => s.voices.add('acme', voice(2)));
  await step('voices.get reads back the exact vector', async () => {
    const got = await s.voices.get('acme', voice(1).id);
    return [got, got?.vector.length === VECTOR.length && got.vector.every((v, i) => Object.is(v, VECTOR[i]))];
  });
  await step('voices.get of another account', () => s.voices.get('beta', voice(1).id));
  await step('voices.list', () => s.voices.list('acme'));
  await step('voices.list of another account', () => s.voices.list('beta'));
  await step('voices.count', async () => [await s.voices.count('acme'), await s.voices.count('beta')]);
  await step('voices.remove by another account', () => s.voices.remove('beta', voice(1).id));
  await step('voices.remove', () => s.voices.remove('acme', voice(1).id));
  await step('voices.remove again', () => s.voices.remove('acme', voice(1).id));
  await step('voices.add past the limit at once', () => atOnce(Array.from({ length: MAX_EMBEDDINGS_PER_ACCOUNT + 3 }, (_, i) => () => s.voices.add('beta', voice(100 + i)))));
  await step('voices.count at the limit', () => s.voices.count('beta'));
}
