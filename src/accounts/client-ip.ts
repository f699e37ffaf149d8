/**
 * The client's address for per-IP limits: the socket's peer, unless that peer is a configured
 * trusted proxy, in which case the nearest `X-Forwarded-For` entry that is not itself a trusted
 * proxy. A client can put anything in the header, so it is never believed from anyone else.
 */
import { isIP } from 'node:net';

/** One textual form per address, so `::1`, `0:0:0:0:0:0:0:1` and `::ffff:10.0.0.1`/`10.0.0.1` compare equal. */
export function normalizeIp(ip: string): string {
  const raw = ip.trim().toLowerCase().replace(/^\[|\]$/g, '');
  if (isIP(raw) !== 6) return raw;
  const canonical = new URL(`http://[${raw}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (!mapped) return canonical;
  const hi = parseInt(mapped[1]!, 16);
  const lo = parseInt(mapped[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Parses the `trustedProxies` config value (comma-separated addresses). */
export function trustedProxySet(value: string): Set<string> {
  return new Set(value.split(',').map((s) => s.trim()).filter(Boolean).map(normalizeIp));
}

export function clientIp(socketIp: string, forwardedFor: string | undefined, trusted: ReadonlySet<string>): string {
  const peer = normalizeIp(socketIp);
  if (!forwardedFor || !trusted.has(peer)) return peer;
  const hops = forwardedFor.split(',').map((s) => normalizeIp(s)).filter(Boolean);
  // Right to left: each trusted proxy appended the address it received from.
  for (let i = hops.length - 1; i >= 0; i--) if (!trusted.has(hops[i]!)) return hops[i]!;
  return peer;
}
