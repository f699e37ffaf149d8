/**
 * One attempt to deliver a webhook: the target re-checked (its DNS may have changed since the
 * batch was submitted), then a signed POST to the checked address — the connection's lookup is
 * pinned to it, while the Host header and TLS name stay the URL's. Redirects are not followed
 * (a 3xx is a failed attempt), and the whole exchange is bounded by a timeout.
 */
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { parseWebhookUrl, resolveWebhookTarget, WebhookTargetError, type ResolvedAddress, type Resolver } from './ssrf-guard.js';
import { signWebhook } from './webhook-signature.js';

/** The event every batch webhook carries in `X-Llais-Event`. */
export const BATCH_COMPLETED_EVENT = 'batch.completed';

export interface DeliveryRequest {
  url: string;
  body: string;
  secret: string;
  deliveryId: string;
}

export interface DeliveryOptions {
  timeoutMs: number;
  allowPrivateTargets: boolean;
  /** Aborts the attempt (the server is closing); an aborted attempt is not an outcome. */
  signal: AbortSignal;
  resolve?: Resolver;
}

/**
 * `delivered`: a 2xx answer. `retry`: anything else (status, timeout, connection error).
 * `refused`: the target is not allowed any more; retrying cannot help.
 */
export type DeliveryOutcome = { kind: 'delivered' } | { kind: 'retry'; error: string } | { kind: 'refused'; error: string };

function pinnedLookup(target: ResolvedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) (callback as (err: null, addresses: Array<{ address: string; family: number }>) => void)(null, [target]);
    else callback(null, target.address, target.family);
  };
}

/** POSTs `req.body` once, signed now, and says how it went; never throws except on abort. */
export async function attemptDelivery(req: DeliveryRequest, opts: DeliveryOptions): Promise<DeliveryOutcome> {
  let url: URL;
  let target: ResolvedAddress;
  try {
    url = parseWebhookUrl(req.url);
    target = await resolveWebhookTarget(url, opts.allowPrivateTargets, opts.resolve);
  } catch (err) {
    if (err instanceof WebhookTargetError) return { kind: 'refused', error: `webhook_url ${err.message}` };
    throw err;
  }
  const signal = AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]);
  const options: RequestOptions = {
    method: 'POST',
    lookup: pinnedLookup(target),
    // One connection per attempt: a pooled socket could be one opened to another address.
    agent: false,
    signal,
    headers: {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(req.body)),
      'user-agent': 'Llais-Webhook/1',
      'x-llais-event': BATCH_COMPLETED_EVENT,
      'x-llais-delivery': req.deliveryId,
      'x-llais-signature': signWebhook(req.secret, req.body, Math.floor(Date.now() / 1000)),
    },
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  try {
    const status = await new Promise<number>((resolve, reject) => {
      const r = send(url, options, (res) => {
        // The answer's body means nothing to us; read it so the socket closes cleanly.
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      });
      r.on('error', reject);
      r.end(req.body);
    });
    return status >= 200 && status < 300 ? { kind: 'delivered' } : { kind: 'retry', error: `HTTP ${status}` };
  } catch (err) {
    if (opts.signal.aborted) throw err;
    if (signal.aborted) return { kind: 'retry', error: `no answer within ${opts.timeoutMs} ms` };
    return { kind: 'retry', error: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
  }
}
