/**
 * The one place the client talks HTTP: the base URL, the bearer key, JSON and multipart bodies,
 * and non-2xx answers turned into `LlaisError`. Every call takes the caller's AbortSignal and
 * hands it to fetch, so aborting cancels the request on the server too.
 */
import { LlaisError } from './errors.js';

/** What `new Llais(...)` takes. */
export interface LlaisOptions {
  /** The server, e.g. `http://127.0.0.1:8080` (a trailing `/v1` or slash is fine). */
  baseUrl: string;
  /** `sk-tts-…`; leave out for a server in open mode or for the anonymous free tier. */
  apiKey?: string;
  /** A fetch to use instead of the global one (a proxy agent, tests). */
  fetch?: typeof fetch;
}

/** One request: a JSON or multipart body, query parameters, and a signal. */
export interface RequestOptions {
  json?: unknown;
  form?: FormData;
  query?: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
}

/** Sends requests to one server with one key. */
export class Transport {
  private readonly base: string;
  private readonly apiKey: string | undefined;
  private readonly fetchFn: typeof fetch;

  constructor(options: LlaisOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
    this.apiKey = options.apiKey;
    this.fetchFn = options.fetch ?? fetch;
  }

  /** The absolute URL of `path` (from the server root) with `query`. */
  url(path: string, query: RequestOptions['query'] = {}): string {
    const url = new URL(this.base + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
  }

  /** Sends the request; a 2xx response is returned unread, anything else thrown as `LlaisError`. */
  async request(method: 'GET' | 'POST', pathOrUrl: string, options: RequestOptions = {}): Promise<Response> {
    const url = pathOrUrl.startsWith('/') ? this.url(pathOrUrl, options.query) : pathOrUrl;
    const headers: Record<string, string> = {};
    // The key goes to this server only, never to another origin a result URL might name.
    if (this.apiKey && new URL(url).origin === new URL(this.base).origin) headers.authorization = `Bearer ${this.apiKey}`;
    let body: string | FormData | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.form) {
      body = options.form; // fetch sets the multipart boundary itself.
    }
    const res = await this.fetchFn(url, { method, headers, body, signal: options.signal });
    if (!res.ok) throw await LlaisError.fromResponse(res);
    return res;
  }

  /** Sends the request and parses the JSON answer. */
  async json<T>(method: 'GET' | 'POST', path: string, options: RequestOptions = {}): Promise<T> {
    return (await (await this.request(method, path, options)).json()) as T;
  }

  /** Sends the request and reads the whole answer as bytes. */
  async bytes(method: 'GET' | 'POST', pathOrUrl: string, options: RequestOptions = {}): Promise<Uint8Array> {
    return new Uint8Array(await (await this.request(method, pathOrUrl, options)).arrayBuffer());
  }
}
