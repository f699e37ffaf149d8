/**
 * API keys: `sk-tts-` and 32 base64url characters (192 random bits, above the 128 the contract
 * asks for). Only a key's sha256 is stored; a presented key is hashed and looked up by that hash,
 * then compared in constant time, so neither the table nor the timing of a lookup reveals a key.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const KEY_PREFIX = 'sk-tts-';
/** 24 bytes = 192 bits of randomness, 32 base64url characters. */
const KEY_RANDOM_BYTES = 24;
const KEY_SHAPE = /^sk-tts-[A-Za-z0-9_-]{32}$/;
/** What browsers send, since they cannot set headers on a WebSocket (OpenAI's convention). */
export const KEY_SUBPROTOCOL_PREFIX = 'openai-insecure-api-key.';

/** A fresh key; shown once to whoever created it and never stored. */
export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(KEY_RANDOM_BYTES).toString('base64url');
}

/** True when `key` has the shape of a key we issue (a cheap filter before any lookup). */
export function looksLikeApiKey(key: string): boolean {
  return KEY_SHAPE.test(key);
}

/** The stored form of a key. */
export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** Constant-time equality of two key hashes. */
export function sameHash(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The first characters of a key, enough for a person to tell keys apart in `llais keys list`. */
export function keyPrefix(key: string): string {
  return key.slice(0, KEY_PREFIX.length + 4);
}

/** The key in an `Authorization: Bearer …` header, or null. */
export function bearerKey(authorization: string | undefined): string | null {
  if (!authorization) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return m ? m[1]! : null;
}

/** The key in an `openai-insecure-api-key.<key>` WebSocket subprotocol, or null. */
export function subprotocolKey(protocols: readonly string[]): string | null {
  const offered = protocols.find((p) => p.startsWith(KEY_SUBPROTOCOL_PREFIX));
  return offered ? offered.slice(KEY_SUBPROTOCOL_PREFIX.length) : null;
}
