/**
 * The HTTP side of the accounts rules: which routes are public, which serve the anonymous tier
 * and which need a key (API.md's conventions), the guard the HTTP server runs before every
 * handler, and the same admission for WebSocket upgrades. Handlers ask `callerOf(ex)` who is
 * calling; they never parse keys or count requests themselves.
 */
import { bearerKey, subprotocolKey } from '../accounts/api-key.js';
import type { Accounts } from '../accounts/accounts.js';
import { clientIp } from '../accounts/client-ip.js';
import type { AccessPolicy, Admission, Caller } from '../accounts/gate.js';
import type { SharedGate } from '../accounts/shared-gate.js';
import type { OwnedKind } from '../accounts/ownership.js';
import { ApiError, type ErrorCode } from '../errors.js';
import type { HttpExchange } from '../http/exchange.js';
import type { UpgradeRequest, WebSocketConnection } from '../http/websocket.js';

/** Readable by anyone, not counted: discovery, and capability URLs (whoever holds the uuid). */
const PUBLIC_GET = [/^\/v1\/health$/, /^\/v1\/models$/, /^\/v1\/voices$/, /^\/v1\/speech\/results$/, /^\/v1\/speech\/subtitles$/, /^\/static\/downloads\/[^/]+\/[^/]+$/, /^\/openapi\.json$/, /^\/docs$/, /^\/docs\/assets\/[^/]+$/, /^\/$/, /^\/playground\/[^/]+$/];
/** Checked by their own handler (`/metrics`: its own token), outside the account rules. */
const OWN_AUTH_GET = /^\/metrics$/;
/** The anonymous free tier: without a key, per client IP, free models only. */
const ANONYMOUS = [/^POST \/v1\/tts$/, /^POST \/v1\/tts\/stream$/, /^POST \/v1\/audio\/speech$/, /^GET \/v1\/voices\/[^/]+\/preview$/, /^GET \/v1\/voices\/preview\/[^/]+$/];

const OPEN: Caller = { kind: 'open' };
const callers = new WeakMap<HttpExchange, Caller>();

/** Policies by method and route pattern: a pattern's policy is its paths' policy, computed once. */
const policyByRoute = new Map<string, AccessPolicy | 'own'>();

/** `policyOf` for a routed request, remembered per route pattern (patterns are few and fixed). */
function policyOfRoute(method: string, route: string): AccessPolicy | 'own' {
  const key = `${method} ${route}`;
  let policy = policyByRoute.get(key);
  if (policy === undefined) {
    policy = policyOf(method, route);
    policyByRoute.set(key, policy);
  }
  return policy;
}

/** The policy of a request by method and path (with or without its trailing slash). */
export function policyOf(method: string, path: string): AccessPolicy | 'own' {
  const p = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const m = method === 'HEAD' ? 'GET' : method;
  if (m === 'GET' && OWN_AUTH_GET.test(p)) return 'own';
  if (m === 'GET' && PUBLIC_GET.some((r) => r.test(p))) return 'public';
  if (ANONYMOUS.some((r) => r.test(`${m} ${p}`))) return 'anonymous';
  return 'account';
}

/**
 * The guard for `HttpServerOptions.guard`: identifies, counts and labels every routed request.
 * With `shared` (cluster mode) the counting is asynchronous, on counters every node shares.
 */
export function accessGuard(accounts: Accounts, shared?: SharedGate): (ex: HttpExchange) => void | Promise<void> {
  const admitted = (ex: HttpExchange, caller: Caller, admission: Admission): void => {
    for (const [name, value] of Object.entries(admission.headers)) ex.setHeader(name, value);
    // A client that left while the admission was checked has finished already: free its slot now.
    if (ex.done) admission.release();
    else ex.onFinish(admission.release);
    callers.set(ex, caller);
  };
  const admit = async (ex: HttpExchange, policy: AccessPolicy, ip: string): Promise<void> => {
    const caller = await accounts.gate.identify(bearerKey(ex.headers.authorization), ip);
    admitted(ex, caller, shared ? await shared.admit(caller, policy) : accounts.gate.admit(caller, policy));
  };
  return (ex) => {
    const policy = policyOfRoute(ex.method, ex.route);
    if (policy === 'own') return;
    // Open mode stays synchronous (no store read is due then); key rules read the key store, which may be remote.
    const mode = accounts.mode.mode(ex.headers.authorization !== undefined);
    if (mode === 'open') return;
    // The peer address is read before any await, while uWS's request is still valid.
    const ip = clientIp(ex.socketIp, ex.headers['x-forwarded-for'], accounts.trustedProxies);
    if (mode === 'keys') return admit(ex, policy, ip);
    return mode.then((m) => (m === 'open' ? undefined : admit(ex, policy, ip)));
  };
}

