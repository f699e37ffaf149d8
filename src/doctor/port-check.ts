/**
 * The configured address and port: free to listen on, or held by a running Llais (a warning: it
 * is probably this server), or by another program, or not listenable at all (no permission, not
 * an address of this machine). Checked by listening on it for a moment, exactly as the server would.
 */
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { createServer } from 'node:net';
import type { Config } from '../config.js';
import { fail, ok, warn, type CheckResult } from './check.js';

/** A Llais answers its health check in milliseconds when idle; a probe longer than this is not one. */
const HEALTH_PROBE_TIMEOUT_MS = 2_000;
const OTHER_PORT = '--port N, LLAIS_PORT, or "port" in the config file';

/** Listens on host:port and closes again; resolves with the error code when it cannot. */
function tryListen(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(null)));
  });
}

/** Where this machine reaches a server bound to `host`: a wildcard address through loopback. */
function probeHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host.replace(/^\[|\]$/g, '');
}

/** True when GET /v1/health/ on host:port answers as Llais does (a JSON body with `models_loaded`). */
function llaisAnswers(config: Config): Promise<boolean> {
  return new Promise((resolve) => {
    const get = config.tls ? httpsGet : httpGet;
    // The certificate is not what this probe is about (the TLS check is); only who answers.
    const req = get({ host: probeHost(config.host), port: config.port, path: '/v1/health/', timeout: HEALTH_PROBE_TIMEOUT_MS, rejectUnauthorized: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        try {
          resolve(Array.isArray((JSON.parse(body) as { models_loaded?: unknown }).models_loaded));
        } catch {
          resolve(false);
        }
      });
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** Whether `llais serve` could listen on the configured host and port. */
export async function portCheck(config: Config): Promise<CheckResult> {
  const where = `${config.host}:${config.port}`;
  if (config.port === 0) return ok('port', `${config.host}, port 0: the system picks a free port at start`);
  const error = await tryListen(config.host, config.port);
  if (error === null) return ok('port', `${where} is free`);
  if (error === 'EADDRINUSE') {
    if (await llaisAnswers(config)) {
      return warn('port', `${where} is in use by a running Llais server (its /v1/health/ answered)`, `nothing, if that is this server; a second one needs another port: ${OTHER_PORT}`);
    }
    return fail('port', `${where} is in use by another program`, `stop it (\`ss -ltnp 'sport = :${config.port}'\` names it), or choose another port: ${OTHER_PORT}`);
  }
  if (error === 'EACCES') return fail('port', `no permission to listen on ${where}`, `ports below 1024 need root or CAP_NET_BIND_SERVICE; use one above 1023 (${OTHER_PORT}), behind a proxy if need be`);
  if (error === 'EADDRNOTAVAIL' || error === 'ENOTFOUND' || error === 'EAI_AGAIN') {
    return fail('port', `cannot listen on ${where}: ${config.host} is not an address of this machine (${error})`, 'set host (--host, LLAIS_HOST) to 127.0.0.1 for this machine only, 0.0.0.0 for every interface, or one of its addresses');
  }
  return fail('port', `cannot listen on ${where} (${error})`, `check host and port (--host, --port, LLAIS_HOST, LLAIS_PORT)`);
}
