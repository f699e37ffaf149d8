/**
 * One table of store calls and their answers, run against any `SharedStores` (SQLite or
 * Postgres): test/cluster-postgres.test.ts asserts both give the same rows, so the two
 * implementations cannot drift. Times and generated ids differ by nature: times become
 * `'<time>'`, and numeric row ids `'<id>'` (a Postgres sequence skips the values of refused
 * inserts, SQLite's rowid does not); the order of rows is still compared.
 */
import type { NewJob } from '../../src/jobs/job-store.js';
import type { SharedStores } from '../../src/storage/shared-stores.js';

export type ContractRow = [step: string, answer: unknown];

const TIME_KEYS = new Set(['createdAt', 'completedAt', 'revokedAt', 'expiresAt', 'nextAttemptAt']);

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
  return rows;
}
