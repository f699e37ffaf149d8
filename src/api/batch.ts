/**
 * `POST /v1/tts/batch/` and `GET /v1/tts/batch/result/`. A batch is up to 50 ordinary TTS jobs
 * (same validation, credits, result URLs and expiry as `POST /v1/tts/`), all validated, planned
 * and paid for before any is queued: one bad item or a short balance leaves nothing behind.
 * Progress, completion and the signed webhook live in src/batch/.
 */
import { randomBytes } from 'node:crypto';
import type { Charge } from '../accounts/billing.js';
import { batchView } from '../batch/batch-tracker.js';
import { parseWebhookUrl, resolveWebhookTarget, WebhookTargetError } from '../batch/ssrf-guard.js';
import { ApiError } from '../errors.js';
import { readJsonObject } from '../http/body.js';
import type { HttpExchange } from '../http/exchange.js';
import type { Router } from '../http/router.js';
import { newJobFor, type PlannedSpeech } from '../tts/plan.js';
import { callerOf, checkOwner, claim } from './access.js';
import { baseUrl, type ApiContext } from './context.js';
import { resultFileUrl } from './download-url.js';
import { dictionaryOwner } from './pronunciations.js';
import { savedPronunciationsOf, tierOf, withSavedPronunciations } from './speech-charge.js';
import { parseNativeTts } from './tts-request.js';

/** API.md: at most 50 texts per batch. */
export const MAX_BATCH_ITEMS = 50;
const BATCH_ID = /^batch_[0-9a-f]{32}$/;

/** Adds the two batch routes to `router`. */
export function registerBatchRoutes(router: Router, ctx: ApiContext): void {
  router.post('/v1/tts/batch', (ex) => submitBatch(ctx, ex));
  router.get('/v1/tts/batch/result', (ex) => batchResult(ctx, ex));
}

/** Runs `check` for item `i`, naming the item in any 400 it throws (`texts[3].voice`). */
function forItem<T>(i: number, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    const param = `texts[${i}]${err.param ? `.${err.param}` : ''}`;
    throw new ApiError(err.code, `${param}: ${err.message}`, param, { cause: err, headers: err.headers });
  }
}

function textsOf(body: Record<string, unknown>): unknown[] {
  const texts = body.texts;
  if (texts === undefined || texts === null) throw new ApiError('missing_required_parameter', "Missing required parameter 'texts'", 'texts');
  if (!Array.isArray(texts)) throw new ApiError('invalid_type', "'texts' must be an array of {text, voice, model?, ...} objects", 'texts');
  if (texts.length === 0 || texts.length > MAX_BATCH_ITEMS) {
    throw new ApiError('invalid_value', `'texts' must hold 1 to ${MAX_BATCH_ITEMS} items; got ${texts.length}`, 'texts');
  }
  return texts;
}

/** The webhook URL, checked against the SSRF rules now (and again at delivery). */
async function webhookUrlOf(ctx: ApiContext, raw: unknown): Promise<string | null> {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'string') throw new ApiError('invalid_type', "'webhook_url' must be a string", 'webhook_url');
  try {
    const url = parseWebhookUrl(raw);
    await resolveWebhookTarget(url, ctx.config.webhooks.allowPrivateTargets);
    return url.href;
  } catch (err) {
    if (err instanceof WebhookTargetError) throw new ApiError('invalid_value', `'webhook_url' ${err.message}`, 'webhook_url');
    throw err;
  }
}