/** Who is making this request (open mode: the single user). */
export function callerOf(ex: HttpExchange): Caller {
  return callers.get(ex) ?? OPEN;
}

/**
 * Admission for a WebSocket upgrade: the key from `Authorization: Bearer` or from the
 * `openai-insecure-api-key.<key>` subprotocol, a key required (live endpoints have no anonymous
 * tier), one request counted. The returned `open(conn)` takes the concurrency slot the session
 * holds until it closes, once the socket is really open; a session that cannot have one is
 * closed at once (1008), so concurrent requests never pass the plan's limit.
 */
export async function admitUpgrade(accounts: Accounts, request: UpgradeRequest): Promise<UpgradeAccess> {
  if ((await accounts.mode.mode(request.headers.authorization !== undefined || request.protocols.length > 0)) === 'open') return { caller: OPEN, open: () => true };
  const ip = clientIp(request.socketIp, request.headers['x-forwarded-for'], accounts.trustedProxies);
  const caller = await accounts.gate.identify(bearerKey(request.headers.authorization) ?? subprotocolKey(request.protocols), ip);
  // Checked now so a refusal is an HTTP status on the handshake; the slot itself is taken on open.
  accounts.gate.admit(caller, 'account').release();
  return {
    caller,
    open: (conn) => {
      let admission: Admission;
      try {
        admission = accounts.gate.holdSlot(caller);
      } catch (err) {
        conn.close(1008, err instanceof ApiError ? err.message : 'refused');
        return false;
      }
      conn.signal.addEventListener('abort', admission.release, { once: true });
      return true;
    },
  };
}

export interface UpgradeAccess {
  caller: Caller;
  open(conn: WebSocketConnection): boolean;
  /** The upgrade was refused after admission (a later check failed): gives back what it holds. */
  abandon?(): void;
}

/** Runs an upgrade's checks after its admission; a refusal there gives the admission's slot back at once. */
export async function checkedUpgrade<T>(access: UpgradeAccess, rest: () => Promise<T>): Promise<T> {
  try {
    return await rest();
  } catch (err) {
    access.abandon?.();
    throw err;
  }
}

/** An upgrade admitted but never opened (the client left during the handshake) gives its shared slot back after this long. */
const UNOPENED_SLOT_MS = 10_000;

/**
 * `admitUpgrade` in cluster mode: the request is counted and the session's concurrency slot taken
 * on Redis (`shared`) before the handshake, so live sessions spread over several nodes hold the
 * plan's limit exactly (a refusal is the handshake's 429); the slot is released when the session
 * closes, or if the socket never opens. Open mode and a node without Redis: `admitUpgrade`.
 */
export async function admitSharedUpgrade(accounts: Accounts, request: UpgradeRequest, shared: SharedGate | undefined): Promise<UpgradeAccess> {
  if (!shared || !shared.ready || (await accounts.mode.mode(request.headers.authorization !== undefined || request.protocols.length > 0)) === 'open') return admitUpgrade(accounts, request);
  const ip = clientIp(request.socketIp, request.headers['x-forwarded-for'], accounts.trustedProxies);
  const caller = await accounts.gate.identify(bearerKey(request.headers.authorization) ?? subprotocolKey(request.protocols), ip);
  const admission = await shared.admit(caller, 'account');
  const unopened = setTimeout(admission.release, UNOPENED_SLOT_MS);
  unopened.unref();
  return {
    caller,
    open: (conn) => {
      clearTimeout(unopened);
      conn.signal.addEventListener('abort', admission.release, { once: true });
      if (conn.signal.aborted) admission.release();
      return true;
    },
    abandon: () => {
      clearTimeout(unopened);
      admission.release();
    },
  };
}

/**
 * 404 (`code`) unless `caller` may see the owned thing `id`: things with an owner are visible to
 * that account only; things without one (made in open mode or anonymously) to whoever has the id.
 */
export async function checkOwner(accounts: Accounts, caller: Caller, kind: OwnedKind, id: string, code: ErrorCode, message: string, param: string | null): Promise<void> {
  if (caller.kind === 'open') return;
  const owner = await accounts.ownership.ownerOf(kind, id);
  if (owner !== undefined && (caller.kind !== 'account' || caller.accountId !== owner)) throw new ApiError(code, message, param);
}

/**
 * Records that `caller` owns new things (nothing for open-mode and anonymous callers), all in one
 * store call. Where it can, a handler claims before it stores the things, so none is visible
 * without its owner even for a moment; a claimed id whose thing is then not stored is random and
 * never seen again.
 */
export async function claim(accounts: Accounts, caller: Caller, kind: OwnedKind, ids: string | readonly string[]): Promise<void> {
  if (caller.kind === 'account') await accounts.ownership.claim(kind, typeof ids === 'string' ? [ids] : ids, caller.accountId);
}
