/**
 * Method + path routing with `:name` parameters. Every path matches with and without its
 * trailing slash, as the API contract promises.
 */
import type { HttpExchange } from './exchange.js';

export type Handler = (ex: HttpExchange) => Promise<void> | void;

interface Route {
  method: string;
  /** As registered, e.g. `/static/downloads/:uuid/:file`: a label for metrics that does not grow with ids. */
  pattern: string;
  segments: string[];
  handler: Handler;
}

export type RouteMatch =
  | { kind: 'found'; handler: Handler; params: Record<string, string>; pattern: string }
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'not-found' };

function split(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

/** The params of every parameterless match: one shared, frozen object. */
const NO_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;

export class Router {
  private readonly routes: Route[] = [];
  /**
   * Matches of routes without parameters, remembered: most traffic (health checks, speech, STT)
   * hits a handful of fixed paths, and a walk over every route costs more than the handler of a
   * cached health check. Misses and parameter routes are never cached, so the map stays bounded.
   */
  private readonly fixed = new Map<string, RouteMatch>();

  on(method: string, path: string, handler: Handler): this {
    this.routes.push({ method: method.toUpperCase(), pattern: path, segments: split(path), handler });
    this.fixed.clear();
    return this;
  }

  get(path: string, handler: Handler): this {
    return this.on('GET', path, handler);
  }

  post(path: string, handler: Handler): this {
    return this.on('POST', path, handler);
  }

  delete(path: string, handler: Handler): this {
    return this.on('DELETE', path, handler);
  }

  /** Every registered route, method and pattern as registered (read-only: the docs check against it). */
  registered(): Array<{ method: string; pattern: string }> {
    return this.routes.map((r) => ({ method: r.method, pattern: r.pattern }));
  }

  match(method: string, path: string): RouteMatch {
    const segments = split(path);
    const key = `${method} /${segments.join('/')}`;
    const known = this.fixed.get(key);
    if (known) return known;
    const allowed: string[] = [];
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      // HEAD is served by GET handlers; the exchange drops the body.
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) {
        if (route.segments.some((s) => s.startsWith(':'))) return { kind: 'found', handler: route.handler, params, pattern: route.pattern };
        const found: RouteMatch = { kind: 'found', handler: route.handler, params: NO_PARAMS, pattern: route.pattern };
        this.fixed.set(key, found);
        return found;
      }
      allowed.push(route.method);
    }
    return allowed.length > 0 ? { kind: 'method-not-allowed', allowed } : { kind: 'not-found' };
  }
}

function matchSegments(pattern: string[], actual: string[]): Record<string, string> | null {
  if (pattern.length !== actual.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const a = actual[i]!;
    if (p.startsWith(':')) {
      let value: string;
      try {
        value = decodeURIComponent(a);
      } catch {
        return null;
      }
      params[p.slice(1)] = value;
    } else if (p !== a) {
      return null;
    }
  }
  return params;
}
