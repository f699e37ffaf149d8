/**
 * TLS, when configured: both files readable, the certificate and key parse as PEM, the key is the
 * certificate's, and the certificate is in its validity period (a warning when it ends within two
 * weeks). uWebSockets.js reports none of this clearly at start, and the OpenAI Realtime Node
 * client only speaks wss://, so a broken pair shows up as clients that cannot connect.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Config } from '../config.js';
import { fail, ok, warn, type CheckResult } from './check.js';
import { firstLine } from './install-checks.js';

/** Certificates from ACME clients renew 30 days ahead; two weeks left means renewal is not happening. */
const EXPIRY_WARNING_MS = 14 * 24 * 3600 * 1000;

type Read = { pem: Buffer; problem?: undefined } | { pem?: undefined; problem: CheckResult };

function read(path: string, setting: string, what: string): Read {
  try {
    return { pem: readFileSync(path) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? firstLine(err);
    return { problem: fail('tls', `cannot read the ${what} ${path} (${code})`, `fix the path in ${setting}, or make the file readable by the user the server runs as`) };
  }
}

/** The TLS settings checked; one finding. */
export function tlsCheck(config: Config, now = Date.now()): CheckResult {
  if (!config.tls) return ok('tls', 'off: plain HTTP (wss:// clients such as the OpenAI Realtime Node client need tls.certFile and tls.keyFile, or a TLS proxy in front)');
  const { certFile, keyFile } = config.tls;
  const certRead = read(certFile, 'tls.certFile (LLAIS_TLS_CERT_FILE)', 'certificate');
  if (certRead.problem) return certRead.problem;
  const keyRead = read(keyFile, 'tls.keyFile (LLAIS_TLS_KEY_FILE)', 'private key');
  if (keyRead.problem) return keyRead.problem;
  const [certPem, keyPem] = [certRead.pem, keyRead.pem];
  let cert: X509Certificate;
  let key: KeyObject;
  try {
    cert = new X509Certificate(certPem);
  } catch (err) {
    return fail('tls', `${certFile} is not a PEM certificate (${firstLine(err)})`, 'point tls.certFile at the certificate (-----BEGIN CERTIFICATE-----), the full chain when there is one');
  }
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    return fail('tls', `${keyFile} is not an unencrypted PEM private key (${firstLine(err)})`, 'point tls.keyFile at the key (-----BEGIN PRIVATE KEY-----); the server cannot ask for a passphrase, so decrypt it first (openssl pkey -in key.pem -out key-plain.pem)');
  }
  if (!cert.checkPrivateKey(key)) return fail('tls', `${keyFile} is not the key of the certificate ${certFile}`, 'use the key the certificate was issued for (the pair from the same issuance)');
  const validTo = Date.parse(cert.validTo);
  const names = cert.subjectAltName ?? cert.subject.replace(/\n/g, ', ');
  if (Date.parse(cert.validFrom) > now) return fail('tls', `the certificate is not valid until ${cert.validFrom}`, "check this machine's clock, or use a certificate already valid");
  if (validTo <= now) return fail('tls', `the certificate expired on ${cert.validTo}`, 'renew it (certbot renew, or your issuer) and restart the server');
  if (validTo - now < EXPIRY_WARNING_MS) return warn('tls', `the certificate for ${names} expires on ${cert.validTo}`, 'renew it soon (certbot renew, or your issuer) and restart the server');
  return ok('tls', `certificate for ${names}, key matches, valid until ${cert.validTo}`);
}
