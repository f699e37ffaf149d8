/**
 * Where a webhook may be sent. A batch's `webhook_url` is chosen by the caller, so without this a
 * caller could make the server POST into its own network (cloud metadata at 169.254.169.254, an
 * admin port on loopback). The URL must be plain http(s) without credentials, and every address
 * its host resolves to must be public: one private answer refuses the whole name, because the
 * resolver may hand either out. Delivery connects to the address checked here, so a DNS answer
 * that changes between check and connect (rebinding) cannot swap a private one in.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** One resolved address of a webhook host. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** How a host name is resolved (every answer); tests and the sweeper use the system resolver. */
export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

/** Why a URL or address is refused, in words for the 400 message and the delivery log. */
export class WebhookTargetError extends Error {}

const BLOCKED_V4: Array<[string, number, string]> = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (CGNAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

const BLOCKED_V6: Array<[string, number, string]> = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  // Mapped and translated IPv4 reach the IPv4 network behind them, private ranges included.
  ['::ffff:0:0', 96, 'IPv4-mapped'],
  ['64:ff9b::', 96, 'IPv4-translated (NAT64)'],
  ['fc00::', 7, 'unique local (private)'],
  ['fe80::', 10, 'link-local'],
  ['ff00::', 8, 'multicast'],
];

/** One list per range, per family: a BlockList treats IPv4 and IPv4-mapped IPv6 alike, so families stay apart. */
function compile(table: Array<[string, number, string]>, type: 'ipv4' | 'ipv6'): Array<[string, BlockList]> {
  return table.map(([net, prefix, label]) => {
    const list = new BlockList();
    list.addSubnet(net, prefix, type);
    return [label, list];
  });
}
const RANGES = { 4: compile(BLOCKED_V4, 'ipv4'), 6: compile(BLOCKED_V6, 'ipv6') };

/** The kind of non-public range `address` lies in (`'loopback'`, `'private'`, …), or null for a public address. */
export function blockedRange(address: string): string | null {
  const family = isIP(address);
  if (family !== 4 && family !== 6) return 'not an IP address';
  const type = family === 6 ? 'ipv6' : 'ipv4';
  return RANGES[family].find(([, list]) => list.check(address, type))?.[0] ?? null;
}

/** Parses a webhook URL: http or https, no user name or password, a host. */
export function parseWebhookUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookTargetError('must be an absolute http or https URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WebhookTargetError('must use http or https');
  if (url.username !== '' || url.password !== '') throw new WebhookTargetError('must not contain a user name or password');
  if (url.hostname === '') throw new WebhookTargetError('must name a host');
  return url;
}

/** The system resolver, every answer in the resolver's order. */
export const systemResolver: Resolver = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/**
 * The address to connect to for `url`: its host resolved (an IP literal stands for itself) and
 * every answer checked, unless `allowPrivate`. Throws `WebhookTargetError` when refused or unresolvable.
 */
export async function resolveWebhookTarget(url: URL, allowPrivate: boolean, resolve: Resolver = systemResolver): Promise<ResolvedAddress> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const literal = isIP(host);
  let answers: ResolvedAddress[];
  if (literal !== 0) answers = [{ address: host, family: literal === 6 ? 6 : 4 }];
  else {
    try {
      answers = await resolve(host);
    } catch (err) {
      throw new WebhookTargetError(`host ${host} could not be resolved (${(err as NodeJS.ErrnoException).code ?? 'lookup failed'})`);
    }
  }
  if (answers.length === 0) throw new WebhookTargetError(`host ${host} has no addresses`);
  if (!allowPrivate) {
    for (const a of answers) {
      const range = blockedRange(a.address);
      if (range !== null) throw new WebhookTargetError(`host ${host} resolves to ${a.address}, a ${range} address; webhooks go to public addresses only`);
    }
  }
  return answers[0]!;
}