async function submitBatch(ctx: ApiContext, ex: HttpExchange): Promise<void> {
  const body = await readJsonObject(ex, ctx.config.maxJsonBodyBytes);
  await ctx.turns.next();
  const caller = callerOf(ex);
  const owner = dictionaryOwner(caller);
  if (owner === null) throw new ApiError('missing_api_key', 'Batches belong to an account: send "Authorization: Bearer sk-tts-…"');
  const { billing } = ctx.accounts;
  const saved = await savedPronunciationsOf(ctx, caller);
  const planned: PlannedSpeech[] = textsOf(body).map((item, i) =>
    forItem(i, () => {
      const { spec, stream } = parseNativeTts(item, ctx.tts.limits);
      if (stream) throw new ApiError('unsupported_parameter', "'stream' is not available in a batch; each item is a queued job", 'stream');
      const p = ctx.tts.plan(withSavedPronunciations(saved, spec));
      billing.checkTts(caller, p.chars, tierOf(p.spec.model), p.spec.model);
      return p;
    }),
  );
  const webhookUrl = await webhookUrlOf(ctx, body.webhook_url);
  const credits = planned.reduce((sum, p) => sum + p.creditsUsed, 0);
  const balance = await billing.balance(caller);
  if (balance !== null && balance < credits) {
    throw new ApiError('insufficient_credits', `This batch costs ${credits} credits and the balance is ${balance}`);
  }
  ctx.queue.admit(planned.reduce((sum, p) => sum + p.chars, 0), planned.length);
  // Each job's uuid is its ledger reference, as for single jobs, so a restart still settles it.
  const records = planned.map((p) => newJobFor(p, { creditsUsed: p.creditsUsed, clientIp: ex.remoteIp }));
  const charges: Charge[] = [];
  const batchId = `batch_${randomBytes(16).toString('hex')}`;
  try {
    // Each reservation is atomic on its own; one refused (another request spent the balance meanwhile) gives back the others.
    await Promise.all([claim(ctx.accounts, caller, 'batch', batchId), claim(ctx.accounts, caller, 'job', records.map((r) => r.uuid))]);
    for (const [i, r] of records.entries()) charges.push(await billing.reserve(caller, { credits: r.creditsUsed, chars: r.chars, note: `tts batch ${batchId} item ${i}, ${r.chars} chars`, service: 'tts', ref: r.uuid }));
    // The jobs and the batch are stored together (one transaction in the store) or not at all.
    await ctx.batches.create({ id: batchId, accountId: owner, creditsUsed: credits, webhookUrl, baseUrl: baseUrl(ctx, ex), jobUuids: records.map((r) => r.uuid) }, records);
  } catch (err) {
    await Promise.all(charges.map((c) => c.refund('batch not queued')));
    throw err;
  }
  records.forEach((r, i) => {
    ctx.jobCharges.hold(r.uuid, charges[i]!);
    ctx.queue.enqueue(r);
  });
  ex.json(200, { batch_id: batchId, total: records.length, completed: 0, status: 'processing', credits_used: credits, credits_remaining: await billing.balance(caller) });
}

async function batchResult(ctx: ApiContext, ex: HttpExchange): Promise<void> {
  const id = ex.query.get('batch_id') ?? '';
  if (!id) throw new ApiError('missing_required_parameter', "Missing required query parameter 'batch_id'", 'batch_id');
  const notFound = `No batch with id ${id}`;
  const batch = BATCH_ID.test(id) ? await ctx.batches.get(id) : undefined;
  if (!batch) throw new ApiError('batch_not_found', notFound, 'batch_id');
  const caller = callerOf(ex);
  await checkOwner(ctx.accounts, caller, 'batch', id, 'batch_not_found', notFound, 'batch_id');
  const view = await batchView(batch, ctx.jobs, (base, uuid, file, expiresAt) => resultFileUrl(ctx, base, uuid, file, expiresAt));
  const delivery = await ctx.batches.delivery(id);
  const webhook = batch.webhookUrl === null ? undefined : delivery
    ? { status: delivery.status, attempts: delivery.attempts, last_error: delivery.lastError }
    : { status: 'waiting', attempts: 0, last_error: null };
  ex.json(200, { ...view, credits_remaining: await ctx.accounts.billing.balance(caller), ...(webhook ? { webhook } : {}) }, { 'Cache-Control': 'no-store' });
}
